"""crucible eval runs each distinct program of a task once and shares its verdict."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from codecrucible.runs.from_samples import evaluate
from codecrucible.store import Store

CRUCIBLE = str(Path(sys.executable).with_name("crucible"))
RIGHT = "def add(x, y):\n    return x + y\n"
WRONG = "def add(x, y):\n    return x - y\n"
SAMPLES = [RIGHT,                                  # 0: run
           RIGHT,                                  # 1: a copy of 0
           RIGHT.replace("\n", "   \r\n") + "\n",  # 2: 0 up to trailing whitespace
           WRONG,                                  # 3: run
           "# another\n" + RIGHT,                  # 4: run: other text
           WRONG]                                  # 5: a copy of 3


def _write(path: Path) -> Path:
    path.write_text("".join(json.dumps({"task_id": "HumanEval/53", "solution": s}) + "\n"
                            for s in SAMPLES))
    return path


def _rows(store: Store, run_id: str) -> dict[int, dict]:
    return {r["sample"]: r for r in store.verdicts(run_id)}


def test_copies_run_once_and_share_the_verdict(tmp_path, data_dir):
    store = Store(tmp_path / "s.db")
    result = evaluate(_write(tmp_path / "s.jsonl"), "humaneval", store, data_dir=data_dir,
                      slots=2)
    assert (result.executed, result.shared, result.judged_now) == (3, 3, 6)
    rows = _rows(store, result.run_id)
    assert {n: r.get("shared_from") for n, r in rows.items()} == {
        0: None, 1: 0, 2: 0, 3: None, 4: None, 5: 3}
    assert [rows[n]["status"] for n in range(6)] == ["passed"] * 3 + ["failed"] + \
        ["passed", "failed"]
    for copy, first in ((1, 0), (2, 0), (5, 3)):
        assert {k: v for k, v in rows[copy].items() if k not in ("sample", "shared_from")} \
            == {k: v for k, v in rows[first].items() if k != "sample"}


def test_no_dedupe_runs_every_copy(tmp_path, data_dir):
    store = Store(tmp_path / "s.db")
    result = evaluate(_write(tmp_path / "s.jsonl"), "humaneval", store, data_dir=data_dir,
                      slots=2, dedupe=False)
    assert (result.executed, result.shared) == (6, 0)
    rows = _rows(store, result.run_id)
    assert not any("shared_from" in r for r in rows.values())
    assert [rows[n]["status"] for n in range(6)] == ["passed"] * 3 + ["failed"] + \
        ["passed", "failed"]


def test_the_command_line_says_so_and_the_details_mark_copies(tmp_path, data_dir):
    samples = _write(tmp_path / "s.jsonl")
    env = {"CRUCIBLE_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path)}
    runs = {}
    for flag in ("--dedupe", "--no-dedupe"):
        details = tmp_path / f"details{flag}.jsonl"
        done = subprocess.run([CRUCIBLE, "eval", str(samples), "-b", "humaneval", "-j", "2",
                               "--store", str(tmp_path / f"{flag}.db"), "--details",
                               str(details), flag], env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        runs[flag] = (done.stdout + done.stderr,
                      [json.loads(line) for line in details.read_text().splitlines()])
    text, rows = runs["--dedupe"]
    assert "3 distinct programs of 6 samples" in " ".join(text.split())
    assert [r.get("shared_from") for r in rows] == [None, 0, 0, None, None, 3]
    text, rows = runs["--no-dedupe"]
    assert "distinct programs" not in text
    assert not any("shared_from" in r for r in rows)


def test_an_eval_made_before_the_option_keeps_its_key():
    from codecrucible.runs.from_samples import EvalConfig
    config = EvalConfig("humaneval", "s.jsonl", "abc")
    # the key codecrucible gave this config before --no-dedupe existed (f079e04)
    assert config.key() == "5b373631de4d9a5ded6754c774be733c43560f346d2b4c533a455245237b5899"
    assert EvalConfig("humaneval", "s.jsonl", "abc", dedupe=False).key() != config.key()
