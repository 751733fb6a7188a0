"""``crucible run`` end to end on the real embedded model: generation, judging, the response
cache, resume after kill -9, repair rounds, bad models and tampered files."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from support import CRUCIBLE, crucible, rows, run_id_of

# Module fixtures run the embedded model; their time counts against the first test's limit.
pytestmark = pytest.mark.timeout(900)
FIRST3 = ("--task", "HumanEval/0", "--task", "HumanEval/2", "--task", "HumanEval/4")


def _samples(db: Path) -> int:
    try:
        return rows(db, "SELECT COUNT(*) FROM samples")[0][0]
    except sqlite3.OperationalError:  # the store is still being created
        return 0


@pytest.fixture(scope="module", autouse=True)
def _module_cache(tmp_path_factory):
    """These tests check what the model itself returns and when the cache answers instead: they
    get a response cache of their own, so answers that other modules' runs left in the
    session's cache are not served here."""
    previous = os.environ["CRUCIBLE_CACHE_DIR"]
    private = tmp_path_factory.mktemp("run-cache")
    (private / "models").symlink_to((Path(previous) / "models").resolve(),
                                    target_is_directory=True)
    os.environ["CRUCIBLE_CACHE_DIR"] = str(private)
    yield
    os.environ["CRUCIBLE_CACHE_DIR"] = previous


@pytest.fixture(scope="module")
def greedy_run(tmp_path_factory, data_dir):
    db = tmp_path_factory.mktemp("run") / "runs.db"
    result = crucible("run", *FIRST3, "--store", str(db), "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    return db, result


def test_greedy_run_prints_pass_at_1_and_stores_everything(greedy_run):
    db, result = greedy_run
    assert "pass@1" in result.stdout and "humaneval" in result.stdout
    samples = rows(db, "SELECT task_id, sample, raw, code FROM samples")
    assert sorted(s[0] for s in samples) == ["HumanEval/0", "HumanEval/2", "HumanEval/4"]
    for _, _, raw, code in samples:
        assert raw.strip() and "def " in code  # raw answer and extracted program, both kept
    attempts = rows(db, "SELECT tokens_in, tokens_out, latency_s, cached, request FROM attempts")
    assert len(attempts) == 3
    for tokens_in, tokens_out, latency, cached, request in attempts:
        assert tokens_in > 50 and tokens_out > 0 and latency > 0 and cached == 0
        assert json.loads(request)["temperature"] == 0.0
    (run_id, finished) = rows(db, "SELECT id, finished FROM runs")[0]
    assert finished is not None
    assert f"run {run_id} started" in result.stderr  # told at once, to resume a lost terminal
    passed = rows(db, "SELECT COUNT(*) FROM verdicts WHERE status = 'passed'")[0][0]
    assert passed >= 2  # the 0.5B model solves these easy ones greedily


def test_a_second_identical_run_is_served_by_the_cache(greedy_run, data_dir):
    db, first = greedy_run
    again = crucible("run", *FIRST3, "--store", str(db), "--data-dir", str(data_dir))
    assert again.returncode == 0, again.stderr
    second_id = run_id_of(again.stderr + again.stdout)
    cached = rows(db, f"SELECT cached FROM attempts WHERE run_id = '{second_id}'")
    assert cached == [(1,), (1,), (1,)]
    codes = rows(db, "SELECT run_id, task_id, code FROM samples ORDER BY task_id, run_id")
    by_task: dict[str, set] = {}
    for _, task, code in codes:
        by_task.setdefault(task, set()).add(code)
    assert all(len(c) == 1 for c in by_task.values())
    report = crucible("report", "--store", str(db))
    assert report.returncode == 0, report.stderr
    assert second_id in report.stdout and "pass@1" in report.stdout
    assert "tokens in / out" in report.stdout


def test_kill_9_during_generation_then_resume_equals_an_uninterrupted_run(tmp_path, data_dir):
    tasks = [f"HumanEval/{i}" for i in (2, 4, 7, 12)]
    args = ["run", "--data-dir", str(data_dir)] + [a for t in tasks for a in ("--task", t)]
    killed = tmp_path / "killed.db"
    proc = subprocess.Popen([CRUCIBLE, *args, "--store", str(killed)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if killed.exists() and _samples(killed) >= 1:
            break
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = rows(killed, "SELECT COUNT(*) FROM samples")[0][0]
    assert 0 < partial < len(tasks), "the run should have been killed part-way"
    (run_id,) = rows(killed, "SELECT id FROM runs")[0]
    resumed = crucible("run", "--resume", run_id, "--store", str(killed),
                       "--data-dir", str(data_dir))
    assert resumed.returncode == 0, resumed.stderr
    assert f"{partial} samples were already judged" in resumed.stderr

    # The uninterrupted run gets a fresh response cache: it really generates every answer.
    fresh_cache = tmp_path / "cache"
    fresh_cache.mkdir()
    (fresh_cache / "models").symlink_to(Path(os.environ["CRUCIBLE_CACHE_DIR"]) / "models")
    whole = tmp_path / "whole.db"
    straight = crucible(*args, "--store", str(whole),
                        env_extra={"CRUCIBLE_CACHE_DIR": str(fresh_cache)})
    assert straight.returncode == 0, straight.stderr
    query = ("SELECT s.task_id, s.sample, s.code, v.suite, v.status FROM samples s JOIN verdicts"
             " v USING (run_id, task_id, sample) ORDER BY 1, 2, 4")
    assert rows(killed, query) == rows(whole, query)
    assert len(rows(killed, "SELECT id FROM runs")) == 1


def test_sampling_draws_n_seeded_samples(tmp_path, data_dir):
    db = tmp_path / "n.db"
    args = ("run", "--task", "HumanEval/4", "-n", "3", "-t", "0.8", "--max-tokens", "200",
            "--store", str(db), "--data-dir", str(data_dir))
    result = crucible(*args)
    assert result.returncode == 0, result.stderr
    assert "pass@1" in result.stdout and "pass@2" in result.stdout
    seeds = [json.loads(r[0])["seed"] for r in rows(db, "SELECT request FROM attempts")]
    assert len(set(seeds)) == 3
    first = rows(db, "SELECT sample, raw FROM samples ORDER BY sample")
    again = crucible(*args)  # same seeds: the cache answers, nothing is drawn anew
    assert again.returncode == 0
    run2 = run_id_of(again.stderr + again.stdout)
    assert rows(db, f"SELECT sample, raw FROM samples WHERE run_id = '{run2}' ORDER BY sample"
                ) == first


def test_repair_feeds_failures_back_for_each_round(tmp_path, data_dir):
    db = tmp_path / "repair.db"
    # Eight tokens cannot hold a solution: every round fails, so every round is spent.
    result = crucible("run", "-s", "repair", "--rounds", "2", "--max-tokens", "8",
                      "--task", "HumanEval/0", "--store", str(db), "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    attempts = rows(db, "SELECT round, status, request, tokens_in FROM attempts ORDER BY round")
    assert [a[0] for a in attempts] == [0, 1, 2]
    assert all(a[1] != "passed" for a in attempts)
    second = json.loads(attempts[1][2])
    assert second["messages"][-1][0] == "user" and "Fix the program" in second["messages"][-1][1]
    assert attempts[2][3] > attempts[0][3]  # the conversation grows; each round is charged
    usage = crucible("report", "--store", str(db))
    assert "3" in next(line for line in usage.stdout.splitlines() if "model calls" in line)


def test_an_answer_without_code_is_no_code(tmp_path, data_dir):
    db = tmp_path / "nocode.db"
    result = crucible("run", "--max-tokens", "1", "--task", "HumanEval/0", "--store", str(db),
                      "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    assert rows(db, "SELECT status FROM verdicts") == [("no_code",)]
    assert "no_code" in result.stdout


@pytest.mark.parametrize("args, message", [
    (("-m", "embedded:nope"), "unknown embedded model"),
    (("-m", "gguf:/nonexistent/model.gguf"), "no such file"),
    (("-m", "warp:drive"), "unknown backend 'warp'"),
    (("-m", "qwen"), "expected SCHEME:WHAT"),
    (("-n", "4"), "temperature 0 is greedy"),
    (("--limit", "0"), "--limit must be at least 1"),
    (("--limit", "-3"), "--limit must be at least 1"),
    (("-b", "nosuchbench"), "nosuchbench"),
    (("--task", "HumanEval/999"), "no task 'HumanEval/999'"),
    (("--resume", "feedfacecafe"), "no run 'feedfacecafe'"),
])
def test_bad_input_is_one_line_and_exit_2(args, message, tmp_path, data_dir):
    db = tmp_path / "bad.db"
    result = crucible("run", *args, "--store", str(db), "--data-dir", str(data_dir))
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr and result.stderr.count("\n") == 1
    if db.exists():
        assert rows(db, "SELECT COUNT(*) FROM runs") == [(0,)]  # no half-made run left


def test_a_gguf_file_with_one_changed_byte_is_refused(tmp_path, data_dir):
    from codecrucible.models.llama import CATALOG
    original = CATALOG["qwen2.5-coder-0.5b"].path
    copy = tmp_path / "model.gguf"
    data = bytearray(original.read_bytes())
    data[len(data) // 2] ^= 0x01
    copy.write_bytes(bytes(data))
    pin = CATALOG["qwen2.5-coder-0.5b"].sha256
    result = crucible("run", "-m", f"gguf:{copy}#sha256={pin}", "--task", "HumanEval/0",
                      "--store", str(tmp_path / "x.db"), "--data-dir", str(data_dir))
    assert result.returncode == 2
    assert "does not match" in result.stderr and str(copy) in result.stderr

    # The same goes for the embedded model's own file in the cache.
    cache = tmp_path / "cache"
    (cache / "models").mkdir(parents=True)
    (cache / "models" / original.name).write_bytes(bytes(data))
    result = crucible("run", "--task", "HumanEval/0", "--store", str(tmp_path / "y.db"),
                      "--data-dir", str(data_dir), env_extra={"CRUCIBLE_CACHE_DIR": str(cache)})
    assert result.returncode == 2
    assert "does not match the pinned" in result.stderr
    models = crucible("models", env_extra={"CRUCIBLE_CACHE_DIR": str(cache)})
    assert "differs" in models.stdout


def test_models_lists_the_four_embedded_models():
    result = crucible("models")
    assert result.returncode == 0, result.stderr
    for name in ("qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b", "gemma-3-270m", "smollm2-135m"):
        assert name in result.stdout
    assert "ready" in result.stdout


def test_ctrl_c_keeps_what_was_judged_and_says_how_to_resume(tmp_path, data_dir):
    db = tmp_path / "int.db"
    # Tasks no other test asks for: answers must really be generated, not served by the cache.
    tasks = ("--task", "HumanEval/5", "--task", "HumanEval/6", "--task", "HumanEval/8")
    # A suite started in the background inherits an ignored SIGINT; the user's shell would not.
    proc = subprocess.Popen([CRUCIBLE, "run", *tasks, "--store", str(db), "--data-dir",
                             str(data_dir)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None and _samples(db) < 1:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "--resume" in err and str(db) in err
    kept = _samples(db)
    assert kept >= 1
    (run_id,) = rows(db, "SELECT id FROM runs")[0]
    resumed = crucible("run", "--resume", run_id, "--store", str(db), "--data-dir", str(data_dir))
    assert resumed.returncode == 0, resumed.stderr
    assert _samples(db) == 3


def test_sigterm_twice_stops_at_once_and_says_how_to_resume(tmp_path, data_dir):
    """SIGTERM is a Ctrl-C: the first says the run stops after the answer in progress, a
    second stops it now, with the way to resume."""
    db = tmp_path / "term.db"
    tasks = ("--task", "HumanEval/9", "--task", "HumanEval/10")
    proc = subprocess.Popen([CRUCIBLE, "run", *tasks, "--store", str(db), "--data-dir",
                             str(data_dir)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None and not _runs(db):
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    time.sleep(1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "stopping after the answer in progress" in err
    (run_id,) = rows(db, "SELECT id FROM runs")[0]
    assert f"--resume {run_id}" in err and str(db) in err


def _runs(db: Path) -> int:
    try:
        return rows(db, "SELECT COUNT(*) FROM runs")[0][0]
    except sqlite3.OperationalError:
        return 0
