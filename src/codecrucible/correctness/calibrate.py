"""Turning a problem's tests into (arguments, expected value) pairs, and timing the reference.

The reference solution runs once per task in the sandbox (benchmark code is not model code, but
nothing else needs to run it in the harness either), on a pool of its own role
(``sandbox.REFERENCES``): the servers that fork candidates never hold an expected answer.
Results are cached per data file and interpreter, so later runs on this host reuse both the
expected values and the timings that the time limits are derived from. A reference that fails
for the machine's sake (a sandbox error, a timeout on a loaded host) is not cached: its task is
unjudgeable in this run only, and the next run tries it again.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from codecrucible.correctness import checking, play
from codecrucible.correctness.expected import TaskTests
from codecrucible.files import cache_dir
from codecrucible.records import Problem
from codecrucible.sandbox import SandboxPool, jobs, reference_job, wire
from codecrucible.sandbox.verdict import last_line

VERSION = 6
_REFERENCE_LIMITS = jobs.Limits(wall_s=300, load_s=300, cpu_s=300, memory_mb=2048,
                                result_bytes=512 << 20)


def cache_path(problems: list[Problem], data_key: str) -> Path:
    python = ".".join(map(str, sys.version_info[:2]))
    name = f"{problems[0].benchmark}-{data_key[:16]}-py{python}-v{VERSION}.json"
    return cache_dir() / "calibration" / name.replace("+", "plus")


def calibrate(problems: list[Problem], pool: SandboxPool, data_key: str,
              on_done: Callable[[str], None] | None = None) -> dict[str, TaskTests]:
    """Calibrated tests for every problem, from the cache where possible. ``pool`` is a
    reference pool (see ``sandbox.pool``), started only if something is not cached."""
    path = cache_path(problems, data_key)
    cached = _read_cache(path)
    for problem in problems:
        if problem.expected_output is not None:  # the data gives the answer: nothing to run
            cached[problem.task_id] = _given_answer(problem)
        elif play.is_game(problem):  # the game scores: no reference to run
            cached[problem.task_id] = play.task_tests(problem)
        elif problem.metadata.get("unjudgeable"):
            cached[problem.task_id] = TaskTests({}, [], [], [], None,
                                                error=problem.metadata["unjudgeable"])
    missing = [p for p in problems if p.task_id not in cached]
    if missing:
        passing = set()  # failures of the machine, not of the reference: tried again next time
        for problem, tests, transient in _calibrated(missing, pool):
            cached[problem.task_id] = tests
            if transient:
                passing.add(problem.task_id)
            if on_done:
                on_done(problem.task_id)
        _write_cache(path, {task: t for task, t in cached.items() if task not in passing})
    elif on_done:
        for problem in problems:
            on_done(problem.task_id)
    return {p.task_id: cached[p.task_id] for p in problems}


def _calibrated(problems: list[Problem], pool: SandboxPool):
    plain = [p for p in problems if not checking.is_checked(p)]
    if plain:
        for problem, result in pool.imap((p, reference_job(_reference_job(p))) for p in plain):
            transient = "sandbox_error" in result or bool(result.get("timed_out"))
            yield problem, _task_tests(problem, result), transient
    checked = [p for p in problems if checking.is_checked(p)]
    if checked:
        for problem, tests in checking.calibrated(checked, pool, _REFERENCE_LIMITS):
            yield problem, tests, False


def data_key(*sha256s: str) -> str:
    return hashlib.sha256("".join(sha256s).encode()).hexdigest()


def _given_answer(problem: Problem) -> TaskTests:
    return TaskTests({"base": 1}, ["[]"], [f"[{problem.expected_output},null]"], [0.0], None)


def _reference_job(problem: Problem) -> dict:
    if not problem.calls:
        return jobs.program_job(problem.check, _REFERENCE_LIMITS,
                                code=problem.program({"solution": problem.reference}))
    if problem.inputs is not None:
        tests = [wire.dumps(args) for suite in problem.inputs.values() for args in suite]
        return jobs.calls_job(problem.entry_point, tests, _REFERENCE_LIMITS,
                              code=problem.reference, oracle=problem.oracle, timed=True)
    return jobs.record_job(problem.reference, problem.entry_point, problem.snippets,
                           _REFERENCE_LIMITS)



def _task_tests(problem: Problem, result: dict) -> TaskTests:
    failure = _reference_failure(result)
    if not problem.calls:
        if failure:
            return TaskTests({}, [], [], [], None, error=failure)
        # What the reference printed is the expected answer.
        frame = json.loads(result["frames"][0]) if result.get("frames") else None
        if frame is None or frame[2] is not None:
            why = last_line(result.get("stderr", "")) or (frame[2] if frame else "no answer")
            return TaskTests({}, [], [], [], None,
                             error=f"the reference solution failed: {why[:200]}")
        return TaskTests({"base": 1}, ["[]"], [json.dumps([frame[1], None])],
                         [float(result.get("wall_s") or 0.0)], None)
    if problem.inputs is not None:
        tests = _from_calls(problem, result)
    else:
        tests = _from_record(problem, result)
    if failure and not tests.total:
        return TaskTests({}, [], [], [], None, error=failure)
    if not tests.total:
        return TaskTests({}, [], [], [], None, dropped=tests.dropped,
                         error="the reference solution passes none of the task's tests")
    return tests


def _reference_failure(result: dict) -> str | None:
    if "sandbox_error" in result:
        return result["sandbox_error"]
    if result.get("timed_out"):
        return "the reference solution timed out"
    if result.get("exit") not in (0, None):
        tail = (result.get("stderr") or "").strip().splitlines()[-1:] or [""]
        return f"the reference solution exited with {result['exit']}: {tail[0]}"
    return None


def _from_calls(problem: Problem, result: dict) -> TaskTests:
    suites: dict[str, int] = {}
    args, expected, ref_s, dropped = [], [], [], 0
    frames = [json.loads(line) for line in result.get("frames", [])]
    position = 0
    for suite, inputs in problem.inputs.items():
        kept = []
        for inp in inputs:
            frame = frames[position] if position < len(frames) else None
            position += 1
            if frame is None or frame[2] is not None:
                dropped += 1  # the reference rejects this input (its contract) or never got to it
                continue
            kept.append((wire.dumps(inp), json.dumps([frame[1], None], separators=(",", ":")),
                         float(frame[3] or 0.0)))
        if suite != "base":
            # Smallest inputs first: a wrong program is usually caught as well by a small input
            # as by a large one, and sooner. Base tests keep the benchmark's own order.
            kept.sort(key=lambda test: len(test[0]))
        for encoded, answer, seconds in kept:
            args.append(encoded)
            expected.append(answer)
            ref_s.append(seconds)
        suites[suite] = len(kept)
    return TaskTests(suites, args, expected, ref_s, None, dropped)


def _from_record(problem: Problem, result: dict) -> TaskTests:
    calls: dict[int, list] = {}
    failed_snippets: set[int] = set()
    for line in result.get("frames", []):
        frame = json.loads(line)
        if frame[0] == "call":
            calls.setdefault(frame[1], []).append(frame)
        elif frame[0] == "done" and frame[2] is not None:
            failed_snippets.add(frame[1])
    args, expected, ref_s, oracles, dropped = [], [], [], [], 0
    for snippet in range(len(problem.snippets)):
        for _, _, call_args, value, exc, seconds in calls.get(snippet, []):
            if snippet in failed_snippets or (exc or "").startswith("Unserializable"):
                dropped += 1
                continue
            args.append(json.dumps(call_args, separators=(",", ":")))
            expected.append(json.dumps([value, exc], separators=(",", ":")))
            ref_s.append(float(seconds))
            overrides = problem.snippet_oracles
            oracles.append(overrides[snippet] if overrides else None)
    any_override = any(o is not None for o in oracles)
    return TaskTests({"base": len(args)}, args, expected, ref_s,
                     oracles if any_override else None, dropped)


def _read_cache(path: Path) -> dict[str, TaskTests]:
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {task: TaskTests(**entry) for task, entry in raw.items()}


def _write_cache(path: Path, tests: dict[str, TaskTests]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    partial.write_text(json.dumps({task: asdict(t) for task, t in tests.items()}))
    partial.replace(path)
