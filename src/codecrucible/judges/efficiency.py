"""The efficiency judge: how much work and memory a correct candidate needs, relative to the
benchmark's reference solution, and how that work grows with the input.

Cost: the candidate and the reference each run in the sandbox, every input on fresh copies of
the arguments, keeping the median cost per call; then the peak of Python allocations during one
call on the task's heaviest input (tracemalloc). The cost is the user-space instructions the
calling thread retires (``perf_event_open``), which do not depend on what else the machine is
doing; where the kernel cannot count them (a VM without a PMU, such as this project's CI host)
it is the calling thread's CPU time, so waiting for the machine does not count, and neither do
threads a call starts. ``metric()`` says which one this host gives; candidate and reference are
only compared when they were measured the same way.

Growth, after BigO(Bench): benchmark inputs are small, and a ratio on one input size ranks an
all-pairs search that stops at its first hit above a sort, so the judge also measures both
programs on inputs grown to ``growth.SIZES`` items (fresh, distinct, type-matched values, in a
few orderings: ``growth.py``) and fits log(cost) against log(n) by least squares. A grown input
is used only where the reference solution runs on it without error within its limits (EvalPlus
references check the task's input contract), and an ordering only where the reference accepts
at least ``growth.MIN_SIZES`` sizes; sizes whose cost is under ``FIT_FLOOR`` (where a call's
fixed overhead dominates) are left out of the fit, and ``_FLOOR`` is subtracted as that
overhead. The candidate's exponent is its worst over the orderings, the reference's is on the
same ordering (absent where the reference's cost stays under the floor: then nothing is
compared). The candidate's results on grown inputs are not checked, only measured; a candidate
that does not finish an ordering's sizes (``CANDIDATE_CALL_S`` a call) is not run on the rest.
The sizes are fixed, so quadratic work done inside C (copying strings) shows only part of its
exponent: prepending HumanEval/28's strings one by one measured n^1.47 against the reference's
n^1.0 (its ratio, 13, says the rest); sizes grown until the cost reaches a budget, as
BigO(Bench) does, would show more.

Scores: ``efficiency.ratio`` (candidate's summed medians over the reference's, on the task's
``INPUTS`` largest test inputs and the largest grown input; 1 is as cheap, 2 twice as costly),
``efficiency.ratio_min`` / ``_max`` over those inputs (the spread), ``efficiency.growth`` and
``efficiency.growth_reference`` (the fitted exponents: about 1 for linear work, 1.1 for
n log n, 2 for quadratic), ``efficiency.peak_kib`` and ``efficiency.memory_ratio``. Reading
them: a candidate whose growth exceeds the reference's by more than ``GAP`` is asymptotically
worse whatever its ratio (finding ``EFF-GROWTH``; also when it runs out of time on a size the
reference finished); where no exponent can be fitted (nothing in the inputs grows, the
reference refuses the grown inputs, or the cost never rises above the floor) there is no
growth score, and finding ``EFF-NO-GROWTH`` says why.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import NamedTuple

from codecrucible.correctness.expected import TaskTests, TimeLimits
from codecrucible.judges import growth
from codecrucible.judges.base import REFEREE, Assessment, Finding, Program, Setting
from codecrucible.records import Problem
from codecrucible.sandbox import counters, jobs, reference_job, wire

INPUTS = 5
REPEAT = 5
EVENT = "instructions"
_FLOOR = 1_000  # a reference cheaper than a microsecond (or 1000 instructions) counts as that
FIT_FLOOR = 20 * _FLOOR  # sizes cheaper than this are left out of a growth fit
GAP = 0.5  # a growth exponent this far above the reference's is asymptotically worse
ORDERINGS = 3  # grown families the reference accepts that candidates are measured on
REFERENCE_CALL_S = 2.0  # a grown size on which a reference call takes longer is not used
CANDIDATE_CALL_S = 3.0  # a candidate's window per call on a grown size


def metric(event: str = EVENT) -> str:
    """What the judge measures on this host, in words: the event, or CPU time and why."""
    why = counters.unavailable(event)
    cost = f"user-space {event} (perf_event_open)" if why is None else \
        f"thread CPU time (no instruction counts here: {why})"
    sizes = ", ".join(map(str, growth.SIZES))
    return (f"median {cost} of {REPEAT} calls on each of the {INPUTS} largest inputs; growth: "
            f"log-log slope of the cost on inputs grown to n = {sizes} items (fresh values "
            f"the reference accepts, after BigO(Bench)); memory: tracemalloc peak")


class Measured(NamedTuple):
    metric: str  # the event counted, or "cpu_ns"
    costs: list[int]  # median per input
    peak_bytes: int | None


class Grown(NamedTuple):
    """One ordering of grown inputs, at the sizes the reference accepted, and its costs."""

    family: str
    sizes: list[int]
    inputs: list[str]
    costs: list[int]  # the reference's median per size


class Baseline(NamedTuple):
    """What the reference measured on a task: its largest inputs, and the grown ones."""

    inputs: list[str]
    measured: Measured
    grown: list[Grown]
    why: str | None  # why nothing grows (then ``grown`` is empty)


def heaviest(tests: TaskTests, count: int = INPUTS) -> list[int]:
    """The indices of the largest inputs (their encoded size; the reference's time breaks
    ties), heaviest last. Size, not the reference's time, picks them: calibration times one
    call each, and at microseconds that is noise."""
    order = sorted(range(tests.total), key=lambda i: (len(tests.args[i]), tests.ref_s[i]))
    return order[-count:]


def profile_job(problem: Problem, inputs: list[str], code: str, limits: TimeLimits,
                memory_mb: int, event: str = EVENT, repeats: Sequence[int] | None = None,
                call_s: float | None = None) -> dict:
    """``REPEAT`` calls per input (``repeats`` per input where given), each in a window of
    ``call_s`` (by default the plus tests' floor and two seconds: what is measured is how much
    the calls cost, not whether they end within a test's limit)."""
    repeats = list(repeats) if repeats is not None else [REPEAT] * len(inputs)
    per_call = limits.plus_floor_s + 2.0 if call_s is None else call_s
    windows = [count * per_call for count in repeats]
    windows.append(windows[-1] if windows else 1.0)  # the traced call's own window
    windows.insert(0, 1.0)  # the line naming the metric, sent before the first call
    wall = limits.load_s + sum(windows)
    return jobs.profile_job(code, problem.entry_point, inputs,
                            jobs.Limits.timed(wall, limits.load_s, memory_mb, 1 << 20),
                            counter=event, repeat=REPEAT, test_limits=windows, repeats=repeats)


def _frames(result: dict):
    """``(index, value, error)`` of each well-formed result line; others are skipped (the
    lines cross from the sandbox: they are data, never trusted to be well formed)."""
    for line in result.get("frames", []):
        try:
            index, value, error, _ = json.loads(line)
        except (ValueError, TypeError):
            continue
        yield index, value, error


def per_input(result: dict, count: int) -> tuple[str | None, list[int | None]]:
    """The metric and each input's median cost; None for an input that failed or never ran
    (the job ran out of time before it)."""
    used, costs = None, [None] * count
    for index, value, error in _frames(result):
        if index == "metric":
            used = value
        elif type(index) is int and 0 <= index < count and error is None \
                and type(value) is int and value >= 0:
            costs[index] = value
    return used, costs


def measurements(result: dict) -> Measured | None:
    """The metric, the median cost per input and the peak bytes; None if any input failed."""
    used, costs, peak = None, [], None
    for index, value, error in _frames(result):
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


def _finding(rule: str, message: str, severity: str | None = None) -> Finding:
    return Finding("efficiency", rule, message, 0, severity)


class Growth(NamedTuple):
    """A candidate's growth on one ordering of grown inputs."""

    family: str
    exponent: float | None
    reference: float | None
    why: str  # what was fitted, or why nothing was
    largest: tuple[int, int, int] | None  # (n, candidate's cost, reference's) at the top
    unfinished: list[int]  # sizes the reference finished and the candidate did not


def growth_of(family: Grown, costs: list[int | None]) -> Growth:
    mine, how = growth.exponent(family.sizes, costs, FIT_FLOOR, _FLOOR)
    theirs, how_ref = growth.exponent(family.sizes, family.costs, FIT_FLOOR, _FLOOR)
    both = [(n, c, r) for n, c, r in zip(family.sizes, costs, family.costs, strict=True)
            if c is not None]
    unfinished = [n for n, c in zip(family.sizes, costs, strict=True) if c is None]
    why = how if theirs is not None else f"{how}; reference: {how_ref}"
    return Growth(family.family, mine, theirs, why, both[-1] if both else None, unfinished)


def judged(baseline: Baseline, mine: Measured, grown: list[Growth]) -> Assessment:
    """The scores and findings of a candidate, from its measurements and the reference's."""
    fitted = [g for g in grown if g.exponent is not None]
    worst = max(fitted, key=lambda g: g.exponent) if fitted else \
        next((g for g in grown if g.largest), None)
    candidate, reference = mine, baseline.measured
    if worst is not None and worst.largest is not None:
        _, cost, theirs = worst.largest
        candidate = mine._replace(costs=[*mine.costs, cost])
        reference = reference._replace(costs=[*reference.costs, theirs])
    out = Assessment(scores(candidate, reference))
    if not out.scores:
        return out
    if baseline.why is not None:
        out.findings.append(_finding("EFF-NO-GROWTH", f"no growth measured: {baseline.why}"))
    elif not fitted:
        reasons = "; ".join(f"{g.family}: {g.why}" for g in grown) or "no grown input ran"
        out.findings.append(_finding("EFF-NO-GROWTH", f"no growth measured: {reasons}"))
    if worst is not None and worst.exponent is not None:
        out.scores["efficiency.growth"] = worst.exponent
        if worst.reference is not None:
            out.scores["efficiency.growth_reference"] = worst.reference
            if worst.exponent > worst.reference + GAP:
                out.findings.append(_finding(
                    "EFF-GROWTH", f"cost grows as n^{worst.exponent:.2f} against the "
                    f"reference's n^{worst.reference:.2f} ({worst.family} inputs): "
                    "asymptotically worse, whatever the ratio", "MEDIUM"))
    stuck = sorted({n for g in grown for n in g.unfinished})
    if stuck:
        out.findings.append(_finding(
            "EFF-GROWTH", f"did not finish grown inputs of n = {', '.join(map(str, stuck))} "
            f"within {CANDIDATE_CALL_S:g} s a call (or raised), where the reference did",
            "MEDIUM"))
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
        self._references: dict[str, Baseline | None] = {}
        self._lock = threading.Lock()

    def applies(self, problem: Problem, tests: TaskTests) -> bool:
        return problem.check == "calls" and not tests.error and tests.total > 0

    def assess(self, task_id: str, code: str) -> Assessment:
        problem, tests = self.referee.problems[task_id], self.referee.tests[task_id]
        if not self.applies(problem, tests):
            return Assessment()
        baseline = self._reference(task_id)
        if baseline is None:
            return Assessment()
        mine = measurements(self._profile(problem, baseline.inputs, code))
        if mine is None or mine.metric != baseline.measured.metric:
            return Assessment()
        grown: list[Growth] = []
        for family in baseline.grown:
            if grown and grown[-1].unfinished:
                break  # too slow, or failing, on grown inputs: the other orderings would be too
            used, costs = per_input(self._profile(problem, family.inputs, code, family.sizes,
                                                  CANDIDATE_CALL_S), len(family.inputs))
            if used == mine.metric:
                grown.append(growth_of(family, costs))
        return judged(baseline, mine, grown)

    def _reference(self, task_id: str) -> Baseline | None:
        """The inputs to profile on, and the reference's measurements on them."""
        with self._lock:
            if task_id not in self._references:
                self._references[task_id] = self._measure_reference(task_id)
            return self._references[task_id]

    def _measure_reference(self, task_id: str) -> Baseline | None:
        problem, tests = self.referee.problems[task_id], self.referee.tests[task_id]
        inputs = [tests.args[i] for i in heaviest(tests)]
        measured = measurements(self._profile_reference(problem, inputs))
        if measured is None:
            return None
        why, grown, tried = growth.why_not(tests.args), [], set()
        for family in growth.FAMILIES if why is None else ():
            if len(grown) >= ORDERINGS:
                break
            try:
                offered = growth.grow(task_id, tests.args, family)
            except (ValueError, TypeError, RecursionError, wire.Unserializable) as err:
                why = f"the inputs could not be grown ({type(err).__name__}: {err})"
                break
            if not offered or tuple(offered) in tried:
                continue
            tried.add(tuple(offered))
            sizes, candidates = (list(part) for part in zip(*offered, strict=True))
            used, costs = per_input(self._profile_reference(problem, candidates, sizes,
                                                            REFERENCE_CALL_S), len(candidates))
            kept = [(n, raw, c) for n, raw, c in zip(sizes, candidates, costs, strict=True)
                    if c is not None]
            if used == measured.metric and len(kept) >= growth.MIN_SIZES:
                grown.append(Grown(family, *map(list, zip(*kept, strict=True))))
        if why is not None:
            grown = []
        elif not tried:
            why = f"the grown inputs would be over {growth.MAX_BYTES >> 20} MiB each, encoded"
        elif not grown:
            why = (f"the reference accepted fewer than {growth.MIN_SIZES} sizes of every "
                   "grown input (its contract, or its own time)")
        return Baseline(inputs, measured, grown, why)

    def _profile(self, problem: Problem, inputs: list[str], code: str,
                 sizes: Sequence[int] | None = None, call_s: float | None = None) -> dict:
        job = profile_job(problem, inputs, code, self.limits, self.memory_mb, self.event,
                          _repeats(sizes), call_s)
        return self.referee.run(job).result()

    def _profile_reference(self, problem: Problem, inputs: list[str],
                           sizes: Sequence[int] | None = None,
                           call_s: float | None = None) -> dict:
        # Called under self._lock: the reference pool is used by one thread at a time.
        job = profile_job(problem, inputs, problem.reference, self.limits, self.memory_mb,
                          self.event, _repeats(sizes), call_s)
        return self.referee.reference(reference_job(job)).result()


def _repeats(sizes: Sequence[int] | None) -> list[int] | None:
    """The calls per grown size (``growth.REPEATS``), or None for the task's own inputs."""
    if sizes is None:
        return None
    return [dict(zip(growth.SIZES, growth.REPEATS, strict=True))[n] for n in sizes]


class EfficiencyJudge:
    """The ``efficiency`` judge: profiles the programs that passed, through the run's referee
    (``Efficiency``, one per run, kept in its ``Setting``); others get no efficiency scores."""

    name, needs = "efficiency", REFEREE

    def assess(self, programs: Sequence[Program], setting: Setting | None = None
               ) -> list[Assessment]:
        profiler = setting.keep(self.name, lambda: Efficiency(setting.referee, setting.limits,
                                                              setting.memory_mb))
        return [profiler.assess(p.task_id, p.code) if p.passed and p.code else Assessment()
                for p in programs]

    def facts(self) -> dict[str, str]:
        return {"efficiency_metric": metric()}
