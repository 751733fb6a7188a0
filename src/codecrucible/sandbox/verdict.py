"""The verdict of a plain script run (``crucible sandbox run``)."""

from __future__ import annotations

import signal

from codecrucible.sandbox.server import SETUP_FAILED


def script_verdict(result: dict, limits: dict) -> dict:
    code = result.get("exit")
    stderr = result.get("stderr", "")
    last = next((line for line in reversed(stderr.strip().splitlines()) if line.strip()), "")
    if result.get("output_capped"):
        status = "output_limit"
    elif result.get("oom_killed"):
        status = "memory"
    elif result.get("timed_out") or code == -signal.SIGXCPU:
        status = "timeout"
    elif code == -signal.SIGKILL:
        cpu = result.get("cpu_s") or 0
        status = "timeout" if cpu >= limits.get("cpu_s", 0) - 0.5 else "killed"
    elif "MemoryError" in last:
        status = "memory"
    elif code == SETUP_FAILED and "sandbox setup failed" in stderr:
        status = "error"
    elif code == 0:
        status = "passed"
    else:
        status = "error" if code is not None and code < 0 else "failed"
    signal_name = signal.Signals(-code).name if isinstance(code, int) and code < 0 else None
    return {"status": status, "exit_code": code, "signal": signal_name,
            "timed_out": result.get("timed_out", False),
            "oom_killed": result.get("oom_killed", False),
            "output_capped": result.get("output_capped", False),
            "wall_s": result.get("wall_s"), "cpu_s": result.get("cpu_s"),
            "max_rss_kb": result.get("max_rss_kb"),
            "stdout_tail": result.get("stdout", ""), "stderr_tail": stderr}
