"""``crucible instruct`` as a user runs it: evolve against real local servers (an evolver and
an answerer), killed with SIGKILL mid-run, resumed, then exported; and one-line errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time

import pytest
from support import CRUCIBLE, LocalServer, crucible, rows
from training.scripted import EVOLVED, RIGHT

pytestmark = pytest.mark.timeout(300)


def chat(text: str) -> dict:
    return {"id": "x", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}}


@pytest.fixture
def seeds(tmp_path):
    path = tmp_path / "seeds.jsonl"
    path.write_text("".join(json.dumps({"instruction": f"Write a function number {i}.",
                                        "input": "", "output": f"def f(): return {i}"}) + "\n"
                            for i in range(3)))
    return path


def test_killed_with_sigkill_it_resumes_and_exports(tmp_path, seeds, data_dir):
    hold = threading.Event()
    hold.set()
    # Round 1 is three requests (batches of one); the fourth, round 2's first, is held.
    evolver = LocalServer(lambda n: None if n > 3 and hold.is_set() else (200, chat(EVOLVED)))
    answerer = LocalServer(lambda n: (200, chat(RIGHT)))
    db = tmp_path / "runs.db"
    args = ["instruct", "evolve", "--seeds", str(seeds), "--rounds", "2", "--batch", "1",
            "--evolver", f"openai:{evolver.url}#m", "--answerer", f"openai:{answerer.url}#m",
            "--store", str(db), "--data-dir", str(data_dir), "-j", "1"]
    try:
        process = subprocess.Popen([CRUCIBLE, *args], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while evolver.requests < 4 and time.monotonic() < deadline:
            time.sleep(0.2)
        os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)
        [(run_id,)] = rows(db, "SELECT id FROM runs")
        assert rows(db, "SELECT round, COUNT(*) FROM evolutions GROUP BY round") == \
            [(0, 3), (1, 3)]
        hold.clear()
        resumed = crucible("instruct", "evolve", "--resume", run_id, "--store", str(db),
                           "--data-dir", str(data_dir), "-j", "1")
        assert resumed.returncode == 0, resumed.stderr
        assert "evolutions: 6 (3 now, 3 before); kept 3" in resumed.stdout
        assert "eliminated by no-information-gain: 3" in resumed.stdout
        assert evolver.requests == 4 + 3   # round 2 again, the held request included
    finally:
        evolver.close()
        answerer.close()
    ids = rows(db, "SELECT id FROM evolutions")
    assert len(ids) == len(set(ids)) == 9
    out = tmp_path / "evolved.jsonl"
    exported = crucible("instruct", "export", run_id, "-o", str(out), "--store", str(db))
    assert exported.returncode == 0, exported.stderr
    pairs = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(pairs) == 3 and pairs[0]["output"] == RIGHT
    assert "removed by no-information-gain: 3" in exported.stdout


def test_a_malformed_seed_line_is_one_line_naming_file_and_line(tmp_path, seeds, data_dir):
    seeds.write_text(seeds.read_text() + "{oops\n")
    result = crucible("instruct", "evolve", "--seeds", str(seeds), "--evolver", "openai:"
                      "http://127.0.0.1:9/v1#m", "--store", str(tmp_path / "runs.db"),
                      "--data-dir", str(data_dir))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {seeds}:4: not valid JSON (Expecting property name enclosed in double quotes:"
        " line 1 column 2 (char 1))"]
    assert rows(tmp_path / "runs.db", "SELECT COUNT(*) FROM runs") == [(0,)]


def test_export_of_an_unknown_run_is_one_line(tmp_path):
    db = tmp_path / "runs.db"
    from codecrucible.store import Store
    Store(db).close()
    result = crucible("instruct", "export", "nope", "-o", str(tmp_path / "x.jsonl"),
                      "--store", str(db))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: no run 'nope' in {db}"


def test_help_shows_examples():
    result = crucible("instruct", "evolve", "--help")
    assert result.returncode == 0
    assert "crucible instruct evolve --limit 20 --rounds 3" in result.stdout
    assert "crucible instruct export 3f2a9c1b7d4e -o evolved.jsonl" in result.stdout
