"""Comparing a program's output with the expected output, as each benchmark defines it.

Runs in the trusted fork server (before the fork, never in the child) and in the harness.
Stdlib only.

Rules (EvalPlus's, reimplemented from its description):
- exact: Python equality on plain data, except that floats anywhere in the value compare
  within ``atol`` (``1e-6`` when the task gives 0) or a relative 1e-7;
- set: the output, as a set, equals the expected value as a set (order-free tasks);
- not_none: any output but ``None`` (tasks whose answer is "a match object");
- poly: HumanEval/32 ``find_zero``: the output is a root of the polynomial in the input.
"""

from __future__ import annotations

import math

DEFAULT_FLOAT_ATOL = 1e-6
REL_TOL = 1e-7


def close(out: object, exp: object, atol: float) -> bool:
    """Equality with float tolerance, recursing through containers of the same type."""
    if type(exp) is float or type(out) is float:
        if isinstance(out, (int, float)) and isinstance(exp, (int, float)) \
                and type(out) is not bool and type(exp) is not bool:
            if math.isnan(exp) or math.isnan(out):
                return math.isnan(exp) and math.isnan(out)
            return math.isclose(out, exp, rel_tol=REL_TOL, abs_tol=atol)
        return False
    if type(out) is not type(exp):
        # int == True and 1 == 1.0 hold in the benchmarks' own asserts; keep Python's view.
        return out == exp
    if type(exp) in (list, tuple):
        return len(out) == len(exp) and all(close(o, e, atol) for o, e in zip(out, exp))
    if type(exp) is dict:
        return out.keys() == exp.keys() and all(close(out[k], exp[k], atol) for k in exp)
    if type(exp) is complex:
        return abs(out - exp) <= max(atol, REL_TOL * abs(exp))
    return out == exp


def _poly(coeffs: list, x: float) -> float:
    return sum(c * math.pow(x, i) for i, c in enumerate(coeffs))


def matches(kind: str, args: tuple, out: object, exp: object, atol: float) -> bool:
    """Does ``out`` (computed from ``args``) satisfy the task's oracle given ``exp``?"""
    atol = atol or DEFAULT_FLOAT_ATOL
    if kind == "exact":
        return out == exp if type(out) is type(exp) and type(exp) in (int, str, bool) \
            else close(out, exp, atol)
    if kind == "set":
        try:
            return set(out) == set(exp)
        except TypeError:
            return False
    if kind == "not_none":
        return (out is None) == (exp is None)
    if kind == "poly":
        if type(out) not in (int, float) or not args:
            return False
        try:
            return abs(_poly(list(args[0]), out)) <= 1e-4
        except (OverflowError, ValueError, TypeError):
            return False
    raise ValueError(f"unknown oracle {kind!r}")
