"""The correctness judge: from a sandbox result and the calibrated tests to one verdict per suite.

Everything here runs in the harness on values the sandbox returned. The candidate never sees an
expected answer, so the only way to have a test marked as passed is to return the right value.
"""

from __future__ import annotations

import json
import signal

from codecrucible import oracle
from codecrucible.calibrate import TaskTests
from codecrucible.records import Problem, Status, Verdict
from codecrucible.sandbox import wire

_SHOWN = 200


def outcomes(frames: list[str], tests: TaskTests, problem: Problem) -> list[str]:
    """``"ok"``, ``"wrong"``, ``"raised X"`` or ``"bad frame"`` for each test answered, in order."""
    results = []
    for index, line in enumerate(frames[:tests.total]):
        results.append(_outcome(line, index, tests, problem))
    return results


def _outcome(line: str, index: int, tests: TaskTests, problem: Problem) -> str:
    try:
        got_index, value, exc, _ = wire.loads(line)
        expected, expected_exc = wire.loads(tests.expected[index])
        if got_index != index:
            return "bad frame"
        if exc is not None:
            return "ok" if exc == expected_exc else f"raised {str(exc)[:80]}"
        if expected_exc is not None:
            return f"did not raise {expected_exc}"
        kind = (tests.oracles[index] if tests.oracles else None) or problem.oracle
        if kind == "not_none":
            kind = "exact"  # the sandbox already reduced both sides to "is not None"
        args = wire.loads(tests.args[index]) if kind in oracle.NEEDS_ARGS else ()
        return "ok" if oracle.matches(kind, args, value, expected, problem.atol) else "wrong"
    except (ValueError, TypeError, RecursionError, OverflowError, ArithmeticError):
        return "bad frame"  # whatever the candidate wrote there, it is not a correct answer


def verdicts(result: dict, tests: TaskTests, problem: Problem,
             cpu_limit: float | None = None) -> dict[str, Verdict]:
    """One verdict per suite. A later suite passes only if every earlier one passed too
    (EvalPlus's "plus" means base and plus tests)."""
    if "sandbox_error" in result:
        return {suite: Verdict(Status.ERROR, 0, count, f"sandbox: {result['sandbox_error']}")
                for suite, count in tests.suites.items()}
    answers = outcomes(result.get("frames", []), tests, problem)
    common = {"stdout": result.get("stdout", ""), "stderr": result.get("stderr", ""),
              "wall_s": result.get("wall_s"), "cpu_s": result.get("cpu_s"),
              "max_rss_kb": result.get("max_rss_kb")}
    out: dict[str, Verdict] = {}
    earlier_failed: Verdict | None = None
    for suite, span in tests.suite_slices().items():
        got = answers[span.start:span.stop]
        passed = sum(1 for o in got if o == "ok")
        failure = next(((span.start + n, o) for n, o in enumerate(got) if o != "ok"), None)
        if earlier_failed is not None:
            status, detail = earlier_failed.status, "an earlier suite did not pass"
        elif failure is not None:
            index, what = failure
            status = Status.MEMORY if what == "raised MemoryError" else Status.FAILED
            detail = _describe(index, what, result, tests, suite)
        elif len(got) == len(span):
            status, detail = Status.PASSED, None
        else:
            status = _cause(result, cpu_limit)
            detail = f"stopped after {len(answers)} of {tests.total} tests: " \
                     f"{_last_line(result.get('stderr', '')) or status.value}"
        verdict = Verdict(status, passed, len(span), detail, **common)
        if status is not Status.PASSED and earlier_failed is None:
            earlier_failed = verdict
        out[suite] = verdict
    return out


def _cause(result: dict, cpu_limit: float | None) -> Status:
    if result.get("output_capped"):
        return Status.OUTPUT_LIMIT
    if result.get("timed_out"):
        return Status.TIMEOUT
    code = result.get("exit")
    if code == -signal.SIGXCPU:
        return Status.TIMEOUT
    if code == -signal.SIGKILL:
        cpu = result.get("cpu_s") or 0.0
        return Status.TIMEOUT if cpu_limit and cpu >= cpu_limit - 0.5 else Status.KILLED
    if "MemoryError" in _last_line(result.get("stderr", "")):
        return Status.MEMORY
    if code not in (0, None):
        return Status.ERROR
    return Status.FAILED  # exited cleanly without answering every test


def _describe(index: int, what: str, result: dict, tests: TaskTests, suite: str) -> str:
    if what != "wrong":
        return f"{suite} test {index}: {what}"
    try:
        got = json.loads(result["frames"][index])[1]
        expected = json.loads(tests.expected[index])[0]
    except (ValueError, IndexError, TypeError, RecursionError):
        return f"{suite} test {index}: wrong answer"
    args = tests.args[index]
    return (f"{suite} test {index}: input {args[:_SHOWN]} gave {json.dumps(got)[:_SHOWN]}, "
            f"expected {json.dumps(expected)[:_SHOWN]}")


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""
