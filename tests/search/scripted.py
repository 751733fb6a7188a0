"""A scripted model and a referee that judges programs by the number they return, for the
search strategies' protocol tests."""

from __future__ import annotations

import re
from concurrent.futures import Future

from codecrucible import strategies
from codecrucible.models import CachedModel
from codecrucible.records import Completion, Problem, Status, Verdict
from codecrucible.strategies import Context, NoJournal, Sampling

SCORED = Problem(task_id="S/0", benchmark="toy", prompt="def best():\n",
                 instruction="Return a large number.", entry_point="best",
                 reference="def best():\n    return 1\n", inputs={"base": [()]},
                 check="score", scorer="toy:score")
TESTED = Problem(task_id="T/0", benchmark="toy", prompt="def best():\n",
                 instruction="Return 3.", entry_point="best",
                 reference="def best():\n    return 3\n", inputs={"base": [()]})


def program(value: int, name: str = "x", doc: str = "") -> str:
    return f"def best():\n    {doc}{name} = {value}\n    return {name}\n"


class _Scripted:
    """A model that answers with the next program of its script, one per call."""

    spec = identity = "scripted:"
    chat, prefills, serial, concurrency = True, True, False, 4

    def __init__(self, programs: list[str], tokens_out: int = 3):
        self.programs, self.tokens_out, self.requests = list(programs), tokens_out, []

    def generate(self, requests):
        self.requests += requests
        return [Completion(f"{self.programs.pop(0)}```", 10, self.tokens_out, 0.0)
                for _ in requests]

    def describe(self):
        return {}

    def close(self):
        pass


class _ByValue:
    """Judges a program by the number it returns: a score (negative: not a valid answer), its
    digits as a component, or, for a pass/fail problem, 3 of 4 tests passed unless it
    returns 3."""

    def __init__(self, scored: bool):
        self.scored, self.submitted = scored, []

    def submit(self, task_id, code):
        self.submitted.append(code)
        if code is None:   # as the real referee judges an answer without code
            return _done(Verdict(Status.NO_CODE, 0, 1, "the answer holds no usable code"))
        value = int(re.search(r"= (-?\d+)", code).group(1))
        digits = {"digits": float(len(str(abs(value))))}   # what a scorer might explain
        if self.scored and value >= 0:
            verdict = Verdict(Status.PASSED, 1, 1, score=float(value), components=digits)
        elif self.scored:
            verdict = Verdict(Status.FAILED, 0, 1, "base: not a valid answer: ValueError: "
                              "negative", components=digits)
        elif value == 3:
            verdict = Verdict(Status.PASSED, 4, 4)
        else:
            verdict = Verdict(Status.FAILED, 3, 4, "best() returned 5, expected 3")
        return _done(verdict)


def _done(verdict: Verdict) -> Future:
    done = Future()
    done.set_result({"base": verdict})
    return done


def edit(search: str, replace: str) -> str:
    """An answer of one SEARCH/REPLACE block."""
    return f"<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"


def searched(strategy, problem, programs, budget, n=1, tokens_out=3, diffs=False,
             journal=None):
    model = _Scripted(programs, tokens_out)
    referee = _ByValue(problem.check == "score")
    ctx = Context(CachedModel(model, None), referee, Sampling(n=n, temperature=0.5), budget,
                  journal or NoJournal())
    chosen = strategies.get(strategy)
    chosen = chosen.with_diffs() if diffs else chosen
    return chosen(problem, list(range(n)), ctx), model, referee


def climbed(problem, programs, budget, n=1, tokens_out=3):
    return searched("evolve", problem, programs, budget, n, tokens_out)
