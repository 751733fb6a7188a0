"""Scores for problems judged by a number (``Problem.check == "score"``).

The candidate's entry point runs in the sandbox like a ``"calls"`` problem and sends back the
value of each call as data (``wire``: exact builtin types only, so no object with a forged
``__float__`` or ``__eq__`` crosses). Here, in the harness, the benchmark's trusted scorer reads
the decoded inputs and values of a suite and returns the score, or raises to say that the
values are not a valid answer. The candidate's process never computes its own score, so it
can only earn one by returning values that are worth it.

A scorer is named ``"module:function"`` and is called as ``scorer(inputs, values)`` with a
list of argument tuples and the list of values returned for them. Its inputs are untrusted
data: it must check them (types, sizes) before using them; whatever it raises marks the
candidate invalid, never the harness. It returns the score, or a ``Scored`` with the named
numbers (components) that explain it; raising ``Invalid`` gives those numbers for an invalid
answer too. Components reach the verdict from the scorer only, never from the candidate.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import replace

from codecrucible.correctness.expected import TaskTests
from codecrucible.records import Invalid, Problem, Scored, Status, Verdict
from codecrucible.sandbox import wire

Scorer = Callable[[list, list], float | Scored]


def scorer_of(problem: Problem) -> Scorer:
    """The function ``problem.scorer`` names."""
    module, _, name = (problem.scorer or "").partition(":")
    if not module or not name:
        raise ValueError(f"{problem.task_id}: a score problem needs a scorer 'module:function'"
                         f" (got {problem.scorer!r})")
    return getattr(importlib.import_module(module), name)


def scored(verdicts: dict[str, Verdict], result: dict, tests: TaskTests, problem: Problem
           ) -> dict[str, Verdict]:
    """``verdicts`` with each passed suite's score; a suite whose values the scorer rejects
    fails (and so does every later one, as with tests)."""
    scorer = scorer_of(problem)
    out: dict[str, Verdict] = {}
    rejected = False
    for suite, span in tests.suite_slices().items():
        verdict = verdicts[suite]
        if rejected and verdict.passed:
            verdict = replace(verdict, status=Status.FAILED,
                              first_failure="an earlier suite did not pass")
        elif verdict.passed:
            value, why, components = _score(scorer, result, tests, span)
            if why is None:
                verdict = replace(verdict, score=value, components=components)
            else:
                rejected = True
                verdict = replace(verdict, status=Status.FAILED, tests_passed=0,
                                  first_failure=f"{suite}: not a valid answer: {why}"[:300],
                                  components=components)
        out[suite] = verdict
    return out


def _score(scorer: Scorer, result: dict, tests: TaskTests, span: range
           ) -> tuple[float | None, str | None, dict[str, float]]:
    """(score, None, components), or (None, why the values are not valid, components)."""
    try:
        frames = result.get("frames", [])
        values = [wire.loads(frames[i])[1] for i in span]
        inputs = [wire.loads(tests.args[i]) for i in span]
    except (ValueError, TypeError, LookupError, RecursionError) as err:
        return None, f"malformed values ({type(err).__name__})", {}
    try:
        found = scorer(inputs, values)
        scored = found if isinstance(found, Scored) else Scored(float(found))
        value = float(scored.score)
    except Invalid as err:
        return None, str(err), _plain(err.components)
    except Exception as err:  # the scorer rejected them, or choked on hostile data
        return None, f"{type(err).__name__}: {err}", {}
    if not math.isfinite(value):
        return None, f"the score is {value}", {}
    return value, None, _plain(scored.components)


def _plain(components: dict) -> dict[str, float]:
    """Components as the store's JSON holds them: names and finite plain floats."""
    out = {}
    for name, value in components.items():
        number = float(value)
        if math.isfinite(number):
            out[str(name)] = number
    return out
