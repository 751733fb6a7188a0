"""Typed sandbox jobs: the limits a job runs under and one builder per kind of job.

The fork server reads plain JSON objects (``server.py``, ``runner.py``), and the pool reads two
of their keys (``reference``, ``template``), so each builder here returns exactly the wire dict
the server reads, built in one place from typed arguments. A job stays a dict on its way
through the pool: what is sent is what was built, with no second encoding step that could
drift from the first. ``Limits`` is the typed part every job shares.

One key is never sent: ``DRIVER``, an episode's harness-side driver (``episode_job``), which
``ForkServer.submit`` takes out of the job and keeps.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

DEFAULT_OUTPUT_BYTES = 1 << 20
DEFAULT_RESULT_BYTES = 64 << 20
DRIVER = "driver"

# What drives an episode from the harness: given every answer line so far, the next message
# for the running job (``{"observe": wire text}``, or ``{"stop": True}`` to end it), or None
# while there is nothing to send (no new answer yet).
Driver = Callable[[list[str]], dict | None]


@dataclass(frozen=True)
class Limits:
    """What one job may use. ``wall_s`` caps the whole run; ``load_s`` is the allowance for
    loading the program before its first test (calls and profiles); ``None`` leaves a limit
    to the server's default."""

    wall_s: float
    load_s: float | None = None
    cpu_s: int | None = None
    memory_mb: int = 1024
    output_bytes: int | None = DEFAULT_OUTPUT_BYTES
    result_bytes: int | None = DEFAULT_RESULT_BYTES

    @classmethod
    def timed(cls, wall_s: float, load_s: float, memory_mb: int,
              result_bytes: int = DEFAULT_RESULT_BYTES) -> Limits:
        """Limits for a run of ``wall_s`` seconds: CPU time just above it."""
        return cls(wall_s, load_s, math.ceil(wall_s) + 1, memory_mb,
                   DEFAULT_OUTPUT_BYTES, result_bytes)

    def to_wire(self) -> dict:
        return {key: value for key, value in asdict(self).items() if value is not None}


def calls_job(entry: str, tests: Sequence[str], limits: Limits, *, code: str | None = None,
              oracle: str | None = None, test_limits: Sequence[float] | None = None,
              timed: bool = False, whole_values: bool = False) -> dict:
    """Call ``entry`` once per wire-encoded argument tuple in ``tests``; each answer comes back
    as a line. ``test_limits`` gives each test its own window; ``timed`` times each call;
    ``whole_values`` sends every value whole (a scorer reads it), never as its digest."""
    job: dict = {"kind": "calls", "entry": entry, "tests": list(tests)}
    if code is not None:
        job["code"] = code
    if test_limits is not None:
        job["test_limits"] = list(test_limits)
    if timed:
        job["timed"] = True
    if whole_values:
        job["whole_values"] = True
    job["oracle"] = oracle
    job["limits"] = limits.to_wire()
    return job


def episode_job(entry: str, limits: Limits, *, step_s: float, code: str | None = None
                ) -> dict:
    """Load a policy and call ``entry`` on each observation the harness sends while the job
    runs, answering each with the action it returned; each step has ``step_s`` seconds from
    the observation's arrival. Add a ``Driver`` under ``DRIVER`` (``with_driver``) to run it."""
    job: dict = {"kind": "episode", "entry": entry, "step_s": step_s}
    if code is not None:
        job["code"] = code
    job["limits"] = limits.to_wire()
    return job


def with_driver(job: dict, driver: Driver) -> dict:
    """``job`` (an episode, or a candidate's job on an episode's template) driven by
    ``driver``, which the pool calls as answers arrive and never sends."""
    return {**job, DRIVER: driver}


def record_job(code: str, entry: str, snippets: Sequence[str], limits: Limits) -> dict:
    """Run test snippets against ``code``, recording every call they make to ``entry``."""
    return {"kind": "record", "code": code, "entry": entry, "snippets": list(snippets),
            "limits": limits.to_wire()}


def program_job(answer: str, limits: Limits, code: str | None = None) -> dict:
    """Run a whole program; ``answer`` says what of it is the answer (``"last_print"``)."""
    job: dict = {"kind": "program", "answer": answer}
    if code is not None:
        job["code"] = code
    job["limits"] = limits.to_wire()
    return job


def profile_job(code: str, entry: str, tests: Sequence[str], limits: Limits, *, counter: str,
                repeat: int, test_limits: Sequence[float],
                repeats: Sequence[int] | None = None) -> dict:
    """Call ``entry`` on ``tests`` ``repeat`` times each (``repeats[i]`` times test ``i``,
    where given), counting ``counter`` per call."""
    job = {"kind": "profile", "code": code, "entry": entry, "counter": counter,
           "tests": list(tests), "repeat": repeat, "test_limits": list(test_limits),
           "limits": limits.to_wire()}
    if repeats is not None:
        job["repeats"] = [int(r) for r in repeats]
    return job


def values_job(figure: bool, queries: Sequence, limits: Limits, *, code: str | None = None,
               record: str | None = None) -> dict:
    """Run a program that sends back each test case's result as data (``checked.py``);
    ``figure``: its results are plots, of which ``queries`` name the parts to send.
    ``record`` (calibration, reference servers only): the checker whose reads of a plot are
    noted."""
    job: dict = {"kind": "values", "figure": figure, "queries": list(queries),
                 "limits": limits.to_wire()}
    if code is not None:
        job["code"] = code
    if record is not None:
        job["record"] = record
    return job


def check_job(checker: str, solution: str, answers: Sequence[str], figure: bool,
              limits: Limits) -> dict:
    """Judge the answer lines a ``values`` run sent back with a benchmark's ``checker``: a
    reference job, since the checker holds expected answers."""
    return reference_job({"kind": "check", "code": checker, "solution": solution,
                          "answers": list(answers), "figure": figure,
                          "limits": limits.to_wire()})


def script_job(code: str, filename: str, limits: Limits) -> dict:
    """Run a script as ``python filename`` would (``crucible sandbox run``)."""
    return {"kind": "script", "code": code, "filename": filename, "limits": limits.to_wire()}


def candidate_job(template_name: str, template: dict, code: str) -> dict:
    """One candidate's program on a task's template (the parts every sample of the task
    shares, sent once per server: ``ForkServer.submit`` and ``Server.expand``)."""
    return {"template": template_name, "template_body": template, "code": code}


def reference_job(job: dict) -> dict:
    """``job`` marked as running a reference solution or a checker holding expected answers:
    only a reference pool runs it, and a reference pool runs nothing else (``pool.py``)."""
    return {**job, "reference": True}
