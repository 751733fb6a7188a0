"""Edits of a program written as SEARCH/REPLACE blocks, and their application: a pure text
operation in the harness, nothing is run.

An answer edits its parent program with one or more blocks::

    <<<<<<< SEARCH
        return x
    =======
        return x + 1
    >>>>>>> REPLACE

Each block's SEARCH lines are looked for in the program as the blocks before it left it:
exactly first, then ignoring trailing whitespace, then ignoring a consistent difference of
indentation (the REPLACE lines are then re-indented by the same difference, so a block written
without its function's indentation still lands inside the function). The SEARCH text must be
found exactly once at the first of these levels that finds it at all. A block that is not
found, found more than once, empty or unfinished spoils the whole answer: ``Edited.failure``
says which block and why, and the answer holds no program. An answer without a SEARCH line is
no edit at all (``edited`` returns None), and may still be a whole program.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SEARCH, DIVIDER, REPLACE = "<<<<<<< SEARCH", "=======", ">>>>>>> REPLACE"
_MARKERS = {re.compile(r"<{5,9} ?SEARCH"): SEARCH, re.compile(r"={5,9}"): DIVIDER,
            re.compile(r">{5,9} ?REPLACE"): REPLACE}

EXAMPLE = f"""{SEARCH}
    return x
{DIVIDER}
    return x + 1
{REPLACE}"""


def asked(program: str, instead: str) -> str:
    """What a prompt asking for edits says: the format with a tiny example. ``program`` names
    the program the edits apply to; ``instead`` asks for a whole program, the way out."""
    return (f"Answer with SEARCH/REPLACE blocks that edit {program}, as many as needed. Each "
            "block copies lines of that program exactly, then gives the lines to put in their "
            f"place, for example:\n{EXAMPLE}\nEach SEARCH text must occur exactly once in the "
            f"program. To rewrite the program instead: {instead}")


@dataclass(frozen=True)
class Block:
    search: str
    replace: str


@dataclass(frozen=True)
class Edited:
    """An answer's blocks and the program they make of the parent (None when one failed)."""

    blocks: tuple[Block, ...]
    code: str | None
    failure: str = ""   # which block could not be applied, and why


class Unapplied(ValueError):
    """An answer's blocks cannot be applied; the message says why."""


def edited(parent: str, answer: str) -> Edited | None:
    """What the SEARCH/REPLACE blocks of ``answer`` make of ``parent``; None when ``answer``
    has no SEARCH line."""
    try:
        blocks = parse(answer)
    except Unapplied as err:
        return Edited((), None, str(err))
    if not blocks:
        return None
    code = parent
    for number, block in enumerate(blocks, 1):
        try:
            code = _apply(code, block)
        except Unapplied as err:
            where = f"block {number} of {len(blocks)}" if len(blocks) > 1 else "the block"
            return Edited(blocks, None, f"{where} (SEARCH starting {_first(block)!r}): {err}")
    return Edited(blocks, code)


def parse(answer: str) -> tuple[Block, ...]:
    """The complete blocks of ``answer`` in order; text around them (prose, code fences) is
    ignored. Raises ``Unapplied`` for a block left unfinished."""
    blocks: list[Block] = []
    search: list[str] | None = None     # the SEARCH lines, once the divider is passed
    lines: list[str] | None = None      # the lines of the part being read, inside a block
    for line in answer.splitlines():
        marker = _marker(line)
        if lines is None:
            if marker == SEARCH:
                lines = []
        elif marker == DIVIDER and search is None:
            search, lines = lines, []
        elif marker == REPLACE and search is not None:
            blocks.append(Block(_text(search), _text(lines)))
            search, lines = None, None
        else:
            lines.append(line)
    if lines is not None:
        missing = DIVIDER if search is None else REPLACE
        raise Unapplied(f"block {len(blocks) + 1} is unfinished: it has no {missing} line")
    return tuple(blocks)


def _marker(line: str) -> str | None:
    stripped = line.strip()
    return next((name for pattern, name in _MARKERS.items() if pattern.fullmatch(stripped)),
                None)


def _text(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def _first(block: Block) -> str:
    return next((line.strip() for line in block.search.splitlines() if line.strip()), "")


def _apply(program: str, block: Block) -> str:
    """``program`` with the one place ``block.search`` matches replaced."""
    lines, find = program.splitlines(), block.search.splitlines()
    if not any(line.strip() for line in find):
        raise Unapplied("its SEARCH text is empty")
    for same in (_exactly, _but_trailing_space, _but_indentation):
        spots = [i for i in range(len(lines) - len(find) + 1)
                 if same(lines[i:i + len(find)], find)]
        if len(spots) > 1:
            raise Unapplied(f"its SEARCH text occurs {len(spots)} times in the program "
                             f"(lines {', '.join(str(i + 1) for i in spots)}); include more "
                             "lines to make it unique")
        if spots:
            at = spots[0]
            found = lines[at:at + len(find)]
            new = _reindented(block.replace.splitlines(), find, found)
            end = "\n" if program.endswith("\n") or not program else ""
            return "\n".join(lines[:at] + new + lines[at + len(find):]) + end
    raise Unapplied("its SEARCH text is not in the program")


def _exactly(found: list[str], find: list[str]) -> bool:
    return found == find


def _but_trailing_space(found: list[str], find: list[str]) -> bool:
    return [line.rstrip() for line in found] == [line.rstrip() for line in find]


def _but_indentation(found: list[str], find: list[str]) -> bool:
    if [line.strip() for line in found] != [line.strip() for line in find]:
        return False
    shifts = {_shift(a, b) for a, b in zip(found, find, strict=True) if b.strip()}
    return len(shifts) == 1 and None not in shifts


def _indent(line: str) -> str:
    return line[:len(line) - len(line.lstrip())]


def _shift(found: str, find: str) -> tuple[str, str] | None:
    """How ``find``'s indentation becomes ``found``'s: (removed, added) prefixes, or None when
    neither indentation extends the other."""
    have, want = _indent(find), _indent(found)
    if want.startswith(have):
        return "", want[len(have):]
    if have.startswith(want):
        return have[len(want):], ""
    return None


def _reindented(replace: list[str], find: list[str], found: list[str]) -> list[str]:
    """The REPLACE lines shifted as the SEARCH lines had to be to match."""
    shift = next((_shift(a, b) for a, b in zip(found, find, strict=True) if b.strip()), None)
    if shift is None or shift == ("", ""):
        return replace
    removed, added = shift
    return [added + line.removeprefix(removed) if line.strip() else line for line in replace]
