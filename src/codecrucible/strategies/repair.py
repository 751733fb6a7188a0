"""The ``repair`` strategy: self-repair with execution feedback.

A failing candidate's verdict (the failing test or the error) goes back to the model, which
writes a new candidate; up to ``budget.rounds`` times per sample, and only while the sample's
model calls and tokens are within ``budget.calls`` and ``budget.tokens``.
"""

from __future__ import annotations

from collections.abc import Sequence

from codecrucible.records import Attempt, Candidate, Problem, Verdict
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
            failing = [c for c in candidates
                       if not c.final.passed and not ctx.budget.spent(c.attempts)]
            if not failing:
                break
            requests = [prompting.repair_request(problem, c.final.request, c.final.code,
                                                 _first_failing(c.final))
                        .with_seed(seed_for(ctx.sampling.seed, problem.task_id, c.sample,
                                            round_))
                        for c in failing]
            for candidate, attempt in zip(failing, attempts_for(problem, requests,
                                                                [round_] * len(failing), ctx),
                                          strict=True):
                candidate.attempts.append(attempt)
        return candidates


repair = Repair()


def _first_failing(attempt: Attempt) -> Verdict:
    return next(v for v in attempt.verdicts.values() if not v.passed)
