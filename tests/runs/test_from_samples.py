"""crucible eval end to end: known pass@k, statuses, resume after kill -9, exports."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codecrucible import benchmarks
from codecrucible.report.summary import summarize, write_details
from codecrucible.runs.from_samples import evaluate
from codecrucible.runs.samples import SampleError
from codecrucible.store import Store

CRUCIBLE = str(Path(sys.executable).with_name("crucible"))
TASKS = [f"HumanEval/{i}" for i in range(8)]


def _samples(data_dir: Path) -> list[dict]:
    """Per task: canonical (pass), canonical again (pass), wrong, empty, endless, crash."""
    problems = {p.task_id: p for p in benchmarks.get("humaneval+").load(data_dir)}
    rows = []
    for task in TASKS:
        rows += [
            {"task_id": task, "solution": problems[task].reference},
            {"task_id": task, "solution": problems[task].reference},
            {"task_id": task, "completion": "    return None\n"},
            {"task_id": task, "completion": ""},
            {"task_id": task, "completion": "    while True:\n        pass\n"},
            {"task_id": task, "completion": "    return 1/0\n"},
        ]
    return rows


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory, data_dir):
    path = tmp_path_factory.mktemp("samples") / "mix.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in _samples(data_dir)))
    return path


@pytest.fixture(scope="module")
def finished(tmp_path_factory, sample_file, data_dir):
    store = Store(tmp_path_factory.mktemp("store") / "crucible.db")
    result = evaluate(sample_file, "humaneval+", store, data_dir=data_dir, slots=2)
    return store, result


def test_pass_at_1_is_exactly_the_known_value(finished):
    store, result = finished
    report = summarize(store, result.run_id)
    for suite in ("base", "plus"):
        assert report.suites[suite].problems == len(TASKS)
        assert report.suites[suite].samples == 6 * len(TASKS)
        # 2 of 6 samples per task are correct: pass@1 = 1/3 exactly
        assert report.suites[suite].pass_at_k["pass@1"] == pytest.approx(1 / 3)
        # pass@5 = 1 - C(4,5)/C(6,5) = 1 since only 4 are wrong
        assert report.suites[suite].pass_at_k["pass@5"] == pytest.approx(1.0)


def test_each_failure_gets_its_own_status(finished):
    store, result = finished
    statuses = store.status_counts(result.run_id, "base")
    n = len(TASKS)
    # `return None` gives wrong answers; `1/0` raises in every test: both are failures
    assert statuses == {"passed": 2 * n, "failed": 2 * n, "no_code": n, "timeout": n}


def test_verdicts_say_why(finished):
    store, result = finished
    rows = {(r["task_id"], r["sample"], r["suite"]): r for r in store.verdicts(result.run_id)}
    wrong = rows[("HumanEval/0", 2, "base")]
    assert wrong["status"] == "failed" and "expected" in wrong["first_failure"]
    crash = rows[("HumanEval/0", 5, "base")]
    assert "raised ZeroDivisionError" in crash["first_failure"]
    assert rows[("HumanEval/0", 0, "plus")]["tests_passed"] == \
        rows[("HumanEval/0", 0, "plus")]["tests_total"] > 500


def test_details_have_a_line_per_sample_and_suite(finished, tmp_path):
    store, result = finished
    path = tmp_path / "details.jsonl"
    assert write_details(store, result.run_id, path) == 2 * 6 * len(TASKS)
    first = json.loads(path.read_text().splitlines()[0])
    assert {"task_id", "sample", "suite", "status", "tests_passed", "tests_total"} <= first.keys()


def test_resume_of_a_finished_run_judges_nothing_again(finished, sample_file, data_dir):
    store, result = finished
    again = evaluate(sample_file, "humaneval+", store, data_dir=data_dir, resume=True, slots=2)
    assert again.run_id == result.run_id and again.judged_now == 0
    assert again.already_judged == 6 * len(TASKS)


def test_resume_without_an_earlier_run_is_an_error(sample_file, data_dir, tmp_path):
    with pytest.raises(SampleError, match="nothing to resume"):
        evaluate(sample_file, "humaneval+", Store(tmp_path / "s.db"), data_dir=data_dir,
                 resume=True)


def test_unknown_task_ids_are_named(tmp_path, data_dir):
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({"task_id": "Mbpp/2", "solution": "x"}) + "\n")
    with pytest.raises(SampleError, match="not in humaneval.*Mbpp/2"):
        evaluate(path, "humaneval", Store(tmp_path / "s.db"), data_dir=data_dir)


def test_original_humaneval_and_mbpp_judge_recorded_calls(tmp_path, data_dir):
    problems = {p.task_id: p for p in benchmarks.get("mbpp").load(data_dir)}
    rows = [{"task_id": t, "solution": problems[t].reference} for t in ("Mbpp/11", "Mbpp/12")]
    rows.append({"task_id": "Mbpp/11", "solution": "def remove_Occ(s, ch):\n    return s\n"})
    path = tmp_path / "mbpp.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    store = Store(tmp_path / "s.db")
    result = evaluate(path, "mbpp", store, data_dir=data_dir, slots=2)
    assert store.counts(result.run_id, "base") == {"Mbpp/11": (2, 1), "Mbpp/12": (1, 1)}


def _slow_samples(path: Path, count: int) -> None:
    """Samples that each take ~0.15 s: correct for even indices, wrong for odd ones; all
    distinct (a comment numbers them), so each one runs."""
    rows = []
    for i in range(count):
        answer = "a + b" if i % 2 == 0 else "a - b"
        rows.append({"task_id": "HumanEval/53", "solution":
                     f"# sample {i}\nimport time\ntime.sleep(0.15)\ndef add(a, b):\n"
                     f"    return {answer}\n"})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _verdict_rows(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return sorted(conn.execute("SELECT task_id, sample, suite, status, tests_passed, "
                                   "tests_total FROM verdicts").fetchall())


def test_kill_9_then_resume_matches_an_uninterrupted_run(tmp_path, data_dir):
    samples = tmp_path / "slow.jsonl"
    _slow_samples(samples, 60)
    env = dict(os.environ, CRUCIBLE_DATA_DIR=str(data_dir))
    base = [CRUCIBLE, "eval", str(samples), "-b", "humaneval+", "-j", "2"]

    killed_db = tmp_path / "killed.db"
    proc = subprocess.Popen(base + ["--store", str(killed_db)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.2)
        try:
            if killed_db.exists() and len(_verdict_rows(killed_db)) >= 20:
                break
        except sqlite3.OperationalError:  # the store is still being created
            continue
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = len(_verdict_rows(killed_db))
    assert 0 < partial < 2 * 60, "the run should have been killed part-way"

    resumed = subprocess.run(base + ["--store", str(killed_db), "--resume"], env=env,
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed run" in resumed.stderr

    clean_db = tmp_path / "clean.db"
    clean = subprocess.run(base + ["--store", str(clean_db)], env=env, capture_output=True,
                           text=True, timeout=300)
    assert clean.returncode == 0, clean.stderr
    assert _verdict_rows(killed_db) == _verdict_rows(clean_db)
    assert len(_verdict_rows(clean_db)) == 2 * 60
    with sqlite3.connect(killed_db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1


def _verdicts_of(rows: list[dict], tmp_path, data_dir) -> dict[int, dict]:
    """Evaluate samples on HumanEval; their verdicts by sample number."""
    path = tmp_path / "s.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    store = Store(tmp_path / "s.db")
    result = evaluate(path, "humaneval", store, data_dir=data_dir, slots=2)
    return {r["sample"]: r for r in store.verdicts(result.run_id)}


def test_loading_and_each_test_have_their_own_time_allowance(tmp_path, data_dir):
    """A slow import is covered by the load allowance (1 s); a program stuck in its first test
    is stopped after that test's window (0.25 s + 4x the reference), not the load allowance."""
    rows = [{"task_id": "HumanEval/53", "solution":
             "import time\ntime.sleep(0.8)\ndef add(x, y):\n    return x + y\n"},
            {"task_id": "HumanEval/53", "solution": "def add(x, y):\n    while True:\n"
                                                     "        pass\n"}]
    verdicts = _verdicts_of(rows, tmp_path, data_dir)
    assert verdicts[0]["status"] == "passed", verdicts[0]
    assert verdicts[1]["status"] == "timeout"
    assert verdicts[1]["wall_s"] < 0.9, verdicts[1]


def test_a_crash_without_output_says_how_the_program_ended(tmp_path, data_dir):
    rows = [{"task_id": "HumanEval/53", "solution":
             "import ctypes\n\ndef add(x, y):\n    ctypes.string_at(0)\n"},
            {"task_id": "HumanEval/53", "solution":
             "import os\n\ndef add(x, y):\n    os._exit(3)\n"}]
    verdicts = _verdicts_of(rows, tmp_path, data_dir)
    assert verdicts[0]["status"] == "error"
    assert verdicts[0]["first_failure"].endswith(
        "the program was killed by SIGSEGV before answering"), verdicts[0]
    assert verdicts[1]["first_failure"].endswith(
        "the program exited with code 3 before answering"), verdicts[1]
