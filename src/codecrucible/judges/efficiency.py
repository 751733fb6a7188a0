"""The efficiency judge: how much work and memory a correct candidate needs, relative to the
benchmark's reference solution, on the task's heaviest inputs.

The inputs are the task's ``INPUTS`` largest test inputs (for EvalPlus data, plus inputs), and
the largest one scaled up: its list, tuple and string arguments repeated until they hold about
``SCALED_LENGTH`` items, because benchmark inputs are small enough that a quadratic solution and
a linear one take the same microseconds. The scaled input is used only if the reference accepts
it (EvalPlus references check the task's input contract), and only its cost is measured.
Repetition can make an input degenerate (duplicates everywhere): a solution that stops at the
first duplicate then looks fast. EvalPerf's generated performance inputs would be better; they
are not part of the offline data.

Candidate and reference each run in the sandbox: every input ``REPEAT`` times on a fresh copy of
the arguments, keeping the median cost per call; then the peak of Python allocations during one
call on the heaviest input (tracemalloc). The cost is the user-space instructions the calling
thread retires (``perf_event_open``), which do not depend on what else the machine is doing;
where the kernel cannot count them (a VM without a PMU, such as this project's CI host) it is
the calling thread's CPU time, so waiting for the machine does not count, and neither do threads
a call starts. ``metric()`` says which one this host gives; candidate and reference are only
compared when they were measured the same way.

Scores: ``efficiency.ratio`` (candidate's summed medians over the reference's; 1 is as cheap,
2 twice as costly), ``efficiency.ratio_min`` / ``_max`` over the inputs (the spread),
``efficiency.peak_kib`` and ``efficiency.memory_ratio``.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from typing import NamedTuple

from codecrucible.correctness.expected import TaskTests, TimeLimits
from codecrucible.judges.base import REFEREE, Assessment, Program, Setting
from codecrucible.records import Problem
from codecrucible.sandbox import counters, jobs, reference_job, wire

INPUTS = 5
REPEAT = 5
SCALED_LENGTH = 2000
EVENT = "instructions"
_FLOOR = 1_000  # a reference cheaper than a microsecond (or 1000 instructions) counts as that


def metric(event: str = EVENT) -> str:
    """What the judge measures on this host, in words: the event, or CPU time and why."""
    why = counters.unavailable(event)
    cost = f"user-space {event} (perf_event_open)" if why is None else \
        f"thread CPU time (no instruction counts here: {why})"
    return (f"median {cost} of {REPEAT} calls on each of the {INPUTS} largest inputs and the "
            f"largest scaled to ~{SCALED_LENGTH} items; memory: tracemalloc peak")


class Measured(NamedTuple):
    metric: str  # the event counted, or "cpu_ns"
    costs: list[int]  # median per input
    peak_bytes: int | None


def heaviest(tests: TaskTests, count: int = INPUTS) -> list[int]:
    """The indices of the largest inputs (their encoded size; the reference's time breaks
    ties), heaviest last. Size, not the reference's time, picks them: calibration times one
    call each, and at microseconds that is noise."""
    order = sorted(range(tests.total), key=lambda i: (len(tests.args[i]), tests.ref_s[i]))
    return order[-count:]


def scaled(encoded_args: str) -> str | None:
    """The arguments with each list, tuple and string repeated to about SCALED_LENGTH items;
    None when there is nothing to scale."""
    args = wire.loads(encoded_args)
    if type(args) not in (list, tuple):
        return None
    grown, changed = [], False
    for arg in args:
        if type(arg) in (list, tuple, str) and 0 < len(arg) < SCALED_LENGTH:
            arg = arg * math.ceil(SCALED_LENGTH / len(arg))
            changed = True
        grown.append(arg)
    return wire.dumps(tuple(grown)) if changed else None


def workload(tests: TaskTests) -> list[str]:
    """The encoded inputs a profile runs: the largest tests, then the largest scaled."""
    chosen = [tests.args[i] for i in heaviest(tests)]
    bigger = scaled(chosen[-1]) if chosen else None
    return chosen + ([bigger] if bigger else [])


def profile_job(problem: Problem, inputs: list[str], code: str, limits: TimeLimits,
                memory_mb: int, event: str = EVENT) -> dict:
    # Generous windows: what is measured is how much the calls cost, not whether they end
    # within a test's limit; the scaled input may take a quadratic solution seconds.
    windows = [REPEAT * (limits.plus_floor_s + 2.0) for _ in inputs]
    windows.append(windows[-1] if windows else 1.0)  # the traced call's own window
    windows.insert(0, 1.0)  # the line naming the metric, sent before the first call
    wall = limits.load_s + sum(windows)
    return jobs.profile_job(code, problem.entry_point, inputs,
                            jobs.Limits.timed(wall, limits.load_s, memory_mb, 1 << 20),
                            counter=event, repeat=REPEAT, test_limits=windows)


def measurements(result: dict) -> Measured | None:
    """The metric, the median cost per input and the peak bytes; None if any input failed."""
    used, costs, peak = None, [], None
    for line in result.get("frames", []):
        index, value, error, _ = json.loads(line)
        if index == "metric":
            used = value
        elif error is not None or value is None:
            return None
        elif index == "peak_bytes":
            peak = value
        else:
            costs.append(value)
    return Measured(used, costs, peak) if used and costs else None


def scores(candidate: Measured, reference: Measured) -> dict[str, float]:
    mine, theirs = candidate.costs, reference.costs
    if candidate.metric != reference.metric or len(mine) != len(theirs):
        return {}
    ratios = [m / max(t, _FLOOR) for m, t in zip(mine, theirs, strict=True)]
    out = {"efficiency.ratio": sum(mine) / max(sum(theirs), _FLOOR),
           "efficiency.ratio_min": min(ratios), "efficiency.ratio_max": max(ratios)}
    if candidate.peak_bytes is not None:
        out["efficiency.peak_kib"] = candidate.peak_bytes / 1024
        if reference.peak_bytes:
            out["efficiency.memory_ratio"] = candidate.peak_bytes / reference.peak_bytes
    return out


class Efficiency:
    """Profiles correct candidates through a ``Referee``'s sandbox; the reference is profiled
    once per task, on first need, on the referee's reference pool (never on a server that forks
    candidates). ``event`` is the counter asked for (see ``counters.EVENTS``); where it cannot
    be opened the sandbox measures CPU time instead."""

    def __init__(self, referee, limits: TimeLimits, memory_mb: int, event: str = EVENT):
        if event not in counters.EVENTS:
            raise ValueError(f"unknown event {event!r}; known: {', '.join(counters.EVENTS)}")
        if referee.references is None:
            raise ValueError("the efficiency judge needs the referee's reference pool")
        self.referee, self.limits, self.memory_mb, self.event = referee, limits, memory_mb, event
        self._references: dict[str, tuple[list[str], Measured] | None] = {}
        self._lock = threading.Lock()

    def applies(self, problem: Problem, tests: TaskTests) -> bool:
        return problem.check == "calls" and not tests.error and tests.total > 0

    def assess(self, task_id: str, code: str) -> dict[str, float]:
        problem, tests = self.referee.problems[task_id], self.referee.tests[task_id]
        if not self.applies(problem, tests):
            return {}
        reference = self._reference(task_id)
        if reference is None:
            return {}
        inputs, expected = reference
        mine = measurements(self._profile(problem, inputs, code))
        return scores(mine, expected) if mine else {}

    def _reference(self, task_id: str) -> tuple[list[str], Measured] | None:
        """The inputs to profile on, and the reference's measurements on them."""
        with self._lock:
            if task_id not in self._references:
                problem, tests = self.referee.problems[task_id], self.referee.tests[task_id]
                inputs = workload(tests)
                measured = measurements(self._profile_reference(problem, inputs))
                if measured is None and len(inputs) > INPUTS:
                    inputs = inputs[:-1]  # the reference refuses the scaled input
                    measured = measurements(self._profile_reference(problem, inputs))
                self._references[task_id] = (inputs, measured) if measured else None
            return self._references[task_id]

    def _profile(self, problem: Problem, inputs: list[str], code: str) -> dict:
        job = profile_job(problem, inputs, code, self.limits, self.memory_mb, self.event)
        return self.referee.run(job).result()

    def _profile_reference(self, problem: Problem, inputs: list[str]) -> dict:
        # Called under self._lock: the reference pool is used by one thread at a time.
        job = profile_job(problem, inputs, problem.reference, self.limits, self.memory_mb,
                          self.event)
        return self.referee.reference(reference_job(job)).result()


class EfficiencyJudge:
    """The ``efficiency`` judge: profiles the programs that passed, through the run's referee
    (``Efficiency``, one per run, kept in its ``Setting``); others get no efficiency scores."""

    name, needs = "efficiency", REFEREE

    def assess(self, programs: Sequence[Program], setting: Setting | None = None
               ) -> list[Assessment]:
        profiler = setting.keep(self.name, lambda: Efficiency(setting.referee, setting.limits,
                                                              setting.memory_mb))
        return [Assessment(profiler.assess(p.task_id, p.code) if p.passed and p.code else {})
                for p in programs]

    def facts(self) -> dict[str, str]:
        return {"efficiency_metric": metric()}
