"""The judge seam: candidate programs in, named scores and findings out.

A judge says what it ``needs``: ``"text"`` (it reads programs, never runs them: radon, ruff and
bandit parse the code, they never import it) or ``"referee"`` (it runs correct programs in the
sandbox, through the run's referee: efficiency). Judges work on batches, because the linters
they wrap start once per batch rather than once per program.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from codecrucible.correctness.expected import TimeLimits

TEXT, REFEREE = "text", "referee"


@dataclass(frozen=True)
class Finding:
    """One thing a judge found in a program: a lint rule or a security issue."""

    judge: str
    rule: str                    # "N802", "B602", "S307"
    message: str
    line: int
    severity: str | None = None  # LOW, MEDIUM, HIGH (security)
    confidence: str | None = None
    cwe: int | None = None


@dataclass
class Assessment:
    """Every score and finding for one program; scores are named ``judge.metric``."""

    scores: dict[str, float] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def merge(self, other: Assessment) -> None:
        self.scores.update(other.scores)
        self.findings.extend(other.findings)


@dataclass(frozen=True)
class Program:
    """One candidate's final program as a judge sees it: its task, its code (None when the
    answer held none) and whether it passed every suite."""

    task_id: str
    code: str | None
    passed: bool = False


@dataclass
class Setting:
    """What a run gives judges that run programs: its referee (``correctness.referee``), time
    limits and memory per program; and a place for what they keep between batches."""

    referee: Any = None
    limits: TimeLimits = field(default_factory=TimeLimits)
    memory_mb: int = 1024
    _kept: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: Any = field(default_factory=threading.Lock, repr=False)

    def keep(self, key: str, make: Callable[[], Any]) -> Any:
        """The object kept under ``key`` for this run, made on first need (the efficiency
        judge's profiler, which profiles each task's reference once)."""
        with self._lock:
            if key not in self._kept:
                self._kept[key] = make()
            return self._kept[key]


class Judge(Protocol):
    """Turns a batch of programs into one ``Assessment`` each, in order.

    ``needs`` is ``"text"`` or ``"referee"`` (then ``setting.referee`` is the run's referee);
    ``facts`` is what a run records of how the judge measures (its keys are recorded with
    None when the judge is not chosen). Example, a judge of programs' length::

        class Length:
            name, needs = "length", "text"

            def assess(self, programs, setting=None):
                return [Assessment({"length.lines": float(len((p.code or "").splitlines()))})
                        for p in programs]

            def facts(self):
                return {}

        judges.REGISTRY.add("length", Length())   # or an entry point naming the class
    """

    name: str
    needs: str

    def assess(self, programs: Sequence[Program], setting: Setting | None = None
               ) -> list[Assessment]: ...

    def facts(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class TextJudge:
    """A judge that reads programs' text only, made from a function of a batch of texts."""

    name: str
    judge: Callable[[Sequence[str]], list[Assessment]]
    needs: str = TEXT

    def __call__(self, programs: Sequence[str]) -> list[Assessment]:
        return self.judge(programs)

    def assess(self, programs: Sequence[Program], setting: Setting | None = None
               ) -> list[Assessment]:
        # A candidate without code has nothing to judge: it is judged as an empty program.
        return self.judge([p.code or "" for p in programs])

    def facts(self) -> dict[str, Any]:
        return {}


def text_judge(function: Callable[[Sequence[str]], list[Assessment]]) -> TextJudge:
    """A decorator: the function, over a batch of texts, as the judge of its own name."""
    return TextJudge(function.__name__, function)
