"""What calibration records per task, and the time limits derived from it.

``TaskTests`` holds a task's tests as the reference solution answered them on this host: the
arguments, the expected answers and the reference's time per test. ``TimeLimits`` turns those
times into each test's limit. Both are plain records: calibration (``calibrate.py``) makes
them, answer scoring and the DS-1000 checker read them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TaskTests:
    """A task's tests after calibration, in suite order (base first)."""

    suites: dict[str, int]           # suite name -> number of tests, in order
    args: list[str]                  # wire-encoded argument tuples
    expected: list[str]              # wire-encoded [value, exception]
    ref_s: list[float]               # the reference's seconds per test, on this host
    oracles: list[str | None] | None  # per-test oracle overrides
    dropped: int = 0                 # inputs the reference itself rejects (contract, bad data)
    error: str | None = None         # the task cannot be judged (reference failed)

    @property
    def total(self) -> int:
        return len(self.args)

    def answer_lines(self) -> list[str | None]:
        """For each test, the exact line a right answer most likely arrives as (the reference's
        own encoding), so that most answers are judged by one string comparison."""
        cached = self.__dict__.get("_answer_lines")
        if cached is None:
            cached = [f"[{i},{e[1:-6]},null,null]" if e.endswith(",null]") else None
                      for i, e in enumerate(self.expected)]
            object.__setattr__(self, "_answer_lines", cached)
        return cached

    def suite_slices(self) -> dict[str, range]:
        slices, start = {}, 0
        for name, count in self.suites.items():
            slices[name] = range(start, start + count)
            start += count
        return slices


@dataclass(frozen=True)
class TimeLimits:
    """Per-test wall limit = floor + multiple x the reference's time for that test, on this host.

    Base tests are a benchmark's original, small inputs: a short floor stops a stuck program
    quickly. Plus tests are EvalPlus's large, stressing inputs, where a correct solution may be
    far slower than the reference: they get EvalPlus's floor of one second. Loading the program
    (its imports and top-level code) has an allowance of its own, ``load_s``.
    """

    floor_s: float = 0.25
    plus_floor_s: float = 1.0
    multiple: float = 4.0
    load_s: float = 1.0

    def per_test(self, tests: TaskTests) -> list[float]:
        floors = [self.plus_floor_s if suite == "plus" else self.floor_s
                  for suite, count in tests.suites.items() for _ in range(count)]
        return [round(floor + self.multiple * t, 4)
                for floor, t in zip(floors, tests.ref_s, strict=True)]
