"""Judges beyond correctness: each turns candidate programs into named scores and findings.

Judges follow the ``Judge`` protocol (``base.py``) and register by name in ``REGISTRY`` (or
through an entry point in the group ``codecrucible.judges``); ``assess`` runs a chosen set on a
batch of programs and merges their results per program.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from codecrucible.judges.base import (
    REFEREE,
    TEXT,
    Assessment,
    Finding,
    Judge,
    Program,
    Setting,
    TextJudge,
    text_judge,
)
from codecrucible.registry import Registry, instance

REGISTRY: Registry[Judge] = Registry("judge", "codecrucible.judges", {
    "efficiency": "codecrucible.judges.efficiency:EfficiencyJudge",
    "maintainability": "codecrucible.judges.quality:maintainability",
    "style": "codecrucible.judges.quality:style",
    "security": "codecrucible.judges.security:security",
}, make=instance)


get, names = REGISTRY.get, REGISTRY.names


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


def assess(chosen: Sequence[str], programs: Sequence[Program | str],
           setting: Setting | None = None) -> list[Assessment]:
    """Every chosen judge on every program; one merged ``Assessment`` per program. A program
    given as text has no task and did not pass; judges that need the referee need
    ``setting``. Judges that read text run first, so each program's scores keep one order."""
    batch = [p if isinstance(p, Program) else Program("", p) for p in programs]
    out = [Assessment() for _ in batch]
    for judge in sorted((get(name) for name in chosen), key=lambda j: j.needs != TEXT):
        if judge.needs == REFEREE and (setting is None or setting.referee is None):
            raise ValueError(f"the {judge.name} judge runs programs: it needs a referee")
        for merged, assessment in zip(out, judge.assess(batch, setting), strict=True):
            merged.merge(assessment)
    return out


def facts(chosen: Sequence[str]) -> dict[str, Any]:
    """What a run records of how its judges measure: every judge's facts, None where the judge
    is not chosen, so every run's record has the same keys."""
    out: dict[str, Any] = {}
    for name in names():
        found = get(name).facts()
        out.update(found if name in chosen else dict.fromkeys(found))
    return out


__all__ = ["REFEREE", "REGISTRY", "TEXT", "Assessment", "Finding", "Judge", "Program", "Setting",
           "TextJudge", "assess", "facts", "get", "names", "parse_selection", "text_judge"]
