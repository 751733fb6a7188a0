"""``crucible run -s evolve`` end to end with the embedded model: a tiny hill climb on circle
packing stores every program it produced, each with its round, status and score."""

from __future__ import annotations

import json

import pytest
from support import crucible, rows

pytestmark = pytest.mark.timeout(1800)  # three real model calls on a busy machine


def test_an_evolve_run_stores_every_program_with_its_score(tmp_path):
    db = tmp_path / "s.db"
    # Short answers keep three calls cheap; a cut-off program is judged like any other.
    out = crucible("run", "-s", "evolve", "-b", "discovery", "--task",
                   "Discovery/circle_packing_26", "--rounds", "2", "--max-tokens", "64",
                   "--store", str(db), timeout=1700)
    assert out.returncode == 0, out.stdout + out.stderr
    attempts = rows(db, "SELECT round, status, score, verdicts FROM attempts ORDER BY round")
    assert [a[0] for a in attempts] == [0, 1, 2]             # one per round, none lost
    for _, status, score, verdicts in attempts:
        assert status in ("passed", "failed", "error", "timeout", "no_code", "unjudged")
        assert (score is not None) == (status == "passed"), attempts  # a valid answer's score
        if status != "unjudged":                              # what judging it showed
            assert json.loads(verdicts)["base"]["status"] == status
    scores = [score for _, _, score, _ in attempts if score is not None]
    [(final,)] = rows(db, "SELECT score FROM verdicts")
    assert final == (max(scores) if scores else None)        # the best program is the answer
