"""The referee: the one path from a program to its verdicts, for every engine.

``crucible run`` (strategies, in any thread), ``crucible eval`` (a samples file) and ``crucible
judge`` (one program) all hand programs to ``Referee.submit`` and get a future for their
verdicts per suite. The referee owns a sandbox pool driven by a thread of its own, which keeps
every server busy and stops a run at its first wrong answer unless told to run every test.
Work that runs a reference solution goes to ``references``, a pool whose servers never fork a
candidate: a problem judged by its benchmark's own checker (DS-1000) is judged there, from the
results the candidate's run sent back (``checking.py``), and so is a reference's profile.

A game problem (``play.py``: a score problem naming a game) is judged by playing: each
candidate's policy plays one episode per seed, side by side, each a sandbox job that the
harness drives step by step, the game's state never leaving the harness.

A score problem that declares an evaluation cascade (``cascade.py``) runs each candidate on its
cheap stages first, one job each, and on its full tests only once it passed them all; ``ran``
counts the runs of each stage.

Each distinct program of a task runs once per referee (``distinct.py``): a copy submitted
later gets its original's verdicts, and ``shared_from`` names the original of each tagged copy.
``dedupe=False`` runs every copy (the way to see a flaky program's verdicts vary).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Hashable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, replace

from codecrucible.correctness import cascade, checking, play, scoring
from codecrucible.correctness.distinct import Distinct
from codecrucible.correctness.expected import TaskTests, TimeLimits
from codecrucible.records import Problem, Status, Verdict
from codecrucible.sandbox import SandboxPool, jobs
from codecrucible.sandbox.inbox import Inbox

# A whole program (MTPB, DS-1000) gets at least the 20 s that MTPB's evaluator allows.
PROGRAM_FLOOR_S = 20.0
NO_USABLE_CODE = "the answer holds no usable code"

# What ``submit`` takes: a program's code, or a sample's fields as ``Problem.program`` reads
# them (``{"solution": ...}`` or ``{"completion": ...}``); None when there is no code.
Answer = str | Mapping[str, str | None] | None


def task_limits(problem: Problem, tests: TaskTests, limits: TimeLimits, memory_mb: int
                ) -> jobs.Limits:
    """What one candidate's run of ``problem`` may use, from its calibrated tests (for a game,
    what one episode's run may use)."""
    if play.is_game(problem):
        return play.Rules.of(problem).limits(limits.load_s, memory_mb)
    if problem.calls:
        wall = limits.load_s + sum(per_test(problem, tests, limits))
        return jobs.Limits.timed(wall, limits.load_s, memory_mb)
    wall = max(PROGRAM_FLOOR_S, limits.load_s + limits.multiple * sum(tests.ref_s))
    return jobs.Limits.timed(wall, wall, memory_mb)


def per_test(problem: Problem, tests: TaskTests, limits: TimeLimits) -> list[float]:
    """Each call's wall limit: the calibrated one, or the problem's own allowance per call
    (``metadata["call_s"]``: a search task whose better programs compute longer) if larger;
    or, where the task itself sets one (``metadata["time_limit_s"]``: a maze within 0.1 s),
    exactly that."""
    if "time_limit_s" in problem.metadata:
        return [float(problem.metadata["time_limit_s"])] * tests.total
    allowance = float(problem.metadata.get("call_s", 0.0))
    return [max(limit, allowance) for limit in limits.per_test(tests)]


def job_template(problem: Problem, tests: TaskTests, limits: TimeLimits, memory_mb: int) -> dict:
    """The parts of a candidate's job that every sample of ``problem`` shares."""
    if play.is_game(problem):
        return play.Rules.of(problem).template(problem.entry_point, limits.load_s, memory_mb)
    run_limits = task_limits(problem, tests, limits, memory_mb)
    if checking.is_checked(problem):
        # What the checker reads of each case's plot, recorded at calibration.
        queries = [json.loads(a) for a in tests.args[:problem.metadata.get("cases", 0)]]
        return checking.values_job(problem, run_limits, queries)
    if problem.calls:
        return jobs.calls_job(problem.entry_point, tests.args, run_limits,
                              oracle=problem.oracle,
                              test_limits=per_test(problem, tests, limits),
                              whole_values=problem.check == "score")
    return jobs.program_job(problem.check, run_limits)


def no_code_verdicts(tests: TaskTests, why: str = NO_USABLE_CODE) -> dict[str, Verdict]:
    return {suite: Verdict(Status.NO_CODE, 0, n, why) for suite, n in tests.suites.items()}


def unjudgeable_verdicts(tests: TaskTests) -> dict[str, Verdict]:
    return {suite: Verdict(Status.ERROR, 0, n, f"task cannot be judged: {tests.error}")
            for suite, n in (tests.suites or {"base": 0}).items()}


@dataclass
class _Pending:
    """A job in the pool: whose it is and what its verdict needs once it is back."""

    future: Future
    task_id: str | None = None        # None: a raw job, whose result is the answer
    slot_code: str | None = None      # the code a checker judges (checked problems)
    scoring: scoring.Scoring | None = None
    program: str = ""                 # the candidate's program, run once per cascade step
    stage: int = 0                    # the cascade stage it is at; past the last: the full one
    match: play.Match | None = None   # a game problem's episodes, side by side
    episode: play.Episode | None = None  # the one this job plays (a pending per episode)


class Referee:
    """Judges programs on calibrated tasks in the sandbox; see the module docstring.

    ``fail_fast`` stops a run at its first wrong answer, and a candidate at the first cascade
    stage it fails (``crucible eval --all-tests`` runs every test of every candidate instead);
    ``no_code`` is the reason given when an answer holds no code; ``dedupe`` judges each
    distinct program once. ``executed`` counts the programs run,
    ``shared`` those answered with an earlier copy's verdicts, ``ran`` the sandbox runs of
    each cascade stage by its name (``"full"``: full evaluations of a problem with stages).
    """

    def __init__(self, problems: dict[str, Problem], tests: dict[str, TaskTests],
                 pool: SandboxPool, limits: TimeLimits, memory_mb: int = 1024,
                 references: SandboxPool | None = None, *, fail_fast: bool = True,
                 no_code: str = NO_USABLE_CODE, dedupe: bool = True):
        self.problems, self.tests = problems, tests
        self._distinct = Distinct() if dedupe else None
        self._originals: dict[int, tuple[Future, Hashable]] = {}
        self.shared_from: dict[Hashable, Hashable] = {}  # a tagged copy's tag -> its original's
        self.executed = self.shared = 0
        self.ran: Counter[str] = Counter()
        self.references = references
        self.fail_fast, self.no_code = fail_fast, no_code
        self.templates = {task: job_template(problems[task], t, limits, memory_mb)
                          for task, t in tests.items() if not t.error}
        self.limits = {task: task_limits(problems[task], t, limits, memory_mb)
                       for task, t in tests.items() if not t.error}
        self.stages = {task: cascade.stages(problems[task], limits, memory_mb)
                       if fail_fast else [] for task, t in tests.items() if not t.error}
        self._inbox = Inbox()
        self._pending: dict[int, _Pending] = {}
        self._checker: checking.Checker | None = None
        self._next = 0
        self._lock = threading.Lock()
        self._pool = pool
        self._thread = threading.Thread(target=self._serve, name="referee", daemon=True)
        self._thread.start()

    def submit(self, task_id: str, code: Answer, tag: Hashable = None
               ) -> Future[dict[str, Verdict]]:
        """Verdicts per suite for ``code`` on ``task_id``: a program, or a sample's fields
        (``Answer``); ``None`` or blank code means there is none. A copy of a program
        submitted before gets that program's verdicts, and a ``tag``ged copy is noted in
        ``shared_from`` (under its tag: the original's tag)."""
        future: Future = Future()
        tests = self.tests[task_id]
        fields = {"solution": code} if isinstance(code, str) else code
        slot = Problem.slot_code(fields) if fields is not None else ""
        if tests.error:
            future.set_result(unjudgeable_verdicts(tests))
        elif not slot.strip():
            future.set_result(no_code_verdicts(tests, self.no_code))
        else:
            problem = self.problems[task_id]
            program = problem.program(fields)
            if self._copy(task_id, slot, program, future, tag):
                return future
            pending = _Pending(future, task_id, program=program)
            if checking.is_checked(problem):
                pending.slot_code = slot
            elif play.is_game(problem):
                pending.match = play.Match(play.Rules.of(problem), self.limits[task_id].cpu_s)
            with self._lock:
                self.executed += 1
            self._start(pending)
        return future

    def _start(self, pending: _Pending) -> None:
        """Run a candidate's program on its next step: its task's next cascade stage, else
        its full evaluation (a game's: every episode at once, one job each)."""
        task_id = pending.task_id
        if pending.match is not None:
            job = jobs.candidate_job(task_id, self.templates[task_id], pending.program)
            for episode in pending.match.episodes:
                self._put(replace(pending, episode=episode), jobs.with_driver(job, episode))
            return
        problem, stages = self.problems[task_id], self.stages[task_id]
        if pending.stage < len(stages):
            stage = stages[pending.stage]
            step, template, tests = stage.name, stage.template, stage.tests
        else:
            step, template, tests = cascade.FULL, self.templates[task_id], self.tests[task_id]
        if pending.slot_code is None:
            pending.scoring = scoring.Scoring(tests, problem, fail_fast=self.fail_fast)
        if stages:
            with self._lock:
                self.ran[step] += 1
        name = task_id if step == cascade.FULL else f"{task_id} {step}"
        self._put(pending, jobs.candidate_job(name, template, pending.program))

    def _copy(self, task_id: str, slot: str, program: str, future: Future, tag: Hashable
              ) -> bool:
        """Whether ``program`` is a copy of one submitted before; if so ``future`` gets that
        one's verdicts. (A checked problem's checker also reads the slot's code.)"""
        if self._distinct is None:
            return False
        task = (task_id, slot) if checking.is_checked(self.problems[task_id]) else task_id
        with self._lock:
            serial = len(self._originals) + self.shared
            first = self._distinct.first(task, program, serial)
            if first is None:
                self._originals[serial] = (future, tag)
                return False
            original, original_tag = self._originals[first]
            self.shared += 1
            if tag is not None:
                self.shared_from[tag] = original_tag
        _chain(original, future)
        return True

    def run(self, job: dict) -> Future:
        """The raw sandbox result of any job (a profile, say), through the same pool."""
        future: Future = Future()
        self._put(_Pending(future), job)
        return future

    def reference(self, job: dict) -> Future:
        """The raw result of a reference job, on the reference pool (through the thread that
        drives it, so that checks and these never share it from two threads)."""
        return self._checks().run(job)

    def _put(self, pending: _Pending, job: dict) -> None:
        with self._lock:
            key, self._next = self._next, self._next + 1
            self._pending[key] = pending
        self._inbox.put(key, job)

    def _checks(self) -> checking.Checker:
        with self._lock:
            if self._checker is None:
                if self.references is None:
                    raise ValueError("judging this benchmark needs the referee's reference pool")
                self._checker = checking.Checker(self.references)
            return self._checker

    def _watch(self, key: int, lines: list[str]) -> bool:
        """Whether to stop job ``key`` now: at a wrong answer, failing fast. A raw job runs
        to its end; a checked one's lines are data for its checker, not answers."""
        answers = self._pending[key].scoring
        return answers is not None and answers.feed(lines) and self.fail_fast

    def _serve(self) -> None:
        try:
            for key, result in self._pool.imap(self._inbox, self._watch):
                with self._lock:
                    pending = self._pending.pop(key)
                try:
                    self._settle(pending, result)
                except Exception as err:  # never leave a caller waiting forever
                    if not pending.future.done():  # (a game's episodes share one future)
                        pending.future.set_exception(err)
        except Exception as err:
            self._fail_waiting(err)

    def _settle(self, pending: _Pending, result: dict) -> None:
        if pending.task_id is None:
            pending.future.set_result(result)
            return
        problem, tests = self.problems[pending.task_id], self.tests[pending.task_id]
        limits = self.limits[pending.task_id]
        stages = self.stages[pending.task_id]
        if pending.match is not None:
            pending.match.record(pending.episode, result)
            if pending.match.over and not pending.future.done():
                pending.future.set_result(pending.match.verdicts(tests))
        elif pending.slot_code is not None:
            _chain(self._checks().verdicts(problem, tests, result, pending.slot_code, limits),
                   pending.future)
        elif pending.stage < len(stages):
            verdicts = cascade.decided(stages[pending.stage], problem, result, pending.scoring,
                                       tests)
            if verdicts is None:
                pending.stage += 1
                self._start(pending)
            else:
                pending.future.set_result(verdicts)
        else:
            verdicts = scoring.verdicts(result, tests, problem, limits.cpu_s, pending.scoring)
            pending.future.set_result(cascade.finished(verdicts) if stages else verdicts)

    def _fail_waiting(self, err: BaseException) -> None:
        with self._lock:
            waiting = list(self._pending.values())
            self._pending.clear()
        for pending in waiting:
            if not pending.future.done():  # (a game's episodes share one future)
                pending.future.set_exception(err)

    def close(self, wait: bool = True) -> None:
        """Once every job handed over is judged; or, not ``wait``ing (Ctrl-C), now: jobs not
        started are dropped, running ones killed, and their futures never resolve."""
        if wait:
            self._inbox.close()
        else:
            self._inbox.abandon()
        self._thread.join()
        self._inbox.release()
        if self._checker is not None:  # after the referee's thread: it hands checks over
            self._checker.close(wait)


def _chain(source: Future, target: Future) -> None:
    def copy(done: Future) -> None:
        error = done.exception()
        if error is not None:
            target.set_exception(error)
        else:
            target.set_result(done.result())

    source.add_done_callback(copy)
