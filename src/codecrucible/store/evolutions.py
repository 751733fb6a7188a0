"""Evol-Instruct's evolutions as rows of the ``evolutions`` table, and back.

One row per evolution, written once it is decided (kept, or eliminated by a named rule) in
one statement, keyed by (run, id), so a run killed at any moment keeps every decided
evolution and a resumed one neither repeats nor duplicates them. A seed is stored as the
round-0 row of its lineage: every later row names its parent, so a kept instruction's whole
history (seed, heuristics, rounds) can be read back.
"""

from __future__ import annotations

import time
from dataclasses import astuple, dataclass, fields


@dataclass(frozen=True)
class Evolution:
    """One evolution of one seed's lineage (round 0: the seed itself)."""

    id: str                  # "<seed id>@<round>"
    seed_id: str
    round: int
    parent: str | None       # the id of the instruction it evolved (None for a seed)
    heuristic: str | None
    instruction: str
    tests: str | None        # the assert statements the evolver wrote
    answer: str | None       # the answerer's whole answer
    code: str | None         # the program found in it, as judged
    kept: bool
    rule: str | None         # the elimination rule that removed it
    why: str | None
    evolver_raw: str | None  # the evolver's whole answer
    tokens_in: int = 0       # both calls together: the evolver's and the answerer's
    tokens_out: int = 0
    model_s: float = 0.0     # model time of those calls (0 for cache hits)


COLUMNS = tuple(f.name for f in fields(Evolution))
INSERT = (f"INSERT OR IGNORE INTO evolutions (run_id, {', '.join(COLUMNS)}, created) "
          f"VALUES ({', '.join('?' * (len(COLUMNS) + 2))})")
_KEPT = COLUMNS.index("kept")


def evolution_id(seed_id: str, round_: int) -> str:
    return f"{seed_id}@{round_}"


def rows(run_id: str, evolutions: list[Evolution]) -> list[tuple]:
    """The values of ``INSERT`` for each evolution."""
    now = time.time()
    return [(run_id, *(int(v) if name == "kept" else v
                       for name, v in zip(COLUMNS, astuple(e), strict=True)), now)
            for e in evolutions]


def read(db, run_id: str) -> list[Evolution]:
    """A run's evolutions, seeds first, then round by round."""
    cursor = db.execute(f"SELECT {', '.join(COLUMNS)} FROM evolutions WHERE run_id = ?"
                        " ORDER BY round, rowid", (run_id,))
    return [Evolution(**{**dict(zip(COLUMNS, row, strict=True)), "kept": bool(row[_KEPT])})
            for row in cursor]
