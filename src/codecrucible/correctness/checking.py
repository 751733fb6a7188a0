"""Verdicts from a checker that runs apart from the candidate (``Problem.check == "checked"``).

A candidate's program (``values`` job, on a candidate server) sends back each test case's
result as data; the benchmark's checker (``check`` job, on a reference server, which never
runs candidate code) recomputes inputs and expected results, decodes those results and
judges them, one answer per case. A verdict can pass only on the checker's answers: nothing
the candidate's process writes is taken as a pass. ``Checker`` runs the checks on a
reference pool in a thread of its own, so that candidates keep running meanwhile.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import Future

from codecrucible.correctness import scoring
from codecrucible.correctness.expected import TaskTests
from codecrucible.records import Problem
from codecrucible.sandbox import SandboxPool, jobs, reference_job
from codecrucible.sandbox.inbox import Inbox
from codecrucible.sandbox.jobs import Limits
from codecrucible.sandbox.verdict import how_it_ended, last_line

# The candidate's answer lines that go to the checker, all together; more is the candidate's
# failure, not the harness's.
MAX_ANSWER_CHARS = 32 << 20
PASSED = json.dumps([True, None])  # the expected answer of every checked case


def is_checked(problem: Problem) -> bool:
    return problem.check == "checked"


def values_job(problem: Problem, limits: Limits, queries: list[list[str]] | None = None,
               code: str | None = None, record: bool = False) -> dict:
    """The job that runs the candidate's side. ``record`` (calibration, reference servers
    only) also notes which parts of a plot the checker reads."""
    figure = bool(problem.metadata.get("plot"))
    return jobs.values_job(figure, queries or [], limits,
                           code=None if code is None else problem.program({"solution": code}),
                           record=problem.checker if record and figure else None)


def check_job(problem: Problem, result: dict, code: str, limits: Limits) -> dict | None:
    """The reference job that judges a candidate's ``values`` result, or None when there is
    nothing to judge: the run answered no case with a value, or sent more than the checker
    takes. The candidate's lines go as they came: the checker reads them defensively."""
    lines = result.get("frames", [])[:problem.metadata.get("cases", 0)]
    if not lines or _error_of(lines[0]) is not None \
            or sum(len(line) for line in lines) > MAX_ANSWER_CHARS:
        return None
    return jobs.check_job(problem.checker, code, lines, bool(problem.metadata.get("plot")),
                          limits)


def unchecked(result: dict) -> dict:
    """A run the checker did not judge, with frames that say why and can only fail: never
    the candidate's own lines, which could claim anything."""
    lines = result.get("frames", [])
    frames = []
    if lines:
        error = _error_of(lines[0])
        why = None if error is not None else (
            f"the results are larger than the checker takes ({MAX_ANSWER_CHARS} characters)")
        frames = [json.dumps([0, None, error or "TooLarge", why])]
    return {**result, "frames": frames}


def _error_of(line: str) -> str | None:
    """The error a short ``[0, null, "Error", ...]`` line reports, else None."""
    if len(line) > 4096:
        return None
    try:
        frame = json.loads(line)
    except ValueError:
        return "MalformedAnswer"
    if type(frame) is not list or len(frame) != 4 or frame[0] != 0:
        return "MalformedAnswer"
    return str(frame[2])[:200] if frame[1] is None and frame[2] is not None else None


def merged(candidate: dict, checker: dict, answered: int) -> dict:
    """The candidate's run with the checker's answers as its frames: how the candidate's
    run went (output, time, memory, how it ended), what the checker found of its results.
    A checker that ended before judging every answered case fails the next one."""
    result = {k: v for k, v in candidate.items() if k != "frames"}
    frames = [] if "sandbox_error" in checker else list(checker.get("frames", []))
    if len(frames) < answered:
        how = checker.get("sandbox_error") or (
            "timed out" if checker.get("timed_out") else how_it_ended(checker))
        frames.append(json.dumps([len(frames), None, "CheckerFailed",
                                  f"the checker {how} on this case's answer"]))
    result["frames"] = frames
    return result


def calibrated(problems: list[Problem], pool: SandboxPool, limits: Limits
               ) -> Iterator[tuple[Problem, TaskTests]]:
    """Each reference solution through the two steps a candidate takes, on reference servers:
    its results (noting what the checker reads of a plot), then the checker on them. A
    reference that does not pass this way makes its problem unjudgeable here."""
    jobs = ((p, reference_job(values_job(p, limits, code=p.reference, record=True)))
            for p in problems)
    ran = list(pool.imap(jobs))
    checks = []
    for problem, result in ran:
        values = {**result, "frames": [f for f in result.get("frames", [])
                                       if not f.startswith('["queries"')]}
        job = check_job(problem, values, problem.reference, limits)
        if job is None:
            frames = unchecked(values)["frames"]
            error = json.loads(frames[0])[2] if frames else None
            tail = last_line(result.get("stderr", ""))
            # The traceback's last line where it is this error's (it has the message).
            why = tail if error and error.split(":")[0] in tail else (
                error or tail or f"the program {how_it_ended(result)}")
            yield problem, _failed(f"the reference solution failed: {why}"[:300])
        else:
            checks.append(((problem, result), job))
    for (problem, result), checked in pool.imap(checks):
        yield problem, _reference_tests(problem, result, checked)


def _reference_tests(problem: Problem, values: dict, checked: dict) -> TaskTests:
    cases = problem.metadata["cases"]
    total = cases + bool(problem.metadata.get("string_test"))
    queries: dict[int, list] = {}
    seconds: list[float] = []
    for line in values.get("frames", []):
        frame = json.loads(line)
        if frame[0] == "queries":
            queries[frame[1]] = frame[2]
        elif frame[2] is None:
            seconds.append(float(frame[3] or 0.0))
    frames = [json.loads(line) for line in checked.get("frames", [])]
    failed = next((f for n, f in enumerate(frames) if f[:2] != [n, True]), None)
    if failed is not None or len(frames) != total or len(seconds) != cases:
        if failed is not None:
            why = f"case {failed[0] + 1}: {failed[3] or failed[2]}"
        else:
            why = (checked.get("sandbox_error") or last_line(checked.get("stderr", ""))
                   or last_line(values.get("stderr", "")) or "it answered too few cases")
        return _failed(f"the reference solution does not pass its checker here: {why}"[:300])
    args = [json.dumps(queries.get(n, [])) for n in range(cases)] + ["[]"] * (total - cases)
    return TaskTests({"base": total}, args, [PASSED] * total,
                     seconds + [0.0] * (total - cases), None)


def _failed(why: str) -> TaskTests:
    return TaskTests({}, [], [], [], None, error=why)


class Checker:
    """Runs checks (and any other reference job) on a reference pool, in a thread of its own;
    every pool use goes through it, so the pool is never driven by two threads."""

    def __init__(self, references: SandboxPool):
        self._pool = references
        self._inbox = Inbox()
        self._futures: dict[int, Future] = {}
        self._next = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name="checker", daemon=True)
        self._thread.start()

    def run(self, job: dict) -> Future:
        """The raw result of a reference job."""
        future: Future = Future()
        with self._lock:
            key, self._next = self._next, self._next + 1
            self._futures[key] = future
        self._inbox.put(key, job)
        return future

    def verdicts(self, problem: Problem, tests: TaskTests, result: dict, code: str,
                 limits: Limits) -> Future:
        """Verdicts per suite for a candidate's ``values`` result, from the checker's answers."""
        out: Future = Future()
        job = check_job(problem, result, code, limits)
        cpu = limits.cpu_s
        if job is None:
            out.set_result(scoring.verdicts(unchecked(result), tests, problem, cpu))
            return out
        answered = len(job["answers"])

        def done(checked: Future) -> None:
            try:
                out.set_result(scoring.verdicts(merged(result, checked.result(), answered),
                                              tests, problem, cpu))
            except Exception as err:  # never leave a caller waiting forever
                out.set_exception(err)

        self.run(job).add_done_callback(done)
        return out

    def _serve(self) -> None:
        try:
            for key, result in self._pool.imap(self._inbox):
                with self._lock:
                    future = self._futures.pop(key)
                future.set_result(result)
        except Exception as err:
            with self._lock:
                waiting = list(self._futures.values())
                self._futures.clear()
            for future in waiting:
                future.set_exception(err)

    def close(self, wait: bool = True) -> None:
        """Once every check handed over is done; or, not ``wait``ing, now, dropping those
        not started (their callers are gone; the pool's owner stops the running ones)."""
        if not wait:
            while self._inbox.take() is not None:
                pass
        self._inbox.close()
        if wait:
            self._thread.join()
            self._inbox.release()
