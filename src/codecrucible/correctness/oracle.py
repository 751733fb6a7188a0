"""Comparing a program's output with the expected output, as each benchmark defines it.

Runs in the harness, on values the sandbox sent back. Stdlib only. The rules follow EvalPlus's
published behaviour, reimplemented:

- ``exact``: equality on plain data; when that fails and the task has a tolerance (``atol``),
  or the expected value is a float or a flat sequence of floats, values of the same type
  compare within ``atol`` (1e-6 when the task gives 0) plus a relative 1e-7;
- ``set`` / ``sorted``: order-free comparison (``set(out) == set(exp)``, or as multisets);
- ``isclose:R``: numbers within a relative tolerance R (MBPP asserts written with
  ``math.isclose(..., rel_tol=R)``);
- ``any``: every answer is accepted (a task whose question has no single answer);
- ``poly``: HumanEval/32 ``find_zero``: the output is a root of the input polynomial;
- alternatives for MBPP+ tasks whose reference answer is one of two readings of the question;
- ``mtpb``: the Multi-Turn Programming Benchmark's type-tolerant equality (``mtpb_equal``).
"""

from __future__ import annotations

import math

from codecrucible.sandbox.wire import Digest

DEFAULT_FLOAT_ATOL = 1e-6
NEEDS_ARGS = frozenset({"poly", "surface_area", "digit_distance"})
REL_TOL = 1e-7


def _is_floats(value: object) -> bool:
    if type(value) is float:
        return True
    return type(value) in (list, tuple) and bool(value) and all(type(v) is float for v in value)


def close(out: object, exp: object, atol: float) -> bool:
    """Same type and shape, numbers within ``atol + 1e-7 * |exp|`` (as numpy.allclose)."""
    if type(out) is not type(exp):
        if isinstance(out, (int, float)) and isinstance(exp, (int, float)):
            return out == exp
        return False
    if type(exp) is float:
        if math.isnan(exp) or math.isnan(out):
            return math.isnan(exp) and math.isnan(out)
        if math.isinf(exp) or math.isinf(out):
            return out == exp
        return abs(out - exp) <= atol + REL_TOL * abs(exp)
    if type(exp) in (list, tuple):
        return len(out) == len(exp) and all(close(o, e, atol)
                                            for o, e in zip(out, exp, strict=True))
    if type(exp) is dict:
        return out.keys() == exp.keys() and all(close(out[k], exp[k], atol) for k in exp)
    return out == exp


def _poly(coeffs: list, x: float) -> float:
    return sum(c * math.pow(x, i) for i, c in enumerate(coeffs))


def _surface_area(base_edge: float, height: float) -> float:
    slant = math.sqrt((base_edge / 2) ** 2 + height ** 2)
    return round(base_edge ** 2 + 2 * base_edge * slant)


def _digit_distance(a: int, b: int) -> int:
    x, y = str(a), str(b)
    width = max(len(x), len(y))
    return sum(abs(int(p) - int(q)) for p, q in zip(x.zfill(width), y.zfill(width), strict=True))


MTPB_FLOAT_ATOL = 1e-6


def mtpb_equal(out: object, exp: object) -> bool:
    """MTPB's equivalence, reimplemented from the CodeGen evaluator's description: the printed
    value (numpy and pandas values already made plain in the sandbox) is cast to the expected
    value's type when the types differ, booleans compare as strings, floats within 1e-6
    absolute, containers element by element. Where the evaluator gives up (dicts, ``None``),
    this compares them too, key by key and by identity."""
    if type(out) is Digest or type(exp) is Digest:
        return out == exp
    if type(exp) is bool or type(out) is bool:
        return str(out) == str(exp)
    if type(out) is not type(exp):
        try:
            out = _cast(out, exp)
        except (TypeError, ValueError, OverflowError):
            return False
    if type(exp) is float:
        return not math.isnan(out) and abs(out - exp) <= MTPB_FLOAT_ATOL
    if type(exp) in (list, tuple):
        return len(out) == len(exp) and all(mtpb_equal(o, e)
                                            for o, e in zip(out, exp, strict=True))
    if type(exp) is dict:
        return out.keys() == exp.keys() and all(mtpb_equal(out[k], exp[k]) for k in exp)
    return out == exp


def _cast(value: object, like: object) -> object:
    kind = type(like)
    if like is None or kind is Digest or type(value) is Digest:
        raise TypeError("no cast")
    return kind(value)  # as the evaluator does: list("abc") == ["a", "b", "c"] passes


def matches(kind: str, args: tuple, out: object, exp: object, atol: float) -> bool:
    """Does ``out`` (computed from ``args``) satisfy the task's oracle, given ``exp``?"""
    if kind == "any":
        return True
    if kind == "mtpb":
        return mtpb_equal(out, exp)
    if type(out) is Digest or type(exp) is Digest:
        return out == exp  # a large answer was sent as its digest: only exact equality is known
    if kind == "set":
        try:
            return set(out) == set(exp)
        except TypeError:
            return False
    if kind == "sorted":
        try:
            return sorted(out) == sorted(exp)
        except TypeError:
            return False
    if kind.startswith("isclose:"):
        if out == exp:
            return True
        if type(out) not in (int, float) or type(exp) not in (int, float):
            return False
        return math.isclose(out, exp, rel_tol=float(kind.partition(":")[2]))
    if kind == "poly":
        if type(out) not in (int, float) or not args:
            return False
        return abs(_poly(list(args[0]), out)) <= (atol or DEFAULT_FLOAT_ATOL)
    if kind == "or_zero" and out == 0:
        return True
    if kind == "surface_area" and type(out) in (int, float) \
            and abs(out - _surface_area(*args)) <= atol:
        return True
    if kind == "digit_distance" and out == _digit_distance(*args):
        return True
    if out == exp:
        return True
    if atol == 0 and _is_floats(exp):
        atol = DEFAULT_FLOAT_ATOL
    return atol != 0 and close(out, exp, atol)
