"""The ``repair`` strategy: self-repair with execution feedback.

A failing candidate's verdict (the failing test or the error) goes back to the model, which
writes a new candidate; up to ``budget.rounds`` times per sample.
"""

from __future__ import annotations

from codecrucible.records import Attempt, Candidate, Problem, Verdict
from codecrucible.strategies import prompting
from codecrucible.strategies.base import Context, seed_for
from codecrucible.strategies.single import attempts_for, single


def repair(problem: Problem, samples: list[int], ctx: Context) -> list[Candidate]:
    """Sample as ``single`` does, then repair each failing sample, round by round."""
    candidates = single(problem, samples, ctx)
    for round_ in range(1, ctx.budget.rounds + 1):
        failing = [c for c in candidates if not c.final.passed]
        if not failing:
            break
        requests = [prompting.repair_request(problem, c.final.request, c.final.code,
                                             _first_failing(c.final))
                    .with_seed(seed_for(ctx.sampling.seed, problem.task_id, c.sample, round_))
                    for c in failing]
        for candidate, attempt in zip(failing, attempts_for(problem, requests,
                                                            [round_] * len(failing), ctx),
                                      strict=True):
            candidate.attempts.append(attempt)
    return candidates


def _first_failing(attempt: Attempt) -> Verdict:
    return next(v for v in attempt.verdicts.values() if not v.passed)
