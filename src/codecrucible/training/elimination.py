"""When an evolution fails: WizardLM's elimination rules and the code rules, each named.

WizardLM (notes/papers.md §2) drops an evolution whose new instruction adds no information,
whose answer shows the model struggled (it says sorry and is short), whose answer is only
punctuation and stop words, or whose instruction copies the evolving prompt's own words. The
first is judged by ChatGPT there; here it is a cheap textual check (the new instruction uses no
word the old one did not), so elimination costs no model call, and optionally (``--equality-check``)
the evolver's own judgement too (``judging.Batch._compared``). For code we add: the answer
holds parseable code defining the function the tests call, the tests are usable, the code
runs in the sandbox without error, and it passes those tests. A rule that fires gives a
``Rejection``: the rule's name and why, stored with the evolution.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from codecrucible.records import Status, Verdict

RULES = {
    "copies-template": "the new instruction copies words of the evolving prompt",
    "no-information-gain": "the new instruction adds nothing to the old one",
    "no-tests": "the evolver wrote no usable assert statement",
    "refusal": "the answer says sorry and is short (under 80 words)",
    "stop-words-only": "the answer is only punctuation and stop words",
    "no-code": "the answer holds no parseable code defining the tested function",
    "contaminated": "instruction and answer overlap a benchmark (n-gram decontamination)",
    "runtime-error": "the code does not run without error in the sandbox",
    "fails-tests": "the code fails the tests the evolver wrote",
}
SHORT_ANSWER_WORDS = 80
# A run of this many words of the evolving prompt's own text (its method, its instructions)
# in the new question is a copy: the 0.5B evolver pasted "replace a requirement that
# programming tasks commonly have..." and "write three to five Python assert statements"
# into questions that WizardLM's phrase list let through.
COPIED_RUN_WORDS = 6
# WizardLM's examples, and the headings of our own template (heuristics.py).
TEMPLATE_PHRASES = ("given prompt", "rewritten prompt", "given question", "rewritten question",
                    "given test", "rewritten test", "#tests#")
STOP_WORDS = frozenset("""a about above after again against all am an and any are as at be
because been before being below between both but by can could did do does doing down during
each few for from further had has have having he her here hers herself him himself his how i
if in into is it its itself just me more most my myself no nor not now of off on once only or
other our ours ourselves out over own same she should so some such than that the their theirs
them themselves then there these they this those through to too under until up very was we
were what when where which while who whom why will with would you your yours yourself
yourselves ok okay yes sure here""".split())
_WORD = re.compile(r"[a-z0-9_]+")


@dataclass(frozen=True)
class Rejection:
    rule: str
    why: str


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def instruction_rejection(instruction: str, parent: str, template: str = ""
                          ) -> Rejection | None:
    """WizardLM's rules that read only the new instruction (and its parent); ``template`` is
    the evolving prompt without the question, whose runs of words must not be copied."""
    lowered = " ".join(instruction.lower().split())
    copied = next((p for p in TEMPLATE_PHRASES if p in lowered), None)
    if copied is not None:
        return Rejection("copies-template", f"the instruction contains {copied!r}")
    run = copied_run(instruction, template, parent)
    if run is not None:
        return Rejection("copies-template", f"the instruction copies the prompt's {run!r}")
    if not instruction.strip():
        return Rejection("no-information-gain", "the new instruction is empty")
    new = set(words(instruction)) - set(words(parent))
    if not new:
        return Rejection("no-information-gain",
                         "the new instruction uses no word the old one lacked")
    return None


def copied_run(instruction: str, template: str, parent: str) -> str | None:
    """The instruction's first run of ``COPIED_RUN_WORDS`` words that ``template`` holds and
    its parent does not (a question may keep its own words)."""
    def runs(text: str) -> list[tuple[str, ...]]:
        found = words(text)
        return [tuple(found[i:i + COPIED_RUN_WORDS])
                for i in range(len(found) - COPIED_RUN_WORDS + 1)]
    copied = set(runs(template)) - set(runs(parent))
    return next((" ".join(run) for run in runs(instruction) if run in copied), None)


def answer_rejection(answer: str) -> Rejection | None:
    """WizardLM's rules that read the answer."""
    found = words(answer)
    if "sorry" in found and len(answer.split()) < SHORT_ANSWER_WORDS:
        return Rejection("refusal", f"the answer says sorry in {len(answer.split())} words")
    if all(w in STOP_WORDS for w in found):
        return Rejection("stop-words-only",
                         f"the answer is only punctuation and stop words ({answer[:60]!r})")
    return None


def verdict_rejection(verdict: Verdict) -> Rejection | None:
    """The code rules the referee's verdict decides."""
    if verdict.status is Status.PASSED:
        return None
    detail = (verdict.first_failure or verdict.status.value)[:300]
    # A wrong value fails the tests; a test that raised, or a run that ended before
    # answering them all, did not run without error.
    if verdict.status is Status.FAILED and "stopped after" not in detail \
            and ": raised " not in detail:
        return Rejection("fails-tests", detail)
    if verdict.status is Status.NO_CODE:
        return Rejection("no-code", detail)
    return Rejection("runtime-error", f"{verdict.status.value}: {detail}")
