"""``crucible run -s evolve`` end to end with the embedded model: a hill climb on circle
packing, killed with SIGKILL once two programs are stored, then resumed: no finished program is
lost or made again, and every program is stored with its round, status and score."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time

import pytest
from support import CRUCIBLE, crucible, rows

pytestmark = pytest.mark.timeout(1800)  # four real model calls on a busy machine

COLUMNS = "round, request, raw, code, status, score, verdicts, cached, latency_s, tokens_out"


def test_an_evolve_run_killed_and_resumed_loses_and_repeats_no_program(tmp_path):
    db = tmp_path / "s.db"
    # Short answers keep the calls cheap; a cut-off program is judged like any other.
    run = subprocess.Popen([CRUCIBLE, "run", "-s", "evolve", "-b", "discovery", "--task",
                            "Discovery/circle_packing_26", "--rounds", "3", "--max-tokens", "48",
                            "-t", "0.8", "--store", str(db)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_programs(db, 2, run)
        run.send_signal(signal.SIGKILL)                        # kill -9, mid-search
        run.wait(60)
    finally:
        if run.poll() is None:
            run.kill()
    before = rows(db, f"SELECT {COLUMNS} FROM attempts ORDER BY round")
    assert len(before) >= 2 and not rows(db, "SELECT * FROM verdicts")   # a search in progress
    [(run_id,)] = rows(db, "SELECT id FROM runs")

    out = crucible("run", "--resume", run_id, "--store", str(db), timeout=1700,
                   env_extra={"CRUCIBLE_PROGRESS_INTERVAL": "0"})
    assert out.returncode == 0, out.stdout + out.stderr
    # Progress counts programs against the budget and shows the best fitness so far.
    assert re.search(r"programs (\d+)/\1, Discovery/circle_packing_26: ", out.stderr), out.stderr
    after = rows(db, f"SELECT {COLUMNS} FROM attempts ORDER BY round")
    assert [a[0] for a in after] == [0, 1, 2, 3]                # one per round, none lost
    # Every program finished before the kill is there unchanged: not asked for again (an
    # answer asked again would come from the cache, marked so) and not run again (its
    # verdicts' wall and CPU seconds would differ).
    assert after[:len(before)] == before
    for _, _, _, _, status, score, verdicts, _, _, _ in after:
        assert status in ("passed", "failed", "error", "timeout", "no_code", "unjudged")
        assert (score is not None) == (status == "passed"), after  # a valid answer's score
        if status != "unjudged":                                   # what judging it showed
            assert json.loads(verdicts)["base"]["status"] == status
    scores = [a[5] for a in after if a[5] is not None]
    [(final,)] = rows(db, "SELECT score FROM verdicts")
    assert final == (max(scores) if scores else None)           # the best program is the answer


def _wait_for_programs(db, count: int, run: subprocess.Popen, limit_s: float = 1500):
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        assert run.poll() is None, f"the run ended early: {run.stderr.read()}"
        if os.path.exists(db) and rows(db, "SELECT name FROM sqlite_master "
                                           "WHERE name = 'attempts'") and \
                rows(db, "SELECT COUNT(*) FROM attempts")[0][0] >= count:
            return
        time.sleep(0.5)
    pytest.fail(f"fewer than {count} programs stored in {limit_s} s")
