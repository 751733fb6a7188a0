"""Code Evol-Instruct's one prompt and its five heuristics, and reading the evolver's answer.

WizardCoder replaced Evol-Instruct's several prompts with one template: ask for the given
programming question made a bit harder, by (among others) one named method. The wording here
is our own, written from the paper's description (notes/papers.md §2). Two additions serve
the code rules: the evolver also writes assert statements for the new question, which the
answer must pass in the sandbox, and it marks the two parts with headings we can split on.

The heuristic for each evolution is drawn uniformly, as the public reimplementations and
WizardLM's own script draw theirs, from an RNG seeded by the run's seed, the seed task and the
round: the same run draws the same heuristics however often it is resumed.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from codecrucible.records import Request
from codecrucible.training import asserts


@dataclass(frozen=True)
class Heuristic:
    name: str
    method: str


HEURISTICS = (
    Heuristic("add-constraints",
              "Add one more constraint or requirement to the question, in about ten words."),
    Heuristic("rarer-requirement",
              "Replace a requirement that programming tasks commonly have with a less common "
              "and more specific one."),
    Heuristic("more-reasoning",
              "If the question can be solved in only a few logical steps, make it need more "
              "reasoning steps."),
    Heuristic("erroneous-code",
              "Show a piece of incorrect code as a reference, to mislead and make the "
              "question harder."),
    Heuristic("complexity",
              "Ask for a stricter bound on time or space complexity (do this only now and "
              "then)."),
)
BY_NAME = {h.name: h for h in HEURISTICS}

QUESTION_MARK = "#Rewritten Question#"
TESTS_MARK = "#Tests#"
TEMPLATE = """Make the programming question below a little harder.
You may do it by the following method, among others:
{method}

#Given Question#
{question}

Reply with the harder question under the heading {question_mark}. It must be complete on its \
own and name the Python function to write. Then, under the heading {tests_mark}, write three \
to five Python assert statements that a correct function passes, each calling the function \
with literal arguments and comparing the result with a literal value, in one code block."""
# WizardLM's optional check that an evolution added information, asked of the evolver.
EQUALITY = """Here are two programming questions.

First question:
{first}

Second question:
{second}

Do they have the same constraints and requirements, and the same depth and breadth of \
inquiry? Answer with one line: Equal or Not Equal."""
ALPACA = "### Instruction:\n{instruction}\n\n### Response:\n"


def choose(run_seed: int, seed_id: str, round_: int) -> tuple[Heuristic, int]:
    """The heuristic for one evolution, and the sampling seed of its model calls."""
    rng = random.Random(f"{run_seed}/{seed_id}/{round_}")
    return HEURISTICS[rng.randrange(len(HEURISTICS))], rng.getrandbits(31)


def evolve_prompt(heuristic: Heuristic, question: str) -> str:
    return TEMPLATE.format(method=heuristic.method, question=question.strip(),
                           question_mark=QUESTION_MARK, tests_mark=TESTS_MARK)


def request(text: str, chat: bool, **sampling) -> Request:
    """A request for ``text``: a chat message, or for a completion model the Alpaca prompt."""
    if chat:
        return Request(messages=(("user", text),), **sampling)
    return Request(prompt=ALPACA.format(instruction=text), **sampling)


@dataclass(frozen=True)
class Evolved:
    """What the evolver wrote: the new instruction and the source of its tests."""

    instruction: str
    tests: str


_FENCE = re.compile(r"^\s*```[\w+-]*\s*$", re.MULTILINE)


# Small evolvers rarely copy the headings exactly: "Rewritten Question:", "**Tests:**",
# "Rewritten Test:" all mark the same parts, and a heading left in the question would have the
# copies-template rule drop an evolution that followed the format.
_QUESTION_HEAD = re.compile(r"^(?:[ \t#*]*rewritten question[ \t#*]*:?[ \t*]*)+", re.I | re.M)
_TESTS_HEAD = re.compile(r"^[ \t#*]*(?:rewritten[ \t]+)?tests?[ \t#*]*:?[ \t*]*$", re.I | re.M)


def parse_evolved(text: str) -> Evolved:
    """Split the evolver's answer at its headings (``#Rewritten Question#``, ``#Tests#``, or
    the same words as ``Heading:`` lines). Without the question heading the text before the
    tests is the question; without the tests heading, the asserts in the answer are the tests
    (none: an empty string, which the code rules then reject)."""
    text = text.replace("\r\n", "\n")
    if "</think>" in text:
        text = text.rsplit("</think>", 1)[1]
    heading = _TESTS_HEAD.search(text)
    if heading:
        before, tests = text[:heading.start()], text[heading.end():]
    else:
        lines = text.split("\n")
        first = next((i for i, line in enumerate(lines) if asserts.assert_text(line)),
                     len(lines))
        before, tests = "\n".join(lines[:first]), "\n".join(lines[first:])
    question = _QUESTION_HEAD.split(before)[-1]
    tests = _FENCE.sub("", tests)
    return Evolved(_FENCE.sub("", question).strip(), tests.strip())


# The last sentence only: the question may share its line.
_DANGLING_LEAD = re.compile(r"[^.!?\n]*\bshould pass (?:these|this|the following) "
                            r"(?:tests?|assertions?)[\s:.]*$", re.IGNORECASE)


def shown(instruction: str, tests: asserts.Tests) -> str:
    """The question as the answerer sees it (and the pair keeps it): when it does not name the
    function the tests call, one test follows it as in MBPP's prompts, so that a right answer
    is not eliminated for a name or an argument order the question never gave."""
    if re.search(rf"\b{re.escape(tests.entry)}\b", instruction):
        return instruction
    # the evolver's own "Your code should pass these tests:" whose asserts went to the tests
    lead = _DANGLING_LEAD.sub("", instruction).rstrip()
    return f"{lead}\nYour code should pass this test:\n{tests.example()}"


def said_equal(text: str) -> bool:
    """Whether an equality check's answer says the two questions are equal."""
    lowered = " ".join(text.lower().split())
    return "equal" in lowered and "not equal" not in lowered and "unequal" not in lowered
