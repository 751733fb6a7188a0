"""MBPP (Google, 2021): the full set's test split (tasks 11-510) and the sanitized set.

Tests are the task's ``assert`` lines. Each is run once against the reference solution in the
sandbox and every call to the task's function is recorded; the recorded arguments with the
reference's outputs become the tests. An assert that compares ``set(f(...))`` or
``sorted(f(...))``, or uses ``math.isclose``, keeps that looser comparison.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from codecrucible.benchmarks.data import DataError, DataFile, locate
from codecrucible.benchmarks.jsonl import read_records
from codecrucible.records import Problem

_RAW = "https://raw.githubusercontent.com/google-research/google-research/master/mbpp/{}"
MBPP_FULL = DataFile(relpath="mbpp/mbpp.jsonl", url=_RAW.format("mbpp.jsonl"),
                     sha256="ccf64ceae9c5403bf50a044cb6d505bfd2a2963ee58338ba268fd65beab92a9f")
MBPP_SANITIZED = DataFile(
    relpath="mbpp/sanitized-mbpp.json", url=_RAW.format("sanitized-mbpp.json"),
    sha256="ca95deaa9a01ef0a6f439f88bcf0dd3db3563d22f22aad6cae04ebb9a8d8c8e9")
_TEST_SPLIT = range(11, 511)


class Mbpp:
    name = "mbpp"
    description = "MBPP full, test split (tasks 11-510): crowd-sourced basic Python tasks"
    size = 500
    suites = ("base",)
    files = (MBPP_FULL,)

    def load(self, data_dir: Path | None) -> list[Problem]:
        path = locate(MBPP_FULL, data_dir)
        records = read_records(path, ("task_id", "text", "code", "test_list"))
        return [_problem(self.name, r["task_id"], r["text"], r["code"], r["test_list"],
                         r.get("test_setup_code", ""), path)
                for r in records if r["task_id"] in _TEST_SPLIT]


class MbppSanitized:
    name = "mbpp-sanitized"
    description = "MBPP sanitized: 427 hand-verified tasks with clarified wording"
    size = 427
    suites = ("base",)
    files = (MBPP_SANITIZED,)

    def load(self, data_dir: Path | None) -> list[Problem]:
        path = locate(MBPP_SANITIZED, data_dir)
        records = read_records(path, ("task_id", "prompt", "code", "test_list"))
        return [_problem(self.name, r["task_id"], r["prompt"], r["code"], r["test_list"],
                         "\n".join(r.get("test_imports", [])), path) for r in records]


def _problem(benchmark: str, task_id: int, text: str, code: str, tests: list[str],
             setup: str, path: Path) -> Problem:
    entry = _entry_point(tests[0] if tests else "")
    if entry is None:
        raise DataError(f"{path}: task {task_id} has no assert calling a function")
    snippets = tuple(([setup] if setup.strip() else []) + tests)
    oracles = tuple(_assert_oracle(t, entry) for t in snippets)
    first = tests[0]
    prompt = f'"""\n{text}\n{first}\n"""\n'
    return Problem(
        task_id=f"Mbpp/{task_id}", benchmark=benchmark, prompt=prompt,
        instruction=f"{text}\nYour code should pass this test:\n{first}\n",
        entry_point=entry, reference=code.replace("\r\n", "\n"), snippets=snippets,
        snippet_oracles=oracles, metadata={"setup": setup})


def _entry_point(test: str) -> str | None:
    match = re.search(r"assert\s+(?:not\s+)?\(?\s*(?:[\w.]+\()*?([A-Za-z_]\w*)\s*\(", test)
    if not match:
        return None
    try:
        tree = ast.parse(test)
    except SyntaxError:
        return match.group(1)
    builtins = {"set", "sorted", "math", "abs", "round", "str", "list", "tuple", "isclose",
                "len", "int", "float", "frozenset", "dict", "all", "any", "type"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id not in builtins:
            return node.func.id
    return match.group(1)


def _assert_oracle(test: str, entry: str) -> str | None:
    """The comparison an assert applies to the entry point's result, read from its syntax."""
    try:
        tree = ast.parse(test)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else \
            node.func.attr if isinstance(node.func, ast.Attribute) else None
        wraps_entry = any(isinstance(a, ast.Call) and isinstance(a.func, ast.Name)
                          and a.func.id == entry for a in node.args)
        if not wraps_entry:
            continue
        if name in ("set", "frozenset"):
            return "set"
        if name == "sorted":
            return "sorted"
        if name == "isclose":
            for keyword in node.keywords:
                if keyword.arg in ("rel_tol", "abs_tol") \
                        and isinstance(keyword.value, ast.Constant):
                    return f"isclose:{max(float(keyword.value.value), 1e-9)}"
            return "isclose:1e-9"
    return None
