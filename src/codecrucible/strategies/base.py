"""The strategy seam: how a model's calls become candidates for a problem.

A strategy gets a problem, the sample indices still to produce, and a ``Context`` holding the
model (cached and metered), the referee (a strategy never runs code itself: it submits programs
and reads their verdicts) and its sampling settings and budget. It returns one ``Candidate`` per
sample, each with every attempt that led to it, so the tokens and time of every round are charged
to the problem. Strategies register by name in ``codecrucible.strategies.REGISTRY``.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol

from codecrucible.models import CachedModel
from codecrucible.records import Candidate, Problem, Request, Verdict
from codecrucible.strategies import prompting


class Referee(Protocol):
    """What a strategy may ask of the one path to a verdict (``correctness.referee``)."""

    def submit(self, task_id: str, code: str | None) -> Future[dict[str, Verdict]]:
        """Verdicts per suite for ``code`` on ``task_id``; ``None`` means no code was found."""
        ...


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
class Context:
    model: CachedModel
    referee: Referee
    sampling: Sampling
    budget: Budget

    def request(self, problem: Problem, sample: int) -> Request:
        s = self.sampling
        return prompting.first_request(problem, self.model.chat,
                                       prefill=getattr(self.model, "prefills", False),
                                       max_tokens=s.max_tokens, temperature=s.temperature,
                                       top_p=s.top_p,
                                       seed=seed_for(s.seed, problem.task_id, sample))


class Strategy(Protocol):
    def __call__(self, problem: Problem, samples: list[int], ctx: Context) -> list[Candidate]:
        ...


def seed_for(base: int, task_id: str, sample: int, round_: int = 0) -> int:
    """A seed per (task, sample, round): reruns and resumed runs draw the same samples."""
    digest = hashlib.sha256(f"{base}/{task_id}/{sample}/{round_}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF
