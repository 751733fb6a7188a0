"""The evolver's assert statements as tests the referee can run, read without running them.

Model-written tests are as untrusted as model-written answers, and running an answer together
with its asserts in one process would let the answer decide its own verdict (exit early with
status 0, redefine ``AssertionError``, read the asserts). So the asserts are parsed here, in
the harness, with ``ast`` and ``ast.literal_eval`` only: each usable assert becomes a call of
the function with literal arguments and the literal value it must return. The referee then
calls the function in the sandbox and compares the values it sends back, as it does for every
benchmark; the answer never sees an expected value.

Usable shapes: ``f(args) == value`` (either side), ``f(args) is True/False/None``, a bare
``f(args)`` (must be true) or ``not f(args)``, ``set(f(args)) == ...``/``sorted(...)`` (an
order-free comparison), and ``math.isclose(f(args), value[, rel_tol=R])``. Anything else
(keyword arguments, computed arguments, several calls) is skipped; the function is the one
most of the usable asserts call.
"""

from __future__ import annotations

import ast
import json
import re
from collections import Counter
from dataclasses import dataclass

from codecrucible.correctness.expected import TaskTests
from codecrucible.records import Problem
from codecrucible.sandbox import wire

MAX_TESTS = 20
_WRAPPERS = {"set": set, "frozenset": frozenset, "sorted": sorted, "tuple": tuple, "list": list}
_ORDER_FREE = {"set": "set", "frozenset": "set", "sorted": "sorted"}


@dataclass(frozen=True)
class Check:
    entry: str
    args: tuple
    expected: object
    oracle: str | None = None


@dataclass(frozen=True)
class Tests:
    """The usable tests of one evolution: the function they call and what it must return."""

    entry: str
    checks: tuple[Check, ...]
    skipped: int      # asserts that were not usable

    def task(self, task_id: str, instruction: str) -> tuple[Problem, TaskTests]:
        """A problem and its tests as calibration would have made them, for the referee."""
        problem = Problem(task_id=task_id, benchmark="evol-instruct", prompt="",
                          instruction=instruction, entry_point=self.entry, reference="",
                          inputs={"base": [c.args for c in self.checks]})
        args = [wire.dumps(c.args) for c in self.checks]
        expected = [json.dumps([json.loads(wire.answer(c.expected)), None],
                               separators=(",", ":")) for c in self.checks]
        oracles = [c.oracle for c in self.checks]
        tests = TaskTests({"base": len(args)}, args, expected, [0.0] * len(args),
                          oracles if any(oracles) else None)
        return problem, tests

    def example(self) -> str:
        """One test as an assert statement (the first compared by plain equality), the way
        MBPP's prompts show the function's name and arguments."""
        check = next((c for c in self.checks if c.oracle is None), self.checks[0])
        args = ", ".join(map(repr, check.args))
        return f"assert {self.entry}({args}) == {check.expected!r}"


_LIST_MARK = re.compile(r"^\s*(?:\d+[.)]|[-*])\s+")


def parse_tests(source: str) -> Tests | None:
    """The usable tests in ``source``, or None when there is none."""
    statements = _asserts(source)
    checks, skipped = [], 0
    for statement in statements:
        check = _check(statement.test)
        if check is None:
            skipped += 1
        else:
            checks.append(check)
    if not checks:
        return None
    entry = Counter(c.entry for c in checks).most_common(1)[0][0]
    kept = [c for c in checks if c.entry == entry]
    skipped += len(checks) - len(kept)
    return Tests(entry, tuple(kept[:MAX_TESTS]), skipped + max(0, len(kept) - MAX_TESTS))


def assert_text(line: str) -> str | None:
    """The assert statement on a line written as a list item or inline code
    (``1. `assert f(1) == 2` ``), or None when the line holds none."""
    line = _LIST_MARK.sub("", line).strip().strip("`").strip()
    return line if line.startswith("assert") else None


def _asserts(source: str) -> list[ast.Assert]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        # One broken line should not cost the others: parse the assert lines one by one.
        found = []
        for line in filter(None, map(assert_text, source.splitlines())):
            try:
                found += [n for n in ast.parse(line).body if isinstance(n, ast.Assert)]
            except (SyntaxError, ValueError):
                pass
        return found
    return [node for node in ast.walk(tree) if isinstance(node, ast.Assert)]


def _check(test: ast.expr) -> Check | None:
    try:
        return _shape(test)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError, wire.Unserializable):
        return None


def _shape(test: ast.expr) -> Check | None:
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, op, right = test.left, test.ops[0], test.comparators[0]
        if isinstance(op, ast.Eq):
            if _call(right) and not _call(left):
                left, right = right, left
            call, oracle = _unwrap(left)
            return _made(call, _value(right), oracle)
        if isinstance(op, ast.Is) and isinstance(right, ast.Constant) \
                and right.value in (True, False, None):
            return _made(left, right.value)
        return None
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _made(test.operand, False)
    if isinstance(test, ast.Call) and _name(test.func) == "isclose" and len(test.args) == 2:
        rel = next((k.value.value for k in test.keywords if k.arg in ("rel_tol", "abs_tol")
                    and isinstance(k.value, ast.Constant)), 1e-9)
        call, value = test.args
        if _call(value):
            call, value = value, call
        return _made(call, _value(value), f"isclose:{max(float(rel), 1e-9)}")
    return _made(test, True)


def _made(call: ast.expr, expected: object, oracle: str | None = None) -> Check | None:
    if not _call(call) or call.keywords:
        return None
    args = tuple(ast.literal_eval(a) for a in call.args)
    wire.dumps(args)        # raises if the arguments cannot travel to the sandbox
    return Check(call.func.id, args, expected, oracle)


def _unwrap(node: ast.expr) -> tuple[ast.expr, str | None]:
    """``set(f(x))`` / ``sorted(f(x))``: the call inside and the order-free oracle."""
    if isinstance(node, ast.Call) and _name(node.func) in _ORDER_FREE and len(node.args) == 1 \
            and _call(node.args[0]):
        return node.args[0], _ORDER_FREE[_name(node.func)]
    return node, None


def _value(node: ast.expr) -> object:
    """A literal, or a builtin container made from one (``set((4, 5))``)."""
    if isinstance(node, ast.Call) and _name(node.func) in _WRAPPERS and len(node.args) <= 1 \
            and not node.keywords:
        inner = ast.literal_eval(node.args[0]) if node.args else ()
        return _WRAPPERS[_name(node.func)](inner)
    return ast.literal_eval(node)


def _call(node: ast.expr) -> bool:
    """A call of a plain name that is not a builtin wrapper: the function under test."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
        and node.func.id not in _WRAPPERS and node.func.id != "isclose"


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else None
