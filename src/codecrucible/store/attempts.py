"""An attempt as a row of the ``attempts`` table, and back.

A row holds everything a search needs to continue from the program without asking the model
or the sandbox again: the request (its JSON), the answer and what it cost, the code found in
it, and the verdicts per suite (their JSON; none for a program that was not judged). Reading a
row back gives an ``Attempt`` equal to the one written, so a resumed search replays it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields

from codecrucible.records import Attempt, Completion, Request, Status, Verdict

COLUMNS = ("round", "request", "raw", "code", "status", "feedback", "tokens_in", "tokens_out",
           "latency_s", "cached", "finish_reason", "score", "verdicts", "model")
_VERDICT_FIELDS = frozenset(f.name for f in fields(Verdict))


def attempt_score(verdicts: dict[str, Verdict]) -> float | None:
    """An attempt's score: the mean of its suites' scores when every suite has one (a valid
    answer to a score problem), else None."""
    scores = [v.score for v in verdicts.values()]
    return None if not scores or None in scores else sum(scores) / len(scores)


def verdicts_json(verdicts: dict[str, Verdict]) -> str | None:
    """An attempt's verdicts per suite as JSON (status, tests, failure, output, wall and CPU
    seconds, memory, score, the scorer's components, the cascade stage that decided it); None
    for an attempt that was not judged."""
    if not verdicts:
        return None
    return json.dumps({suite: asdict(v) | {"status": v.status.value}
                       for suite, v in verdicts.items()})


def overall(verdicts: dict[str, Verdict]) -> str:
    """One status for an attempt: the first suite that did not pass decides. An attempt that
    was not judged (an intermediate turn of a multi-turn program, a refused repeat) is
    "unjudged"."""
    if not verdicts:
        return "unjudged"
    return next((v.status.value for v in verdicts.values() if not v.passed), Status.PASSED.value)


def row(attempt: Attempt) -> tuple:
    """The values of ``COLUMNS`` for ``attempt``."""
    a, c = attempt, attempt.completion
    failing = [v for v in a.verdicts.values() if not v.passed]
    return (a.round, json.dumps(asdict(a.request)), c.text, a.code, overall(a.verdicts),
            failing[0].first_failure if failing else None, c.tokens_in, c.tokens_out,
            c.latency_s, int(c.cached), c.finish_reason, attempt_score(a.verdicts),
            verdicts_json(a.verdicts), c.model)


def from_row(values: tuple) -> Attempt:
    """The attempt a row of ``COLUMNS`` was written from."""
    stored = dict(zip(COLUMNS, values, strict=True))
    request = json.loads(stored["request"])
    if request.get("messages") is not None:
        request["messages"] = tuple(tuple(m) for m in request["messages"])
    request["stop"] = tuple(request.get("stop") or ())
    completion = Completion(stored["raw"], stored["tokens_in"], stored["tokens_out"],
                            stored["latency_s"], stored["finish_reason"] or "stop",
                            bool(stored["cached"]), stored["model"])
    return Attempt(stored["round"], Request(**request), completion, stored["code"],
                   _verdicts(stored["verdicts"]))


def _verdicts(text: str | None) -> dict[str, Verdict]:
    out = {}
    for suite, data in json.loads(text or "{}").items():
        known = {k: v for k, v in data.items() if k in _VERDICT_FIELDS}
        out[suite] = Verdict(**(known | {"status": Status(data["status"])}))
    return out
