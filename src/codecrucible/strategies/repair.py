"""The ``repair`` strategy: self-repair with execution feedback.

A failing candidate's verdict (the failing test or the error) goes back to the model, which
writes a new candidate; up to ``budget.rounds`` times per sample, and only while the sample's
model calls and tokens are within ``budget.calls`` and ``budget.tokens``.

Under greedy decoding a model that repeats its failing program would be sent the request it
already answered, and would answer it the same way. The request then says the program was a
repeat; if even that request was sent before, the sample stops: its remaining rounds count as
spent, since another call could only return the same program.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from codecrucible.records import Attempt, Candidate, Problem, Request, Verdict
from codecrucible.strategies import prompting
from codecrucible.strategies.base import Budget, Context, seed_for
from codecrucible.strategies.single import attempts_for, single


class Repair:
    """Sample as ``single`` does, then repair each failing sample, round by round."""

    def check(self, budget: Budget, problems: Sequence[Problem]) -> None:
        pass  # every budget applies

    def __call__(self, problem: Problem, samples: list[int], ctx: Context) -> list[Candidate]:
        candidates = single(problem, samples, ctx)
        for round_ in range(1, ctx.budget.rounds + 1):
            failing, requests = [], []
            for c in candidates:
                request = None if c.final.passed or ctx.budget.spent(c.attempts) \
                    else _next_request(problem, c)
                if request is not None:
                    failing.append(c)
                    requests.append(request.with_seed(
                        seed_for(ctx.sampling.seed, problem.task_id, c.sample, round_)))
            if not failing:
                break
            for candidate, attempt in zip(failing, attempts_for(problem, requests,
                                                                [round_] * len(failing), ctx),
                                          strict=True):
                candidate.attempts.append(attempt)
        return candidates


repair = Repair()


def _next_request(problem: Problem, candidate: Candidate) -> Request | None:
    """The repair request for a failing candidate, or None when greedy decoding could only
    repeat an answer it already gave."""
    last = candidate.final
    request = prompting.repair_request(problem, last.request, last.code, _first_failing(last))
    if request.temperature != 0:
        return request  # a new seed, a new sample
    sent = {replace(a.request, seed=0) for a in candidate.attempts}
    if replace(request, seed=0) not in sent:
        return request
    request = prompting.repair_request(problem, last.request, last.code, _first_failing(last),
                                       repeated=True)
    return None if replace(request, seed=0) in sent else request


def _first_failing(attempt: Attempt) -> Verdict:
    return next(v for v in attempt.verdicts.values() if not v.passed)
