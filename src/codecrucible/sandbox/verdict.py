"""How a sandboxed run ended, read from the server's report; and the verdict of a plain script
run (``crucible sandbox run``)."""

from __future__ import annotations

import signal

from codecrucible.sandbox.child import SETUP_FAILED


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def signal_name(code: int | None) -> str | None:
    """The signal that ended a process with exit ``code`` (negative), or None. Total: a
    signal the ``signal`` module does not name (a real-time one, say) is "signal 40"."""
    if not isinstance(code, int) or code >= 0:
        return None
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def how_it_ended(result: dict) -> str:
    """``was killed by SIGSEGV`` or ``exited with code 3``, for a program that said nothing."""
    code = result.get("exit")
    killer = signal_name(code)
    return f"was killed by {killer}" if killer else f"exited with code {code}"


def abnormal_end(result: dict, cpu_limit: float | None) -> str | None:
    """``output_limit``, ``memory``, ``timeout`` or ``killed`` when a limit ended the run,
    else None (the program ended by itself, cleanly or not)."""
    code = result.get("exit")
    if result.get("output_capped"):
        return "output_limit"
    if result.get("oom_killed"):
        return "memory"
    if result.get("timed_out") or code == -signal.SIGXCPU:
        return "timeout"
    if code == -signal.SIGKILL:  # the CPU limit's hard stop, or something else
        cpu = result.get("cpu_s") or 0.0
        return "timeout" if cpu_limit and cpu >= cpu_limit - 0.5 else "killed"
    if "MemoryError" in last_line(result.get("stderr", "")):
        return "memory"
    return None


def script_verdict(result: dict, limits: dict) -> dict:
    code = result.get("exit")
    stderr = result.get("stderr", "")
    status = abnormal_end(result, limits.get("cpu_s"))
    if status is None:
        if code == 0:
            status = "passed"
        elif code is not None and code < 0 or (code == SETUP_FAILED
                                                 and "sandbox setup failed" in stderr):
            status = "error"
        else:
            status = "failed"
    return {"status": status, "exit_code": code, "signal": signal_name(code),
            "timed_out": result.get("timed_out", False),
            "oom_killed": result.get("oom_killed", False),
            "output_capped": result.get("output_capped", False),
            "wall_s": result.get("wall_s"), "cpu_s": result.get("cpu_s"),
            "max_rss_kb": result.get("max_rss_kb"),
            "stdout_tail": result.get("stdout", ""), "stderr_tail": stderr}
