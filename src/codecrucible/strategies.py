"""Strategies: how a model's calls become candidates for a problem.

A strategy gets a problem, the sample indices still to produce, and a context holding the model
(cached and metered), the judge (a strategy never runs code itself) and its budget. It returns
one ``Candidate`` per sample, each with every attempt that led to it, so the tokens and time of
every round are charged to the problem. New strategies register with ``@register_strategy``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from codecrucible import prompting
from codecrucible.judging import Judge
from codecrucible.models import CachedModel, Completion, Request
from codecrucible.records import Problem, Verdict


@dataclass(frozen=True)
class Sampling:
    n: int = 1
    temperature: float = 0.0      # 0 is greedy
    top_p: float = 0.95
    max_tokens: int = 768
    seed: int = 0


@dataclass(frozen=True)
class Budget:
    """What one sample may spend: the first attempt plus up to ``rounds`` repairs."""

    rounds: int = 0


@dataclass
class Attempt:
    round: int
    request: Request
    completion: Completion
    code: str | None
    verdicts: dict[str, Verdict] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return bool(self.verdicts) and all(v.passed for v in self.verdicts.values())


@dataclass
class Candidate:
    task_id: str
    sample: int
    attempts: list[Attempt]

    @property
    def final(self) -> Attempt:
        return self.attempts[-1]

    @property
    def tokens(self) -> tuple[int, int]:
        return (sum(a.completion.tokens_in for a in self.attempts),
                sum(a.completion.tokens_out for a in self.attempts))


@dataclass
class Context:
    model: CachedModel
    judge: Judge
    sampling: Sampling
    budget: Budget

    def request(self, problem: Problem, sample: int) -> Request:
        s = self.sampling
        return prompting.first_request(problem, self.model.chat,
                                       prefill=getattr(self.model, "prefills", False),
                                       max_tokens=s.max_tokens, temperature=s.temperature,
                                       top_p=s.top_p,
                                       seed=seed_for(s.seed, problem.task_id, sample))


def seed_for(base: int, task_id: str, sample: int, round_: int = 0) -> int:
    """A seed per (task, sample, round): reruns and resumed runs draw the same samples."""
    digest = hashlib.sha256(f"{base}/{task_id}/{sample}/{round_}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


Strategy = Callable[[Problem, list[int], Context], list[Candidate]]
_STRATEGIES: dict[str, Strategy] = {}


def register_strategy(name: str) -> Callable[[Strategy], Strategy]:
    def add(strategy: Strategy) -> Strategy:
        _STRATEGIES[name] = strategy
        return strategy
    return add


def get(name: str) -> Strategy:
    if name not in _STRATEGIES:
        raise KeyError(f"unknown strategy {name!r} (known: {', '.join(sorted(_STRATEGIES))})")
    return _STRATEGIES[name]


def names() -> list[str]:
    return sorted(_STRATEGIES)


def _attempts(problem: Problem, requests: list[Request], rounds: list[int], ctx: Context
              ) -> list[Attempt]:
    """Generate every request in one model call (a shared prompt is processed once), then judge
    each answer; the sandbox runs them while the model serves the next problem."""
    completions = ctx.model.generate(requests)
    codes = [prompting.program(problem, r, c.text) for r, c in zip(requests, completions,
                                                                     strict=True)]
    futures = [ctx.judge.submit(problem.task_id, code) for code in codes]
    return [Attempt(round_, request, completion, code, future.result())
            for round_, request, completion, code, future
            in zip(rounds, requests, completions, codes, futures, strict=True)]


@register_strategy("single")
def single(problem: Problem, samples: list[int], ctx: Context) -> list[Candidate]:
    """n independent samples of the same prompt."""
    requests = [ctx.request(problem, s) for s in samples]
    attempts = _attempts(problem, requests, [0] * len(samples), ctx)
    return [Candidate(problem.task_id, s, [a]) for s, a in zip(samples, attempts, strict=True)]


@register_strategy("repair")
def repair(problem: Problem, samples: list[int], ctx: Context) -> list[Candidate]:
    """Self-repair: a failing candidate's verdict (the failing test or the error) goes back to
    the model, which writes a new candidate; up to ``budget.rounds`` times per sample."""
    candidates = single(problem, samples, ctx)
    for round_ in range(1, ctx.budget.rounds + 1):
        failing = [c for c in candidates if not c.final.passed]
        if not failing:
            break
        requests = [prompting.repair_request(problem, c.final.request, c.final.code,
                                             _first_failing(c.final))
                    .with_seed(seed_for(ctx.sampling.seed, problem.task_id, c.sample, round_))
                    for c in failing]
        for candidate, attempt in zip(failing, _attempts(problem, requests,
                                                         [round_] * len(failing), ctx),
                                      strict=True):
            candidate.attempts.append(attempt)
    return candidates


def _first_failing(attempt: Attempt) -> Verdict:
    return next(v for v in attempt.verdicts.values() if not v.passed)


from codecrucible import multiturn  # noqa: E402, F401 - registers "multiturn"
