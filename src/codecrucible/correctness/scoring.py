"""The correctness judge: from a sandbox result and the calibrated tests to one verdict per suite.

Everything here runs in the harness on values the sandbox returned. The candidate never sees an
expected answer, so the only way to have a test marked as passed is to return the right value.
"""

from __future__ import annotations

from codecrucible.correctness import oracle, score
from codecrucible.correctness.expected import TaskTests
from codecrucible.records import Problem, Status, Verdict
from codecrucible.sandbox import wire
from codecrucible.sandbox.verdict import abnormal_end, how_it_ended, last_line

_SHOWN = 200


def outcomes(frames: list[str], tests: TaskTests, problem: Problem) -> list[str]:
    """``"ok"``, ``"wrong"``, ``"raised X"`` or ``"bad frame"`` for each test answered, in order."""
    scoring = Scoring(tests, problem)
    scoring.feed(frames)
    return scoring.outcomes


class Scoring:
    """Scores answers as they stream in, so a run can be stopped at its first wrong answer."""

    def __init__(self, tests: TaskTests, problem: Problem, fail_fast: bool = False):
        self.tests, self.problem = tests, problem
        self.fail_fast = fail_fast
        self.outcomes: list[str] = []
        self.failed = False

    def feed(self, lines: list[str]) -> bool:
        """Score the lines not scored yet; True once any answer was not ok. With ``fail_fast``
        nothing after the first failure is scored, so counts do not depend on how many more
        answers arrived before the run was stopped."""
        exact = self.tests.answer_lines()
        for index in range(len(self.outcomes), min(len(lines), self.tests.total)):
            if self.failed and self.fail_fast:
                break
            line = lines[index]
            # Most right answers are byte-identical to the reference's: no decoding needed.
            outcome = "ok" if line == exact[index] else _outcome(line, index, self.tests,
                                                                 self.problem)
            self.outcomes.append(outcome)
            self.failed = self.failed or outcome != "ok"
        return self.failed


def _outcome(line: str, index: int, tests: TaskTests, problem: Problem) -> str:
    try:
        frame = wire.loads(line)
        if type(frame) is not list or len(frame) != 4:
            return "bad frame"
        got_index, value, exc, _ = frame
        expected, expected_exc = wire.loads(tests.expected[index])
        if got_index != index:
            return "bad frame"
        if exc is not None:
            return "ok" if exc == expected_exc and problem.check != "score" \
                else f"raised {str(exc)[:80]}"
        if problem.check == "score":
            return "ok"  # a value came back: the scorer judges it (``score.py``)
        if expected_exc is not None:
            return f"did not raise {expected_exc}"
        kind = (tests.oracles[index] if tests.oracles else None) or problem.oracle
        if kind == "not_none":
            kind = "exact"  # the sandbox already reduced both sides to "is not None"
        args = wire.loads(tests.args[index]) if kind in oracle.NEEDS_ARGS else ()
        return "ok" if oracle.matches(kind, args, value, expected, problem.atol) else "wrong"
    except (ValueError, TypeError, LookupError, RecursionError, ArithmeticError):
        return "bad frame"  # whatever the candidate wrote there, it is not a correct answer


def verdicts(result: dict, tests: TaskTests, problem: Problem,
             cpu_limit: float | None = None, scoring: Scoring | None = None
             ) -> dict[str, Verdict]:
    """One verdict per suite. A later suite passes only if every earlier one passed too
    (EvalPlus's "plus" means base and plus tests). ``scoring`` carries answers already scored
    while the run streamed; a run stopped at a wrong answer counts only the answers before it."""
    if "sandbox_error" in result:
        return {suite: Verdict(Status.ERROR, 0, count, f"sandbox: {result['sandbox_error']}")
                for suite, count in tests.suites.items()}
    scoring = scoring or Scoring(tests, problem)
    scoring.feed(result.get("frames", []))
    answers = scoring.outcomes
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
            detail = _describe(index, what, result, tests, suite, problem.check)
        elif len(got) == len(span):
            status, detail = Status.PASSED, None
        else:
            status = _cause(result, cpu_limit)
            why = last_line(result.get("stderr", "")) or (
                f"the program {how_it_ended(result)} before answering"
                if status in (Status.FAILED, Status.ERROR) else status.value)
            detail = f"stopped after {len(got)} of {len(span)} {suite} tests: {why}"
        verdict = Verdict(status, passed, len(span), detail, **common)
        if status is not Status.PASSED and earlier_failed is None:
            earlier_failed = verdict
        out[suite] = verdict
    return score.scored(out, result, tests, problem) if problem.check == "score" else out


def _cause(result: dict, cpu_limit: float | None) -> Status:
    ended = abnormal_end(result, cpu_limit)
    if ended is not None:
        return Status(ended)
    if result.get("exit") not in (0, None):
        return Status.ERROR
    return Status.FAILED  # exited cleanly without answering every test


def _describe(index: int, what: str, result: dict, tests: TaskTests, suite: str,
              check: str = "calls") -> str:
    if check == "checked":
        return _describe_checked(index, what, result, tests)
    if check not in ("calls", "score"):
        return _describe_program(what, result, tests)
    if what != "wrong":
        return f"{suite} test {index}: {what}"
    try:
        got = repr(wire.loads(result["frames"][index])[1])
        expected = repr(wire.loads(tests.expected[index])[0])
        args = repr(wire.loads(tests.args[index]))
    except (ValueError, TypeError, LookupError, RecursionError):
        return f"{suite} test {index}: wrong answer"
    return (f"{suite} test {index}: input {args[:_SHOWN]} gave {got[:_SHOWN]}, "
            f"expected {expected[:_SHOWN]}")


def _describe_checked(index: int, what: str, result: dict, tests: TaskTests) -> str:
    """A case judged by a checker apart (``checking.py``): the checker's reason, or the
    error the candidate's program raised (its last line of stderr)."""
    try:
        frame = wire.loads(result["frames"][index])
        why = frame[3] if type(frame) is list and len(frame) == 4 else None
    except (ValueError, TypeError, LookupError, RecursionError):
        why = None
    case = f"test case {index + 1} of {tests.total}"
    if what == "wrong" or why:
        return f"{case}: {str(why or 'wrong answer')[:_SHOWN]}"
    return f"{case}: {last_line(result.get('stderr', '')) or what}"


def _describe_program(what: str, result: dict, tests: TaskTests) -> str:
    """A whole program's failure: what it printed against what was expected, or the error
    its run (or the benchmark's checker) raised, with the error's own last line."""
    if what == "wrong":
        try:
            got = repr(wire.loads(result["frames"][0])[1])
            expected = repr(wire.loads(tests.expected[0])[0])
            return f"printed {got[:_SHOWN]}, expected {expected[:_SHOWN]}"
        except (ValueError, TypeError, LookupError, RecursionError):
            return "wrong answer"
    if what == "raised NothingPrinted":
        return "the program printed nothing"
    return last_line(result.get("stderr", "")) or what
