"""The strategy seam: how a model's calls become candidates for a problem.

A strategy gets a problem, the sample indices still to produce, and a ``Context`` holding the
model (cached and metered), the referee (a strategy never runs code itself: it submits programs
and reads their verdicts) and its sampling settings and budget. It returns one ``Candidate`` per
sample, each with every attempt that led to it, so the tokens and time of every round are charged
to the problem. Strategies register by name in ``codecrucible.strategies.REGISTRY``, each with
a check of the options it accepts, so the run engine tests no strategy by name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Protocol

from codecrucible.models import Model
from codecrucible.records import Attempt, Candidate, Problem, Request, Verdict
from codecrucible.strategies import prompting


class Referee(Protocol):
    """What a strategy may ask of the one path to a verdict (``correctness.referee``).

    Strategies see only this protocol, never the concrete referee. Example, a strategy's
    use::

        verdicts = ctx.referee.submit(problem.task_id, code).result()
        passed = all(v.passed for v in verdicts.values())
    """

    def submit(self, task_id: str, code: str | None) -> Future[dict[str, Verdict]]:
        """Verdicts per suite for ``code`` on ``task_id``; ``None`` means no code was found."""
        ...


class Journal(Protocol):
    """Where a strategy keeps each program of a sample still in progress, as it is produced, so
    a long search killed in the middle loses none of its finished programs.

    ``record`` is called once per judged attempt; ``stored`` returns, in round order, what was
    recorded for a sample before (by a run that was killed): a strategy that can continue from
    them replays each one whose request it would send again, instead of asking the model and
    the sandbox a second time. Example, a search's round::

        replayed = {a.round: a for a in ctx.journal.stored(problem.task_id, sample)}
        attempt = replayed.get(round_)
        if attempt is None or attempt.request != request:
            attempt = ...                        # ask the model, judge the program
            ctx.journal.record(problem.task_id, sample, attempt)
    """

    def record(self, task_id: str, sample: int, attempt: Attempt) -> None: ...

    def stored(self, task_id: str, sample: int) -> list[Attempt]: ...


class NoJournal:
    """Keeps nothing: the journal of a strategy run outside a stored run."""

    def record(self, task_id: str, sample: int, attempt: Attempt) -> None:
        pass

    def stored(self, task_id: str, sample: int) -> list[Attempt]:
        return []


@dataclass(frozen=True)
class Sampling:
    n: int = 1
    temperature: float = 0.0      # 0 is greedy
    top_p: float = 0.95
    max_tokens: int = 768
    seed: int = 0


@dataclass(frozen=True)
class Budget:
    """What one sample may spend: the first attempt plus up to ``rounds`` repairs, and at most
    ``calls`` model calls and ``tokens`` tokens (in and out, every attempt's); None is no
    limit. The first attempt is always made; a strategy makes no call once either is spent,
    so studies can hold budgets equal across strategies."""

    rounds: int = 0
    calls: int | None = None
    tokens: int | None = None

    def spent(self, attempts: Sequence[Attempt]) -> bool:
        """Whether a sample that made ``attempts`` may call the model no more."""
        if self.calls is not None and len(attempts) >= self.calls:
            return True
        used = sum(a.completion.tokens_in + a.completion.tokens_out for a in attempts)
        return self.tokens is not None and used >= self.tokens


@dataclass
class Context:
    """What a strategy works with: the model (cached and metered), the referee, its sampling
    settings, its budget per sample, and the journal its programs are kept in as they come."""

    model: Model
    referee: Referee
    sampling: Sampling
    budget: Budget
    journal: Journal = field(default_factory=NoJournal)

    def request(self, problem: Problem, sample: int) -> Request:
        """A sample's first request; its ``trial`` is the sample, and every later request of
        the sample keeps it (with several models, it picks the one that answers)."""
        s = self.sampling
        return prompting.first_request(problem, self.model.chat, prefill=self.model.prefills,
                                       max_tokens=s.max_tokens, temperature=s.temperature,
                                       top_p=s.top_p,
                                       seed=seed_for(s.seed, problem.task_id, sample),
                                       trial=sample)


class Strategy(Protocol):
    """How a model's calls become candidates for a problem.

    ``check`` refuses, before any model time is spent, options or problems the strategy cannot
    use, with a ``ValueError`` saying why (the run engine reports its message as is); it is
    called with no problems first, for the options alone. ``__call__`` returns one
    ``Candidate`` per sample in ``samples``. Example, the best of two answers::

        class BestOfTwo:
            def check(self, budget, problems):
                if budget.rounds:
                    raise ValueError("--rounds: this strategy makes no rounds")

            def __call__(self, problem, samples, ctx):
                out = []
                for sample in samples:
                    request = ctx.request(problem, sample)
                    attempts = []
                    for round_, answer in enumerate(ctx.model.generate([request] * 2)):
                        code = prompting.program(problem, request, answer.text)
                        verdicts = ctx.referee.submit(problem.task_id, code).result()
                        attempts.append(Attempt(round_, request, answer, code, verdicts))
                    attempts.sort(key=lambda a: a.passed)  # the last (final) one is the best
                    out.append(Candidate(problem.task_id, sample, attempts))
                return out

        strategies.REGISTRY.add("best-of-two", BestOfTwo())   # or an entry point

    A strategy that can ask for edits of a program instead of whole programs (``crucible run
    --diffs``) also has ``with_diffs()``, returning itself so configured; the run engine
    refuses ``--diffs`` for a strategy without it.
    """

    def check(self, budget: Budget, problems: Sequence[Problem]) -> None: ...

    def __call__(self, problem: Problem, samples: list[int], ctx: Context) -> list[Candidate]:
        ...


def no_rounds(budget: Budget) -> None:
    """The check of a strategy that makes no repair rounds."""
    if budget.rounds:
        raise ValueError("--rounds applies to the repair and evolve strategies only")


def seed_for(base: int, task_id: str, sample: int, round_: int = 0) -> int:
    """A seed per (task, sample, round): reruns and resumed runs draw the same samples."""
    digest = hashlib.sha256(f"{base}/{task_id}/{sample}/{round_}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF
