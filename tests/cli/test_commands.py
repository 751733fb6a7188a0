"""The crucible command as a user runs it: real subprocesses, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CRUCIBLE = str(Path(sys.executable).with_name("crucible"))


def crucible(*args: str, data_dir: Path | None = None, timeout: float = 120, cwd=None):
    env = dict(os.environ)
    if data_dir is not None:
        env["CRUCIBLE_DATA_DIR"] = str(data_dir)
    return subprocess.run([CRUCIBLE, *args], capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=cwd)


def test_help_shows_examples():
    result = crucible("--help")
    assert result.returncode == 0
    assert "crucible eval samples.jsonl -b humaneval+" in result.stdout
    assert "sandbox" in result.stdout and "doctor" in result.stdout


def test_benchmarks_lists_sizes_and_data_status(data_dir):
    result = crucible("benchmarks", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    for name, size in (("humaneval", "164"), ("humaneval+", "164"), ("mbpp+", "378"),
                       ("mbpp", "500"), ("mbpp-sanitized", "427")):
        line = next(line for line in result.stdout.splitlines() if f" {name} " in line)
        assert size in line and " ok " in line


def test_doctor_reports_every_layer():
    result = crucible("doctor")
    assert result.returncode == 0, result.stderr
    for layer in ("landlock", "seccomp", "rlimits", "uid", "network", "tmpfs"):
        assert layer in result.stdout
    if os.geteuid() == 0:
        assert "uid" in result.stdout and "active: uid" in result.stdout


@pytest.mark.parametrize("code,status,exit_code", [
    ("print('hello')", "passed", 0),
    ("raise SystemExit(3)", "failed", 1),
    ("import time\ntime.sleep(60)", "timeout", 1),
    ("x = bytearray(4 * 1024 ** 3)", "memory", 1),
    ("print('y' * 10 ** 8)", "output_limit", 1),
    ("import ctypes\nctypes.string_at(0)", "error", 1),
])
def test_sandbox_run_prints_the_verdict(tmp_path, code, status, exit_code):
    program = tmp_path / "untrusted.py"
    program.write_text(code)
    result = crucible("sandbox", "run", str(program), "--timeout", "2", "--memory", "256M")
    verdict = json.loads(result.stdout)
    assert verdict["status"] == status, verdict
    assert result.returncode == exit_code
    if status == "passed":
        assert verdict["stdout_tail"] == "hello\n"


def test_sandbox_run_on_a_missing_file():
    result = crucible("sandbox", "run", "/nonexistent/x.py")
    assert result.returncode == 2 and "cannot be read" in result.stderr


@pytest.mark.parametrize("args,message", [
    (["eval", "/nonexistent.jsonl", "-b", "humaneval"], "no such file"),
    (["eval", "{samples}", "-b", "nope"], "unknown benchmark 'nope'"),
    (["eval", "{bad}", "-b", "humaneval"], "bad.jsonl:2: malformed JSON"),
    (["eval", "{samples}", "-b", "humaneval", "--memory", "lots"], "not a size"),
    (["eval", "{samples}", "-b", "humaneval", "--data-dir", "/nonexistent"], "does not exist"),
])
def test_bad_input_is_one_clear_line_and_exit_2(tmp_path, data_dir, args, message):
    samples = tmp_path / "ok.jsonl"
    samples.write_text(json.dumps({"task_id": "HumanEval/0", "completion": "  pass"}) + "\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(samples.read_text() + "{oops\n")
    args = [a.format(samples=samples, bad=bad) for a in args]
    result = crucible(*args, "--store", str(tmp_path / "s.db"), data_dir=data_dir)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_eval_writes_summary_and_details(tmp_path, data_dir):
    samples = tmp_path / "s.jsonl"
    samples.write_text(
        json.dumps({"task_id": "HumanEval/53", "completion": "    return x + y\n"}) + "\n" +
        json.dumps({"task_id": "HumanEval/53", "completion": "    return x - y\n"}) + "\n")
    result = crucible("eval", str(samples), "-b", "humaneval", "--store", str(tmp_path / "s.db"),
                      "--summary", str(tmp_path / "sum.json"), "--details",
                      str(tmp_path / "d.jsonl"), data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "sum.json").read_text())
    assert summary["suites"]["base"]["pass_at_k"]["pass@1"] == 0.5
    assert summary["environment"]["sandbox"]["seccomp"].startswith("active")
    assert "time_limits" in summary["environment"]
    details = [json.loads(line) for line in (tmp_path / "d.jsonl").read_text().splitlines()]
    assert [d["status"] for d in details] == ["passed", "failed"]
    assert "50.0" in result.stdout


def test_eval_in_a_log_prints_plain_progress_lines(tmp_path, data_dir, monkeypatch):
    """No terminal (CI, nohup, a pipe): no bars, but a plain line every few seconds (every
    update, with the interval at 0)."""
    monkeypatch.setenv("CRUCIBLE_PROGRESS_INTERVAL", "0")
    samples = tmp_path / "s.jsonl"
    samples.write_text("".join(json.dumps({"task_id": "HumanEval/53", "completion": code})
                               + "\n" for code in ("    return x + y\n", "    return x - y\n")))
    result = crucible("eval", str(samples), "-b", "humaneval", "--store", str(tmp_path / "s.db"),
                      data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("judging")]
    assert lines, result.stderr
    assert "2/2" in lines[-1] and "50.0% pass" in lines[-1]


def test_ctrl_c_keeps_what_was_judged_and_says_how_to_resume(tmp_path, data_dir):
    import signal
    import sqlite3
    import time
    samples = tmp_path / "slow.jsonl"
    # Forty different programs (identical ones would be judged once, and the run could end
    # before the signal arrives).
    samples.write_text("".join(
        json.dumps({"task_id": "HumanEval/53", "solution":
                    f"import time\ntime.sleep(0.2 + {i} / 1e6)\ndef add(x, y):\n"
                    "    return x + y\n"}) + "\n"
        for i in range(40)))
    db = tmp_path / "s.db"
    env = dict(os.environ, CRUCIBLE_DATA_DIR=str(data_dir))
    # A suite started in the background inherits an ignored SIGINT; the user's shell would not.
    proc = subprocess.Popen([CRUCIBLE, "eval", str(samples), "-b", "humaneval", "--store",
                             str(db)], env=env, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    judged = 0
    while time.monotonic() < deadline and judged < 4:
        time.sleep(0.2)
        if db.exists():
            with sqlite3.connect(db) as conn:
                judged = conn.execute("SELECT COUNT(*) FROM verdicts").fetchone()[0]
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert "--resume" in stderr and "Traceback" not in stderr
    with sqlite3.connect(db) as conn:
        kept = conn.execute("SELECT COUNT(*) FROM verdicts").fetchone()[0]
    assert kept >= judged
    resumed = crucible("eval", str(samples), "-b", "humaneval", "--store", str(db), "--resume",
                       data_dir=data_dir)
    assert resumed.returncode == 0, resumed.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM verdicts").fetchone()[0] == 40
