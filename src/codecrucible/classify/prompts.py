"""The seven prompting schemes of Cruickshank & Ng, adapted from stance to any label set, and
the mapping of a free-text answer to a label.

A scheme is a chain of calls: every step but the last asks for reasoning, which later steps
quote; the last asks for one word. Schemes (the paper's names):

1. ``task_only``: the item and the labels, answer in one word;
2. ``task_and_definition``: the same after a one-sentence definition of the task;
3. ``context_analyse``: the definition, the item's context (its problem, a stance target),
   and "analyse the item with respect to it";
4. ``context_question``: the same context, asked as a direct question;
5. ``few_shot``: the definition, labelled training examples, then the context_analyse query;
6. ``zero_shot_cot``: reason step by step, then give the one-word answer from that reasoning;
7. ``coda``: three personas analyse the item, a call argues for and against each label, and
   a judge call gives the label.

The answer's label is the label word (or one of its synonyms) that comes first in the answer,
as whole words; an answer with none is invalid (the paper maps it to "neutral"; here it is
counted apart, as the validity rate, and scored as wrong).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from codecrucible.classify.items import Item

SCHEMES = ("task_only", "task_and_definition", "context_analyse", "context_question",
           "few_shot", "zero_shot_cot", "coda")
ANSWER_TOKENS = 16       # the one-word answer (the paper allowed 50)
REASONING_TOKENS = 160   # each reasoning step
ITEM_CHARS = 3000        # an item's text is cut here: small models have small contexts


@dataclass(frozen=True)
class Frame:
    """How a task is put to a model: what it is, its labels and their synonyms."""

    task: str                 # "whether this Python program passes its tests"
    definition: str           # one sentence: what the classification means
    subject: str              # "program", "text"
    question: str             # the direct question, about "the {subject}"
    labels: tuple[str, ...]
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    personas: tuple[str, ...] = ("an experienced software tester",
                                 "an expert in the problem's subject",
                                 "a programmer who reviews Python code every day")

    def words(self) -> dict[str, str]:
        """Every word that names a label (the label itself and its synonyms) -> the label."""
        named = {label.lower(): label for label in self.labels}
        for label, words in self.synonyms.items():
            named.update({word.lower(): label for word in words})
        return named


PASS_FRAME = Frame(
    task="how many of its tests this Python program passes",
    definition="Test outcome prediction: reading a program written for a problem, say "
               "whether it passes all of the problem's tests, some of them, or none.",
    subject="program", question="Does this program pass all, some or none of its tests?",
    labels=("all", "some", "none"),
    synonyms={"all": ("every", "correct"), "some": ("partial", "partially"),
              "none": ("fails", "incorrect", "nothing")})


def bug_type_frame(labels: tuple[str, ...]) -> Frame:
    return Frame(
        task="which kind of bug was put into this Python program",
        definition="Bug type classification: a correct program was changed in one place "
                   "so that it fails its tests; name the kind of change.",
        subject="program", question="Which kind of change broke this program?",
        labels=labels,
        synonyms={label: (label.replace("_", " "), label.replace("_", "-"))
                  for label in labels})


def user_frame(labels: tuple[str, ...]) -> Frame:
    return Frame(task="the class of this text", definition="Text classification: "
                 "give the label that best describes the text with respect to its target.",
                 subject="text", question="Which label best describes the text?",
                 labels=labels, personas=("a linguist", "an expert in the subject",
                                          "a heavy social-media user"))


@dataclass(frozen=True)
class Step:
    prompt: str
    max_tokens: int


def _options(frame: Frame) -> str:
    return ", ".join(frame.labels)


def _item(frame: Frame, item: Item) -> str:
    return f"{frame.subject.capitalize()}:\n{item.text[:ITEM_CHARS]}"


def _context(item: Item) -> str:
    return f"Context: {item.target}\n" if item.target else ""


def _answer_line(frame: Frame) -> str:
    return f"Answer with one word, one of: {_options(frame)}.\nAnswer:"


def _analyse(frame: Frame, item: Item) -> str:
    return (f"{frame.definition}\n{_context(item)}Analyse the {frame.subject} below with "
            f"respect to the context and give {frame.task}.\n\n{_item(frame, item)}\n\n")


def render(scheme: str, frame: Frame, item: Item, shots: tuple[Item, ...] = (),
           earlier: tuple[str, ...] = ()) -> Step:
    """The next call of ``scheme`` for ``item``, given the answers of its earlier steps;
    ``steps(scheme)`` says how many there are."""
    one_word = _answer_line(frame)
    if scheme == "task_only":
        return Step(f"Give {frame.task}.\n\n{_item(frame, item)}\n\n{one_word}", ANSWER_TOKENS)
    if scheme == "task_and_definition":
        return Step(f"{frame.definition}\nGive {frame.task}.\n\n{_item(frame, item)}\n\n"
                    f"{one_word}", ANSWER_TOKENS)
    if scheme == "context_analyse":
        return Step(_analyse(frame, item) + one_word, ANSWER_TOKENS)
    if scheme == "context_question":
        return Step(f"{frame.definition}\n{_context(item)}\n{_item(frame, item)}\n\n"
                    f"{frame.question}\n{one_word}", ANSWER_TOKENS)
    if scheme == "few_shot":
        examples = "".join(f"{_item(frame, shot)}\n{_context(shot)}Answer: {shot.label}\n\n"
                           for shot in shots)
        return Step(f"{frame.definition}\nExamples:\n\n{examples}" + _analyse(frame, item)
                    + one_word, ANSWER_TOKENS)
    if scheme == "zero_shot_cot":
        if not earlier:
            return Step(_analyse(frame, item) + "Think step by step and explain your "
                        "reasoning.", REASONING_TOKENS)
        return Step(f"Reasoning about a {frame.subject}:\n{earlier[0]}\n\nFrom this "
                    f"reasoning, give {frame.task}.\n{one_word}", ANSWER_TOKENS)
    if scheme == "coda":
        return _coda(frame, item, earlier)
    raise ValueError(f"unknown prompting scheme {scheme!r} (known: {', '.join(SCHEMES)})")


def _coda(frame: Frame, item: Item, earlier: tuple[str, ...]) -> Step:
    personas = frame.personas
    if len(earlier) < len(personas):
        return Step(f"You are {personas[len(earlier)]}. " + _analyse(frame, item)
                    + "Give your analysis in a few sentences.", REASONING_TOKENS)
    analyses = "\n\n".join(f"Analysis by {who}:\n{text}"
                           for who, text in zip(personas, earlier, strict=False))
    if len(earlier) == len(personas):
        return Step(f"{_item(frame, item)}\n\n{analyses}\n\nFor each of {_options(frame)}, "
                    "give the strongest argument for it and against it.", REASONING_TOKENS)
    return Step(f"You are the judge. {frame.definition}\n{_context(item)}\n{_item(frame, item)}"
                f"\n\n{analyses}\n\nArguments:\n{earlier[-1]}\n\nWeigh them and give "
                f"{frame.task}.\n{_answer_line(frame)}", ANSWER_TOKENS)


def steps(scheme: str, frame: Frame) -> int:
    return {"zero_shot_cot": 2, "coda": len(frame.personas) + 2}.get(scheme, 1)


def to_label(answer: str, frame: Frame) -> str | None:
    """The label whose word comes first in the answer (whole words, any case); None if no
    label word is in it."""
    named = frame.words()
    pattern = r"(?<![\w-])(" + "|".join(re.escape(w) for w in
                                        sorted(named, key=len, reverse=True)) + r")(?![\w-])"
    found = re.search(pattern, answer.lower())
    return named[found.group(1)] if found else None


def few_shot_examples(train: list[Item], labels: tuple[str, ...], count: int = 5
                      ) -> tuple[Item, ...]:
    """``count`` training examples (the paper used 5), one label at a time in turn so every
    label is shown where there are enough, the shortest texts of each label first (small
    contexts)."""
    by_label = {label: sorted((i for i in train if i.label == label),
                              key=lambda i: (len(i.text), i.id)) for label in labels}
    chosen: list[Item] = []
    while len(chosen) < count and any(by_label.values()):
        for label in labels:
            if by_label[label] and len(chosen) < count:
                chosen.append(by_label[label].pop(0))
    return tuple(chosen)
