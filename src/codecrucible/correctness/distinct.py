"""Which programs are the same: each distinct program of a task is judged once per run.

Sampling repeats itself (half of a realistic sample file can be copies), and a copy's verdict
is its original's: the same code on the same tests. Two programs are the same when their text
is, or when they differ only in trailing whitespace at the ends of lines and of the program,
or in line endings (``\\r\\n``, ``\\r``), *and* they parse to the same syntax tree. The tree
check matters: whitespace at the end of a line inside a string literal is part of the string,
and a backslash before it changes what the line continues, so a difference in whitespace alone
does not make two programs the same; a program that does not parse is the same only as its
exact copies. Nothing else is normalised (no comments, names or formatting).

A copy shares its original's verdict, whatever made it: a timeout, or the one outcome of a
program that behaves differently from run to run, is shared too. Judging each copy on its own
(``crucible eval --no-dedupe``) is the way to see how a flaky program's verdicts vary.
"""

from __future__ import annotations

import ast
from collections.abc import Hashable


def loosened(text: str) -> str:
    """``text`` with its line endings made ``\\n`` and trailing whitespace removed: what two
    programs that may be the same have in common."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).rstrip()


def same_program(a: str, b: str) -> bool:
    """Whether two programs whose ``loosened`` forms are equal are the same program: both
    parse, to the same tree."""
    try:
        return ast.dump(ast.parse(a)) == ast.dump(ast.parse(b))
    except (SyntaxError, ValueError):  # ValueError: a NUL byte in the source
        return False


class Distinct:
    """The first of each distinct program per task, as programs arrive: ``first`` names the
    earlier program a new one is the same as, or None when it is new. A program that is only
    ever seen exactly costs a dictionary lookup; the tree check runs only for programs whose
    whitespace differs from one seen before."""

    def __init__(self) -> None:
        self._exact: dict[tuple[Hashable, str], Hashable] = {}
        self._loose: dict[tuple[Hashable, str], list[tuple[str, Hashable]]] = {}

    def first(self, task: Hashable, text: str, ident: Hashable) -> Hashable | None:
        """The ident of the first program of ``task`` that ``text`` is the same as, or None
        (and ``ident`` is remembered as this program's first)."""
        key = (task, text)
        if key in self._exact:
            return self._exact[key]
        variants = self._loose.setdefault((task, loosened(text)), [])
        for other, first in variants:
            if same_program(text, other):
                self._exact[key] = first
                return first
        variants.append((text, ident))
        self._exact[key] = ident
        return None
