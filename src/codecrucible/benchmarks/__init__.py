"""Benchmarks, registered by name in ``REGISTRY``: adding one is a module with a class that
follows ``Benchmark`` and a line below (or an entry point in the group ``codecrucible.benchmarks``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Protocol

from codecrucible.benchmarks.data import DataError, DataFile, status
from codecrucible.records import Problem
from codecrucible.registry import Registry, instance
from codecrucible.sandbox import SandboxConfig
from codecrucible.sandbox.pool import DEFAULT_PRELOAD


class Benchmark(Protocol):
    """A named set of problems with their tests, and the pinned data files they come from.

    ``load`` reads the data (from ``data_dir``, the package that ships it, or the user cache)
    and raises ``DataError`` naming a file that is missing or whose sha256 differs. Example::

        class Tiny:
            name = "tiny"
            description = "Tiny: one function"
            size = 1
            suites = ("base",)
            files = ()

            def load(self, data_dir):
                return [Problem(task_id="Tiny/0", benchmark="tiny", prompt="def one():\\n",
                                instruction="Write one() returning 1.", entry_point="one",
                                reference="def one():\\n    return 1\\n",
                                snippets=("assert one() == 1\\n",))]

        benchmarks.REGISTRY.add("tiny", Tiny())   # or an entry point naming the class
    """

    name: str
    description: str
    size: int                   # number of problems the pinned data holds
    suites: tuple[str, ...]     # test suites reported apart ("base", "plus")
    files: tuple[DataFile, ...]

    def load(self, data_dir: Path | None) -> list[Problem]: ...


REGISTRY: Registry[Benchmark] = Registry("benchmark", "codecrucible.benchmarks", {
    "humaneval": "codecrucible.benchmarks.humaneval:HumanEval",
    "humaneval+": "codecrucible.benchmarks.evalplus:HumanEvalPlus",
    "mbpp": "codecrucible.benchmarks.mbpp:Mbpp",
    "mbpp-sanitized": "codecrucible.benchmarks.mbpp:MbppSanitized",
    "mbpp+": "codecrucible.benchmarks.evalplus:MbppPlus",
    "mtpb": "codecrucible.benchmarks.mtpb:Mtpb",
    "ds1000": "codecrucible.benchmarks.ds1000:Ds1000",
    "discovery": "codecrucible.benchmarks.discovery:Discovery",
    "games": "codecrucible.benchmarks.games.benchmark:Games",
}, make=instance)


def get(name: str) -> Benchmark:
    if name not in REGISTRY:
        raise DataError(f"unknown benchmark {name!r}; known: {', '.join(REGISTRY.names())}")
    return REGISTRY.get(name)


def all_benchmarks() -> list[Benchmark]:
    return [REGISTRY.get(name) for name in REGISTRY.names()]


def data_status(benchmark: Benchmark, data_dir: Path | None) -> str:
    states = [status(spec, data_dir) for spec in benchmark.files]
    bad = [s for s in states if not s.startswith("ok")]
    return bad[0] if bad else "ok"


def unavailable(problems: list[Problem]) -> dict[str, str]:
    """Problems that cannot run here, with why: a module they need (``metadata["requires"]``)
    is not installed. A run skips them and says so instead of scoring them as failures."""
    missing: dict[str, bool] = {}
    out = {}
    for problem in problems:
        for module in problem.metadata.get("requires", ()):
            if module not in missing:
                missing[module] = importlib.util.find_spec(module) is None
        absent = [m for m in problem.metadata.get("requires", ()) if missing[m]]
        if absent:
            out[problem.task_id] = f"{', '.join(absent)} not installed"
    return out


def groups_of(problems: list[Problem]) -> dict[str, dict[str, str]]:
    """How a benchmark's problems group for reporting (``metadata["groups"]``: MTPB's category
    and problem, DS-1000's library), as {dimension: {task: group}}."""
    out: dict[str, dict[str, str]] = {}
    for problem in problems:
        for dimension, group in problem.metadata.get("groups", {}).items():
            out.setdefault(dimension, {})[problem.task_id] = group
    return out


# What libraries read outside the sandbox's filesystem allow-list, opened read-only for the
# runs that need them (and named in the run's sandbox layers): TensorFlow aborts without
# /proc/self/maps; scikit-learn's threadpoolctl reads it too, and joblib the cgroup's CPU
# quota. /proc shows other processes' command lines, never their environment (another uid).
_READS = {"tensorflow": ("/proc",), "sklearn": ("/proc", "/sys/fs/cgroup")}


def sandbox_config(problems: list[Problem]) -> SandboxConfig:
    """The sandbox the problems need: the modules they import (``metadata["requires"]``) or
    may import (``metadata["allows"]``) preloaded in each fork server (imported once there,
    not once per run), which also makes them, and only them, visible to a candidate beside the
    standard library (sandbox/view.py); and /proc readable where a library needs it."""
    needed = sorted({m for p in problems
                     for m in (*p.metadata.get("requires", ()), *p.metadata.get("allows", ()))
                     if importlib.util.find_spec(m) is not None})
    if "matplotlib" in needed:
        needed.append("matplotlib.pyplot")
    reads = sorted({path for module in needed for path in _READS.get(module, ())
                    if Path(path).exists()})
    return SandboxConfig(preload=tuple(dict.fromkeys(DEFAULT_PRELOAD + tuple(needed))),
                         read_only=tuple(reads))


__all__ = [
    "REGISTRY",
    "Benchmark",
    "DataError",
    "all_benchmarks",
    "data_status",
    "get",
    "groups_of",
    "sandbox_config",
    "unavailable",
]
