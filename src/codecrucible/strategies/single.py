"""The ``single`` strategy: n independent samples of the same prompt."""

from __future__ import annotations

from collections.abc import Sequence

from codecrucible.records import Attempt, Candidate, Problem, Request
from codecrucible.strategies import prompting
from codecrucible.strategies.base import Budget, Context, no_rounds


class Single:
    """n independent samples of the same prompt; one model call each."""

    def check(self, budget: Budget, problems: Sequence[Problem]) -> None:
        no_rounds(budget)

    def __call__(self, problem: Problem, samples: list[int], ctx: Context) -> list[Candidate]:
        requests = [ctx.request(problem, s) for s in samples]
        attempts = attempts_for(problem, requests, [0] * len(samples), ctx)
        return [Candidate(problem.task_id, s, [a])
                for s, a in zip(samples, attempts, strict=True)]


single = Single()


def attempts_for(problem: Problem, requests: list[Request], rounds: list[int], ctx: Context
                 ) -> list[Attempt]:
    """Generate every request in one model call (a shared prompt is processed once), then judge
    each answer; the sandbox runs them while the model serves the next problem."""
    completions = ctx.model.generate(requests)
    codes = [prompting.program(problem, r, c.text) for r, c in zip(requests, completions,
                                                                     strict=True)]
    futures = [ctx.referee.submit(problem.task_id, code) for code in codes]
    return [Attempt(round_, request, completion, code, future.result())
            for round_, request, completion, code, future
            in zip(rounds, requests, completions, codes, futures, strict=True)]
