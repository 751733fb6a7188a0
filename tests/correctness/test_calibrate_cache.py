"""What calibration caches: a reference's own failure is remembered, a failure of the machine
(a timeout on a loaded host, a sandbox error) is not, so one bad moment does not leave a task
unjudgeable on every later run."""

from __future__ import annotations

import dataclasses
import json
import uuid

from codecrucible.correctness import calibrate
from codecrucible.records import Problem


def _problem(task_id: str, body: str) -> Problem:
    return Problem(task_id, "calibration-test", "def f(x):\n", "f", "f",
                   f"def f(x):\n{body}\n", inputs={"base": [(1,), (2,)]})


def test_a_timed_out_reference_is_tried_again_and_a_failing_one_is_not(
        reference_pool, monkeypatch, tmp_path):
    monkeypatch.setenv("CRUCIBLE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(calibrate, "_REFERENCE_LIMITS",
                        dataclasses.replace(calibrate._REFERENCE_LIMITS, wall_s=1, cpu_s=60))
    slow = _problem("Cal/slow", "    while True:\n        pass")
    broken = _problem("Cal/broken", "    raise ValueError('no')")
    fine = _problem("Cal/fine", "    return x + 1")
    problems, key = [slow, broken, fine], uuid.uuid4().hex
    tests = calibrate.calibrate(problems, reference_pool, key)
    assert "timed out" in tests["Cal/slow"].error
    assert tests["Cal/broken"].error and not tests["Cal/fine"].error
    cached = json.loads(calibrate.cache_path(problems, key).read_text())
    assert set(cached) == {"Cal/broken", "Cal/fine"}  # the timeout is not remembered
