"""Judges beyond correctness: each turns candidate programs into named scores and findings.

A judge reads a program's text; none of them runs it (static analysis only: radon, ruff and
bandit parse the code, they never import it). Judges work on batches, because the linters they
wrap start once per batch rather than once per program. New judges register with
``@register_judge``; ``assess`` runs a chosen set and merges their results per program.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


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


StaticJudge = Callable[[Sequence[str]], list[Assessment]]
_JUDGES: dict[str, StaticJudge] = {}
# Judges that run the program, in the sandbox, through a run's judge (``efficiency.py``).
RUNNING_JUDGES = ("efficiency",)


def register_judge(name: str) -> Callable[[StaticJudge], StaticJudge]:
    def add(judge: StaticJudge) -> StaticJudge:
        _JUDGES[name] = judge
        return judge
    return add


def names() -> list[str]:
    _load_builtins()
    return sorted([*_JUDGES, *RUNNING_JUDGES])


def parse_selection(text: str) -> tuple[str, ...]:
    """``--judges`` as given: "all", "none" or a comma-separated list of names."""
    known = names()
    if text in ("", "none"):
        return ()
    if text == "all":
        return tuple(known)
    chosen = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise ValueError(f"unknown judge {unknown[0]!r} (known: {', '.join(known)}, all, none)")
    return chosen


def assess(chosen: Sequence[str], programs: Sequence[str]) -> list[Assessment]:
    """Every chosen static judge on every program; one merged ``Assessment`` per program."""
    _load_builtins()
    out = [Assessment() for _ in programs]
    for name in (name for name in chosen if name in _JUDGES):
        for merged, assessment in zip(out, _JUDGES[name](programs), strict=True):
            merged.merge(assessment)
    return out


def _load_builtins(_done: list[bool] = []) -> None:  # noqa: B006 - import once
    if not _done:
        from codecrucible.judges import quality, security  # noqa: F401
        _done.append(True)


__all__ = ["RUNNING_JUDGES", "Assessment", "Finding", "assess", "names", "parse_selection",
           "register_judge"]
