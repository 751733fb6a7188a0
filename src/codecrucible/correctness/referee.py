"""Judging candidates while they are still being generated.

``Referee`` owns a sandbox pool running in a thread of its own. Strategies, in any thread, hand it
a candidate and get a future for its verdicts per suite; the pool keeps every server busy and
stops a run at its first wrong answer, exactly as ``crucible eval`` does. Work that runs a
reference solution goes to ``references``, a pool whose servers never fork a candidate: a
problem judged by its benchmark's own checker (DS-1000) is judged there, from the results the
candidate's run sent back (``checking.py``), and so is a reference's profile.
"""

from __future__ import annotations

import json
import math
import threading
from concurrent.futures import Future

from codecrucible.correctness import checking, scoring
from codecrucible.correctness.calibrate import TaskTests, TimeLimits
from codecrucible.records import Problem, Status, Verdict
from codecrucible.sandbox import SandboxPool
from codecrucible.sandbox.pool import Inbox

# A whole program (MTPB, DS-1000) gets at least the 20 s that MTPB's evaluator allows.
PROGRAM_FLOOR_S = 20.0


def job_template(problem: Problem, tests: TaskTests, limits: TimeLimits, memory_mb: int) -> dict:
    if problem.check != "calls":
        wall = max(PROGRAM_FLOOR_S, limits.load_s + limits.multiple * sum(tests.ref_s))
        program_limits = {"wall_s": wall, "load_s": wall, "cpu_s": math.ceil(wall) + 1,
                          "memory_mb": memory_mb, "output_bytes": 1 << 20,
                          "result_bytes": 64 << 20}
        if checking.is_checked(problem):
            # What the checker reads of each case's plot, recorded at calibration.
            queries = [json.loads(a) for a in tests.args[:problem.metadata.get("cases", 0)]]
            return checking.values_job(problem, program_limits, queries)
        return {"kind": "program", "answer": problem.check, "limits": program_limits}
    per_test = limits.per_test(tests)
    wall = limits.load_s + sum(per_test)
    return {"kind": "calls", "entry": problem.entry_point, "tests": tests.args,
            "test_limits": per_test, "oracle": problem.oracle,
            "limits": {"wall_s": wall, "load_s": limits.load_s, "cpu_s": math.ceil(wall) + 1,
                       "memory_mb": memory_mb, "output_bytes": 1 << 20,
                       "result_bytes": 64 << 20}}


def candidate_job(task_id: str, template: dict, code: str) -> dict:
    """The sandbox job for one candidate's whole program."""
    return {"template": task_id, "template_body": template, "code": code}


def no_code_verdicts(tests: TaskTests, why: str = "the answer holds no usable code"
                     ) -> dict[str, Verdict]:
    return {suite: Verdict(Status.NO_CODE, 0, n, why) for suite, n in tests.suites.items()}


def unjudgeable_verdicts(tests: TaskTests) -> dict[str, Verdict]:
    return {suite: Verdict(Status.ERROR, 0, n, f"task cannot be judged: {tests.error}")
            for suite, n in (tests.suites or {"base": 0}).items()}


class Referee:
    def __init__(self, problems: dict[str, Problem], tests: dict[str, TaskTests],
                 pool: SandboxPool, limits: TimeLimits, memory_mb: int = 1024,
                 references: SandboxPool | None = None):
        self.problems, self.tests = problems, tests
        self.references = references
        self.templates = {task: job_template(problems[task], t, limits, memory_mb)
                          for task, t in tests.items() if not t.error}
        self._inbox = Inbox()
        self._scorings: dict[int, scoring.Scoring] = {}
        self._futures: dict[int, tuple[str | None, Future, TaskTests | None]] = {}
        self._codes: dict[int, str] = {}  # the slot code of checked candidates, for the checker
        self._checker: checking.Checker | None = None
        self._next = 0
        self._lock = threading.Lock()
        self._pool = pool
        self._thread = threading.Thread(target=self._serve, name="referee", daemon=True)
        self._thread.start()

    def submit(self, task_id: str, code: str | None) -> Future:
        """Verdicts per suite for ``code`` on ``task_id``; ``None`` means the model wrote none."""
        future: Future = Future()
        tests = self.tests[task_id]
        if tests.error:
            future.set_result(unjudgeable_verdicts(tests))
        elif code is None or not code.strip():
            future.set_result(no_code_verdicts(tests))
        else:
            problem = self.problems[task_id]
            job = candidate_job(task_id, self.templates[task_id],
                                problem.program({"solution": code}))
            with self._lock:
                key, self._next = self._next, self._next + 1
                self._futures[key] = (task_id, future, tests)
                if checking.is_checked(problem):
                    self._codes[key] = code
            self._inbox.put(key, job)
        return future

    def run(self, job: dict) -> Future:
        """The raw sandbox result of any job (a profile, say), through the same pool."""
        future: Future = Future()
        with self._lock:
            key, self._next = self._next, self._next + 1
            self._futures[key] = (None, future, None)
        self._inbox.put(key, job)
        return future

    def reference(self, job: dict) -> Future:
        """The raw result of a reference job, on the reference pool (through the thread that
        drives it, so that checks and these never share it from two threads)."""
        return self._checks().run(job)

    def _checks(self) -> checking.Checker:
        with self._lock:
            if self._checker is None:
                if self.references is None:
                    raise ValueError("judging this benchmark needs the judge's reference pool")
                self._checker = checking.Checker(self.references)
            return self._checker

    def _scoring(self, key: int) -> scoring.Scoring:
        """The answers of job ``key`` scored so far, kept while its run streams."""
        if key not in self._scorings:
            task_id, _, tests = self._futures[key]
            self._scorings[key] = scoring.Scoring(tests, self.problems[task_id], fail_fast=True)
        return self._scorings[key]

    def _serve(self) -> None:
        def watch(key, lines):
            if self._futures[key][0] is None or key in self._codes:
                return False  # a raw job runs to its end; a checked one's lines are data
            return self._scoring(key).feed(lines)

        try:
            for key, result in self._pool.imap(self._inbox, watch):
                with self._lock:
                    task_id, future, tests = self._futures.pop(key)
                    code = self._codes.pop(key, None)
                answers = self._scorings.pop(key, None)
                if task_id is None:
                    future.set_result(result)
                    continue
                try:
                    problem = self.problems[task_id]
                    limits = self.templates[task_id]["limits"]
                    if code is not None:
                        _chain(self._checks().verdicts(problem, tests, result, code, limits),
                               future)
                    else:
                        future.set_result(scoring.verdicts(result, tests, problem,
                                                         limits["cpu_s"], answers))
                except Exception as err:  # never leave a strategy waiting forever
                    future.set_exception(err)
        except Exception as err:
            with self._lock:
                waiting = list(self._futures.values())
                self._futures.clear()
            for _, future, _ in waiting:
                future.set_exception(err)

    def close(self) -> None:
        self._inbox.close()
        self._thread.join()
        self._inbox.release()
        if self._checker is not None:  # after the judge's thread: it hands checks over
            self._checker.close()


def _chain(source: Future, target: Future) -> None:
    def copy(done: Future) -> None:
        error = done.exception()
        if error is not None:
            target.set_exception(error)
        else:
            target.set_result(done.result())

    source.add_done_callback(copy)
