"""Inputs that grow, and the growth exponent fitted to a program's cost on them.

After BigO(Bench)'s method (measure a solution at several input sizes and fit how its cost
grows), in our own code. A task's test inputs are small, and repeating them to make them large
makes them degenerate (duplicates everywhere, so a search stops at its first hit). Here the
task's largest input is the template: each of its list, tuple, string and dict arguments grows
to ``n`` items of fresh values of the types it holds, drawn from an RNG seeded by the task, the
family and ``n`` (so every run grows the same inputs). Integers and floats are drawn from a
range far wider than ``n``, keeping the signs the task's inputs show, so duplicates and close
pairs are rare; strings take the characters the task's strings use; nested lists grow at the
outer level only. Where no argument is a sequence, non-negative integers are taken for sizes and
become ``n``. Scalars otherwise stay as they are.

Each size comes in ``FAMILIES``: the fresh values in random order; the same with only the first
argument that can grow grown (where several can, the others often being a pattern, a prefix or
a count: a substring as long as the string it is searched in is found at once or never);
reversed sorted and sorted; and ``observed`` (values drawn within the range the task's own
inputs span, for tasks whose contract refuses wide values). Which inputs are used is the
reference's call, not this module's: the judge keeps a grown input only where the reference
solution ran on it without error within its limits (EvalPlus references check the task's input
contract).

This runs in the harness, on trusted data (the benchmark's inputs): nothing from a candidate
reaches it, and what it makes crosses to the sandbox as plain wire-encoded values.
"""

from __future__ import annotations

import math
import random
import string
from collections.abc import Sequence
from dataclasses import dataclass, field

from codecrucible.sandbox import wire

SIZES = (128, 256, 512, 1024, 2048)  # a quadratic pure-Python loop at 2048: about 0.3 s a call
REPEATS = (9, 7, 5, 3, 3)            # calls per size: more where a call is short and noisy
FAMILIES = ("distinct", "first", "reversed", "sorted", "observed")
MIN_SIZES = 3     # fewer measured sizes give no exponent
WIDE = 10 ** 9    # the half-width of the range fresh numbers are drawn from
MAX_BYTES = 1 << 20  # a grown input larger than this, encoded, is not made
_GROWING = (list, tuple, str, dict)


@dataclass
class Seen:
    """What the task's inputs hold at one argument position, nested values included."""

    ints: list[int] = field(default_factory=list)
    floats: list[float] = field(default_factory=list)
    chars: set[str] = field(default_factory=set)

    def add(self, value: object, depth: int = 0) -> None:
        if depth > 20:
            return
        kind = type(value)
        if kind is int:
            self.ints.append(value)
        elif kind is float and math.isfinite(value):
            self.floats.append(value)
        elif kind is str:
            self.chars.update(value)
        elif kind in (list, tuple, set, frozenset):
            for item in value:
                self.add(item, depth + 1)
        elif kind is dict:
            for key, item in value.items():
                self.add(key, depth + 1)
                self.add(item, depth + 1)


def _bounds(values: Sequence[float], wide: bool) -> tuple[float, float]:
    """The range to draw from: the observed one, or a wide one keeping the observed signs."""
    low, high = (min(values), max(values)) if values else (0, WIDE)
    if not wide:
        return low, high
    return (1 if low >= 1 else 0 if low >= 0 else -WIDE), (-1 if high <= -1 else WIDE)


class _Maker:
    """Fresh values typed after a template, for one argument position."""

    def __init__(self, seen: Seen, rng: random.Random, wide: bool):
        self.rng, self.wide = rng, wide
        self.ints = _bounds(seen.ints, wide)
        self.floats = _bounds(seen.floats, wide)
        self.alphabet = sorted(seen.chars) or list(string.ascii_lowercase)
        self.used: set = set()

    def _distinct(self, draw):
        value = draw()
        for _ in range(8 if self.wide else 0):
            if value not in self.used:
                break
            value = draw()
        self.used.add(value)
        return value

    def fresh(self, template: object, depth: int = 0) -> object:
        kind, rng = type(template), self.rng
        if kind is bool or depth > 20:
            return template if kind is not bool else rng.random() < 0.5
        if kind is int:
            low, high = self.ints
            return self._distinct(lambda: rng.randint(int(low), int(high)))
        if kind is float:
            low, high = self.floats
            return self._distinct(lambda: rng.uniform(low, high))
        if kind is str:
            return self._distinct(lambda: self.text(len(template)))
        if kind in (list, tuple):
            return kind(self.fresh(item, depth + 1) for item in template)
        if kind is dict:
            return {self.fresh(k, depth + 1): self.fresh(v, depth + 1)
                    for k, v in template.items()}
        return template

    def text(self, length: int) -> str:
        return "".join(self.rng.choices(self.alphabet, k=length))

    def grow(self, template: object, n: int) -> object:
        """``template`` (a list, tuple, string or dict) grown to ``n`` fresh items."""
        if type(template) is str:
            return self.text(n)
        if type(template) is dict:
            items = list(template.items())
            grown: dict = {}
            for i in range(n * 2):
                if len(grown) >= n:
                    break
                key, value = items[i % len(items)]
                grown[self.fresh(key)] = self.fresh(value)
            return grown
        return type(template)(self.fresh(template[i % len(template)]) for i in range(n))


def _ordered(value: object, family: str) -> object:
    if family not in ("sorted", "reversed") or type(value) not in (list, tuple, str):
        return value
    try:
        items = sorted(value, reverse=family == "reversed")
    except TypeError:
        return value
    return "".join(items) if type(value) is str else type(value)(items)


def growable(args: tuple) -> list[int]:
    """The positions that grow: non-empty lists, tuples, strings and dicts; failing those,
    non-negative integers (sizes)."""
    grows = [i for i, a in enumerate(args) if type(a) in _GROWING and len(a) > 0]
    return grows or [i for i, a in enumerate(args) if type(a) is int and a >= 0]


def template(inputs: Sequence[str]) -> tuple | None:
    """The largest of the task's encoded inputs, decoded: the one that grows."""
    if not inputs:
        return None
    args = wire.loads(max(inputs, key=len))
    return tuple(args) if type(args) in (list, tuple) else None


def grow(task_id: str, inputs: Sequence[str], family: str,
         sizes: Sequence[int] = SIZES) -> list[tuple[int, str]]:
    """``(n, encoded input)`` of ``family`` at each of ``sizes`` whose input would stay under
    ``MAX_BYTES`` encoded ([] when nothing in the task's inputs can grow)."""
    args = template(inputs)
    positions = growable(args) if args is not None else []
    if not positions or (family == "first" and len(positions) == 1):
        return []  # nothing grows, or "first" would grow what "distinct" grows
    seen = [Seen() for _ in args]
    for raw in inputs:
        other = wire.loads(raw)
        if type(other) in (list, tuple) and len(other) == len(args):
            for position, value in zip(seen, other, strict=True):
                position.add(value)
    per_item = sum(len(wire.dumps(args[i])) / len(args[i]) for i in positions
                   if type(args[i]) is not int)
    out = []
    for n in sizes:
        if per_item * n > MAX_BYTES:
            break
        rng = random.Random(f"{task_id}|{family}|{n}")
        grown = list(args)
        for i in positions[:1] if family == "first" else positions:
            maker = _Maker(seen[i], rng, wide=family != "observed")
            grown[i] = n if type(args[i]) is int else _ordered(maker.grow(args[i], n), family)
        out.append((n, wire.dumps(tuple(grown))))
    return out


def why_not(inputs: Sequence[str]) -> str | None:
    """Why the task's inputs cannot grow, or None when they can."""
    args = template(inputs)
    if args is None:
        return "the task has no argument tuples"
    if not growable(args):
        kinds = ", ".join(sorted({type(a).__name__ for a in args})) or "no arguments"
        return f"no argument can grow (only {kinds})"
    return None


def exponent(sizes: Sequence[int], costs: Sequence[float | None], floor: float,
             overhead: float = 0.0) -> tuple[float | None, str]:
    """The least-squares slope of log(cost - overhead) against log(n), over the sizes whose
    cost is at least ``floor`` (below it a call's fixed overhead dominates); None, with the
    reason, when fewer than ``MIN_SIZES`` qualify. The second value says what was fitted."""
    points = [(math.log(n), math.log(c - overhead)) for n, c in zip(sizes, costs, strict=True)
              if c is not None and c >= floor and c > overhead]
    if len(points) < MIN_SIZES:
        measured = sum(c is not None for c in costs)
        why = (f"{measured} sizes measured" if measured < MIN_SIZES else
               f"only {len(points)} of {measured} sizes cost above the per-call floor")
        return None, f"no growth exponent: {why}, {MIN_SIZES} needed"
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / \
        sum((x - mean_x) ** 2 for x, _ in points)
    fitted = [n for n, c in zip(sizes, costs, strict=True)
              if c is not None and c >= floor and c > overhead]
    return slope, f"fitted over n = {', '.join(map(str, fitted))}"
