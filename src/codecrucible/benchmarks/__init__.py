"""Benchmarks, registered by name. Adding one is a module with a ``@register`` class."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from codecrucible.benchmarks.data import DataError, DataFile, status
from codecrucible.records import Problem


class Benchmark(Protocol):
    name: str
    description: str
    size: int                   # number of problems the pinned data holds
    suites: tuple[str, ...]     # test suites reported apart ("base", "plus")
    files: tuple[DataFile, ...]

    def load(self, data_dir: Path | None) -> list[Problem]: ...


_REGISTRY: dict[str, Benchmark] = {}


def register(cls: type) -> type:
    _REGISTRY[cls.name] = cls()
    return cls


def get(name: str) -> Benchmark:
    _load_builtins()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise DataError(f"unknown benchmark {name!r}; known: {', '.join(sorted(_REGISTRY))}") \
            from None


def all_benchmarks() -> list[Benchmark]:
    _load_builtins()
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def data_status(benchmark: Benchmark, data_dir: Path | None) -> str:
    states = [status(spec, data_dir) for spec in benchmark.files]
    bad = [s for s in states if not s.startswith("ok")]
    return bad[0] if bad else "ok"


def _load_builtins(_done: list[bool] = []) -> None:  # noqa: B006 - import once
    if not _done:
        from codecrucible.benchmarks import evalplus, humaneval, mbpp  # noqa: F401
        _done.append(True)


__all__ = [
    "Benchmark",
    "DataError",
    "all_benchmarks",
    "data_status",
    "get",
    "register",
]
