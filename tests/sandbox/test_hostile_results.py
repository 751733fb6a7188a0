"""Hostile programs: what comes back (signals, text, trickles, answer lines)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sandbox.hostile import (
    LIMITS,
    LINUX_ONLY,
    PROBLEM,
    SLACK_S,
    TASK_TESTS,
    TESTS,
    calls,
    not_a_pass,
    run_calls,
    run_hostile,
    script,
)

from codecrucible.correctness import scoring
from codecrucible.runs.from_samples import evaluate
from codecrucible.sandbox.verdict import script_verdict
from codecrucible.store import Store

pytestmark = LINUX_ONLY

# ---------------------------------------------------------------- what comes back (one sample
# must never stop or stall an evaluation: whatever is wrong becomes that sample's verdict)
UNNAMED_SIGNAL = 40  # between SIGRTMIN and SIGRTMAX: the signal module has no name for it


def test_unnamed_signal_names_itself_in_the_verdict(pool):
    assert UNNAMED_SIGNAL not in {s.value for s in signal.Signals}
    result = run_hostile(pool, script(f"""
        import os
        os.kill(os.getpid(), {UNNAMED_SIGNAL})
    """))
    assert result["exit"] == -UNNAMED_SIGNAL, result
    verdict = script_verdict(result, LIMITS)
    assert verdict["status"] == "error" and verdict["signal"] == f"signal {UNNAMED_SIGNAL}"


def test_unnamed_signal_during_a_test(pool):
    result, outcomes = run_calls(pool, f"""
        import os
        def f(x):
            os.kill(os.getpid(), {UNNAMED_SIGNAL})
    """)
    assert outcomes == [], result
    detail = scoring.verdicts(result, TASK_TESTS, PROBLEM)["base"].first_failure
    assert detail.endswith(f"killed by signal {UNNAMED_SIGNAL} before answering"), detail


def test_sandbox_run_reports_an_unnamed_signal(tmp_path):
    program = tmp_path / "rt.py"
    program.write_text(f"import os\nos.kill(os.getpid(), {UNNAMED_SIGNAL})\n")
    done = subprocess.run([str(Path(sys.executable).with_name("crucible")), "sandbox", "run",
                           str(program)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert json.loads(done.stdout)["signal"] == f"signal {UNNAMED_SIGNAL}", done.stdout


SURROGATE_CANDIDATES = {
    "exception class name": """
        class Named(type):
            __name__ = property(lambda cls: "Odd\\ud800")
        class Odd(Exception, metaclass=Named):
            pass
        def f(x):
            raise Odd()
    """,
    "unserializable class name": """
        class Odd:
            pass
        Odd.__qualname__ = "Odd\\udcff"
        def f(x):
            return Odd()
    """,
    "escaped in a frame": """
        import os
        def f(x):
            os.write(3, b'[0,null,"\\\\udcff\\\\ud800",null]\\n')
            os._exit(0)
    """,
    "bytes no UTF-8 decodes": """
        import os
        os.write(1, b"\\xed\\xa0\\x80 \\xff\\xfe\\n")
        os.write(2, b"\\xed\\xb2\\x80\\n")
        def f(x):
            return 0
    """,
    "exception message": """
        def f(x):
            raise ValueError("\\ud800")
    """,
}


@pytest.mark.parametrize("how", sorted(SURROGATE_CANDIDATES))
def test_lone_surrogates_become_valid_text(pool, how):
    result, outcomes = run_calls(pool, SURROGATE_CANDIDATES[how])
    assert not_a_pass(outcomes), result
    verdict = scoring.verdicts(result, TASK_TESTS, PROBLEM)["base"]
    for text in (verdict.first_failure, verdict.stdout, verdict.stderr):
        text.encode()  # what the store and the terminal need


def test_lone_surrogates_cannot_lose_a_batch(tmp_path, data_dir):
    """Through ``evaluate`` and SQLite: the run completes, every verdict is kept, and a resume
    finds nothing left to judge."""
    odd = ("class Named(type):\n    __name__ = property(lambda cls: 'Odd\\ud800')\n"
           "class Odd(Exception, metaclass=Named):\n    pass\n"
           "def add(x, y):\n    raise Odd()\n")
    rows = [{"task_id": "HumanEval/53", "solution": odd},
            {"task_id": "HumanEval/53", "solution": "def add(x, y):\n    return '\ud800'\n"},
            {"task_id": "HumanEval/53", "solution": "def add(x, y):\n    return x + y\n"}]
    path = tmp_path / "s.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))  # JSON keeps the \ud800
    store = Store(tmp_path / "s.db")
    first = evaluate(path, "humaneval", store, data_dir=data_dir, slots=2)
    verdicts = {r["sample"]: r for r in store.verdicts(first.run_id)}
    # (a lone surrogate in the source itself cannot even be compiled: an error)
    assert [verdicts[i]["status"] for i in range(3)] == ["failed", "error", "passed"]
    assert "Odd\\ud800" in verdicts[0]["first_failure"], verdicts[0]
    again = evaluate(path, "humaneval", store, data_dir=data_dir, resume=True, slots=2)
    assert (again.judged_now, again.already_judged) == (0, 3)


TRICKLES = {
    # a byte at a time, never a line: no window may be re-armed by it
    "answer channel, in a test": ("""
        import os, time
        def f(x):
            while True:
                os.write(3, b"9")
                time.sleep(0.05)
    """, {}),
    "answer channel, while loading": ("""
        import os, time
        while True:
            os.write(3, b"9")
            time.sleep(0.05)
    """, {"load_s": 1.0}),
    "stdout, in a test": ("""
        import time
        def f(x):
            while True:
                print("9", end="", flush=True)
                time.sleep(0.05)
    """, {}),
}


@pytest.mark.parametrize("how", sorted(TRICKLES))
def test_trickled_output_rearms_no_deadline(pool, how):
    code, limits = TRICKLES[how]
    job = calls(code, wall_s=30, cpu_s=30, **limits)   # the windows are 1 s each
    result = run_hostile(pool, job)
    assert result["timed_out"], result
    assert result["wall_s"] <= 2.0 + SLACK_S, result  # a window or the load allowance, not 30 s
    assert scoring.verdicts(result, TASK_TESTS, PROBLEM)["base"].status.value == "timeout"


def test_complete_lines_never_pass_the_hard_deadline(pool):
    """A window opens at each answer line, but the job's wall limit caps them all."""
    job = calls("""
        import os, time
        def f(x):
            for _ in range(1000):
                time.sleep(0.5)
                os.write(3, b"[9]\\n")   # opens the next test's window
    """, wall_s=4, cpu_s=30)
    job["test_limits"] = [1.0] * 1000
    job["tests"] = TESTS * 334
    result = run_hostile(pool, job)
    assert result["timed_out"] or result["stopped_early"], result
    assert result["wall_s"] <= 4 + SLACK_S, result


def test_one_enormous_answer_line_is_an_output_limit(pool):
    job = calls("""
        import os
        def f(x):
            os.write(3, b"[0," + b"9" * (50 << 20) + b",null,null]\\n")
    """, memory_mb=512)
    result = run_hostile(pool, job)
    assert result["output_capped"] and not result["frames"], result
    verdict = scoring.verdicts(result, TASK_TESTS, PROBLEM)["base"]
    assert verdict.status.value == "output_limit", verdict


def test_answer_lines_beyond_the_runners_are_dropped(pool):
    """Millions of tiny lines would cost the harness ~50 bytes each: only the lines the runner
    writes for the job travel (one for a whole program, none for a script)."""
    flood = """
        import os
        line = b"[0,1,null,null]\\n" * 4096
        for _ in range(200):
            os.write(3, line)
    """
    program = {"kind": "program", "answer": "last_print", "code": textwrap.dedent(flood),
               "limits": LIMITS}
    result = run_hostile(pool, program)
    assert len(result["frames"]) == 1, len(result["frames"])
    result = run_hostile(pool, script(flood))
    assert result["frames"] == [], len(result["frames"])
