"""One registry for every seam: name → object, loaded when first asked for.

Each seam (benchmarks, models, strategies, judges, executors) holds a ``Registry``. Built-in
entries are declared as ``"module:attribute"`` strings, so nothing imports its plugins to
register them and a registry never imports the modules that use it. Outside packages add entries
through Python entry points in the group ``codecrucible.<seam>``, e.g. in their pyproject::

    [project.entry-points."codecrucible.strategies"]
    beam = "mypackage.beam:beam_search"

or at run time with ``registry.add("beam", beam_search)`` (also usable as a decorator)::

    strategies = Registry("strategy", "codecrucible.strategies")

    @strategies.register("beam")
    def beam_search(problem, samples, ctx): ...
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Generic, TypeVar

T = TypeVar("T")


class UnknownName(KeyError):
    """A name no entry of a registry has; its message lists the known ones."""

    def __str__(self) -> str:
        return str(self.args[0])


class Registry(Generic[T]):
    """Names mapped to objects or to lazy ``"module:attribute"`` references."""

    def __init__(self, kind: str, group: str, builtins: dict[str, str] | None = None):
        self.kind, self.group = kind, group
        self._entries: dict[str, T | str] = dict(builtins or {})
        self._scanned = False

    def add(self, name: str, entry: T | str) -> None:
        self._entries[name] = entry

    def register(self, name: str) -> Callable[[T], T]:
        """A decorator form of ``add``."""
        def add(entry: T) -> T:
            self.add(name, entry)
            return entry
        return add

    def get(self, name: str) -> T:
        entries = self._all()
        if name not in entries:
            raise UnknownName(f"unknown {self.kind} {name!r} (known: {', '.join(sorted(entries))})")
        entry = entries[name]
        if isinstance(entry, str):
            entry = _load(entry)
            self._entries[name] = entry
        return entry

    def names(self) -> list[str]:
        return sorted(self._all())

    def __contains__(self, name: object) -> bool:
        return name in self._all()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def _all(self) -> dict[str, T | str]:
        if not self._scanned:  # entry points of installed packages, once; built-ins win
            self._scanned = True
            for point in entry_points(group=self.group):
                self._entries.setdefault(point.name, point.value)
        return self._entries


def _load(reference: str):
    module, _, attribute = reference.partition(":")
    target = importlib.import_module(module)
    for part in attribute.split("."):
        target = getattr(target, part)
    return target


__all__ = ["Registry", "UnknownName"]
