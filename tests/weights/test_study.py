"""The study on synthetic features: end to end, killed with SIGKILL, resumed without redoing
a finished model; the cells' table and AUROCs come out."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from codecrucible.weights.study import planned, read_records

SCRIPT = Path(__file__).with_name("trojan_study_script.py")
sys.path.insert(0, str(SCRIPT.parent))
from trojan_study_script import CONFIG  # noqa: E402


def _run(out_dir: Path, pause: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(SCRIPT), str(out_dir), str(pause)])


def test_killed_study_resumes_without_redoing_models(tmp_path):
    log = tmp_path / "models.jsonl"
    first = _run(tmp_path, 0.5)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(read_records(log)) < 3:
        time.sleep(0.1)
    first.send_signal(signal.SIGKILL)
    first.wait()
    before = read_records(log)
    total = len(planned(CONFIG))
    assert 3 <= len(before) < total
    second = _run(tmp_path, 0.0)
    assert second.wait(timeout=300) == 0
    after = read_records(log)
    ids = [r["id"] for r in after]
    assert len(ids) == len(set(ids)) == total            # each model once
    assert after[:len(before)] == before                 # the finished ones kept, not redone
    rows = json.loads((tmp_path / "cells.json").read_text())
    assert [r["weights_test"] for r in rows] == ["reference-z", "dixon-q"]
    for row in rows:
        assert row["clean_models"] == row["poisoned_models"] == 3
        assert 0 <= row["weights_auroc"] <= 1 and 0 <= row["spectral_auroc"] <= 1
        assert row["attack_success_poisoned"] is not None
    assert "| defect | dci | 0.05 | linear | synthetic | 3/3 |" in \
        (tmp_path / "table.md").read_text()
