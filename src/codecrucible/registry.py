"""One registry for every seam: name → object, loaded when first asked for.

Each seam (benchmarks, models, strategies, judges, executors) holds a ``Registry``. Built-in
entries are declared as ``"module:attribute"`` strings, so nothing imports its plugins to
register them and a registry never imports the modules that use it. Outside packages add entries
through Python entry points in the group ``codecrucible.<seam>``, e.g. in their pyproject::

    [project.entry-points."codecrucible.strategies"]
    beam = "mypackage.beam:BeamSearch"

or at run time with ``registry.add("beam", BeamSearch())`` (also usable as a decorator)::

    strategies = Registry("strategy", "codecrucible.strategies", make=instance)

    @strategies.register("beam")
    class BeamSearch: ...

A seam's ``make`` turns what a reference names into the entry it serves (``instance`` makes a
class its one instance), so a plugin may name a class or an object.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class UnknownName(KeyError):
    """A name no entry of a registry has; its message lists the known ones."""

    def __str__(self) -> str:
        return str(self.args[0])


def instance(entry: Any) -> Any:
    """A class becomes its instance (made with no arguments); anything else stays as it is."""
    return entry() if isinstance(entry, type) else entry


class Registry(Generic[T]):
    """Names mapped to objects or to lazy ``"module:attribute"`` references.

    Built-ins and entries added at run time win over entry points of the same name. Entry
    points are read on first use; ``refresh`` forgets them (after a package is installed, or
    removed from ``sys.path``, while the process runs).
    """

    def __init__(self, kind: str, group: str, builtins: dict[str, str] | None = None, *,
                 make: Callable[[Any], T] | None = None):
        self.kind, self.group = kind, group
        self._entries: dict[str, T | str] = dict(builtins or {})
        self._found: dict[str, T | str] | None = None   # from entry points, once read
        self._make = make
        self._lock = threading.RLock()  # strategies' worker threads look entries up too

    def add(self, name: str, entry: T | str) -> None:
        with self._lock:
            self._entries[name] = entry

    def remove(self, name: str) -> None:
        """Forget an entry added at run time (a test's, say); unknown names are ignored."""
        with self._lock:
            self._entries.pop(name, None)

    def register(self, name: str) -> Callable[[T], T]:
        """A decorator form of ``add``: the entry is what ``make`` makes of the decorated."""
        def add(entry: T) -> T:
            self.add(name, self._make(entry) if self._make else entry)
            return entry
        return add

    def get(self, name: str) -> T:
        with self._lock:
            entries = self._all()
            if name not in entries:
                raise UnknownName(f"unknown {self.kind} {name!r} "
                                  f"(known: {', '.join(sorted(entries))})")
            entry = entries[name]
            if isinstance(entry, str):
                entry = _load(entry)
                entry = self._make(entry) if self._make else entry
                (self._entries if name in self._entries else self._found)[name] = entry
            return entry

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._all())

    def refresh(self) -> None:
        with self._lock:
            self._found = None

    def __contains__(self, name: object) -> bool:
        return name in self.names()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def _all(self) -> dict[str, T | str]:
        if self._found is None:  # entry points of installed packages; built-ins win
            self._found = {point.name: point.value for point in entry_points(group=self.group)
                           if point.name not in self._entries}
        return self._found | self._entries


def _load(reference: str):
    module, _, attribute = reference.partition(":")
    target = importlib.import_module(module)
    for part in attribute.split("."):
        target = getattr(target, part)
    return target


__all__ = ["Registry", "UnknownName", "instance"]
