"""Duplicate and near-duplicate programs, recognised before they are run.

A program's fingerprint is the dump of its syntax tree with docstrings removed and every name
the program chooses renamed, in order of first appearance (``_0``, ``_1``, ...). Formatting and
comments are not in a syntax tree at all; docstrings, and variable, parameter and helper names,
change nothing a program computes. Two programs with one fingerprint are therefore the same
program written twice, up to a consistent renaming, and judging the second could only repeat
the first's verdict. Kept as they are: the entry point's name (the program must define it),
builtins, attributes, keyword arguments and imported modules, so two programs that may compute
differently never share a fingerprint. A program that does not parse is fingerprinted by its
lines with their spacing and blank lines removed.
"""

from __future__ import annotations

import ast
import builtins
import hashlib

_KEEP = frozenset(dir(builtins))
_DOCUMENTED = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def fingerprint(code: str, entry_point: str = "") -> str:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        lines = (line.strip() for line in code.splitlines())
        return _digest("text:" + "\n".join(line for line in lines if line))
    _Canon(_KEEP | {entry_point}).visit(tree)
    return _digest(ast.dump(tree, annotate_fields=False, include_attributes=False))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest()


class _Canon(ast.NodeTransformer):
    """Drops docstrings and renames the program's own names consistently."""

    def __init__(self, keep: frozenset[str]):
        self.keep, self.names = keep, {}

    def _rename(self, name: str) -> str:
        if name in self.keep:
            return name
        return self.names.setdefault(name, f"_{len(self.names)}")

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, _DOCUMENTED) and node.body and isinstance(node.body[0], ast.Expr) \
                and isinstance(node.body[0].value, ast.Constant) \
                and isinstance(node.body[0].value.value, str):
            node.body = node.body[1:] or [ast.Pass()]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            node.name = self._rename(node.name)
        return super().generic_visit(node)

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self._rename(node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.arg = self._rename(node.arg)
        node.annotation = self.visit(node.annotation) if node.annotation else None
        return node
