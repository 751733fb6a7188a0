"""The evaluation cascade: cheap stages that a score problem's candidates go through before its
full evaluation, so that a program failing on a small instance, or within a short time, never
costs the full one.

A problem declares its stages in ``metadata["stages"]``, in order, each a dict: its ``name``,
its ``inputs`` (argument tuples for the entry point, like a suite's), ``call_s`` (each call's
wall-clock limit) and, optionally, ``threshold`` (the least score that goes on). The referee,
failing fast (as it does unless told to run every test), runs a candidate on each stage in
turn, and the problem's own scorer judges the stage's values as it judges a suite's. A stage
the candidate does not pass (an error, a time-out, an invalid answer, a score under the
threshold) decides its verdicts: every suite fails with the stage's reason, its run's time
and memory, the components the scorer found, and ``stage`` naming it. A candidate that passes
every stage gets the full evaluation, exactly as without stages, its verdicts marked
``stage="full"``. Stage inputs are fixed data, so every evaluation of a program is the same.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from codecrucible.correctness import scoring
from codecrucible.correctness.expected import TaskTests, TimeLimits
from codecrucible.records import Problem, Status, Verdict
from codecrucible.sandbox import jobs, wire

FULL = "full"   # the stage name of the full evaluation


@dataclass(frozen=True)
class Stage:
    """One cheap stage of a problem, ready to run: its inputs as a one-suite task (a scorer
    judges them, so there are no expected values), the job every candidate's run of it
    shares, and its limits."""

    name: str
    tests: TaskTests
    template: dict
    limits: jobs.Limits
    threshold: float | None = None


def stages(problem: Problem, limits: TimeLimits, memory_mb: int) -> list[Stage]:
    """The stages ``problem`` declares, in order (none for a problem not judged by a score)."""
    declared = problem.metadata.get("stages", ()) if problem.check == "score" else ()
    return [_stage(problem, declared_stage, limits, memory_mb) for declared_stage in declared]


def _stage(problem: Problem, declared: dict, limits: TimeLimits, memory_mb: int) -> Stage:
    name, inputs, call_s = declared.get("name"), declared.get("inputs"), declared.get("call_s")
    if not name or name == FULL or not inputs or not call_s or call_s <= 0:
        raise ValueError(f"{problem.task_id}: a stage needs a name other than {FULL!r}, "
                         f"inputs and a positive call_s (got {declared!r})")
    args = [wire.dumps(tuple(a)) for a in inputs]
    nothing = wire.dumps([None, None])   # no expected value: the scorer judges the values
    tests = TaskTests({f"{name} stage": len(args)}, args, [nothing] * len(args),
                      [0.0] * len(args), None)
    run_limits = jobs.Limits.timed(limits.load_s + call_s * len(args), limits.load_s,
                                   memory_mb)
    template = jobs.calls_job(problem.entry_point, args, run_limits, oracle=problem.oracle,
                              test_limits=[call_s] * len(args), whole_values=True)
    return Stage(name, tests, template, run_limits, declared.get("threshold"))


def decided(stage: Stage, problem: Problem, result: dict, answers: scoring.Scoring,
            full: TaskTests) -> dict[str, Verdict] | None:
    """The candidate's verdicts when its run of ``stage`` ends its evaluation; None when it
    goes on to the next stage."""
    [got] = scoring.verdicts(result, stage.tests, problem, stage.limits.cpu_s, answers).values()
    why = got.first_failure
    if got.passed:
        if stage.threshold is None or got.score >= stage.threshold:
            return None
        why = (f"{stage.name} stage: the score {got.score:.6g} is under the threshold "
               f"{stage.threshold:.6g} that goes on to the full evaluation")
    status = Status.FAILED if got.passed else got.status
    return {suite: replace(got, status=status, tests_passed=0, tests_total=count,
                           first_failure=why, score=None, stage=stage.name)
            for suite, count in full.suites.items()}


def finished(verdicts: dict[str, Verdict]) -> dict[str, Verdict]:
    """A full evaluation's verdicts, marked as the stage that decided them."""
    return {suite: replace(v, stage=FULL) for suite, v in verdicts.items()}
