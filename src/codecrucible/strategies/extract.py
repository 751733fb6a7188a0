"""Turning raw model output into a runnable Python program.

Chat models wrap their code in Markdown fences among prose; base models continue the prompt and
then ramble on into another function, a test or a ``__main__`` block. ``extract_code`` finds the
program in a chat answer, ``truncate_completion`` cuts a base model's continuation where the
function body ends, and ``sanitize`` keeps only what the entry point needs, so that example calls
left in an answer neither run nor fail before the tests do.
"""

from __future__ import annotations

import ast
import re
import symtable
from collections.abc import Iterable, Iterator

# A Markdown fence line: optional indentation (fences inside list items are indented), three or
# more backticks, then an optional info string whose first word is the language.
_FENCE = re.compile(r"^(?P<indent>[ \t]*)`{3,}[ \t]*(?P<lang>[\w+-]*)[^`]*$")
_PYTHON_LANGS = {"", "python", "py"}  # also with a version: python3, py3
# Lines where code may begin after prose, for answers that use no fences at all.
_CODE_START = re.compile(r"^(?:@|(?:async[ \t]+)?def\s|class\s|import\s|from\s)")
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_IMPORTS = (ast.Import, ast.ImportFrom)


def extract_code(text: str, prompt: str, entry_point: str) -> str | None:
    """The program in a chat model's answer, or None when the answer holds no usable code.

    Tried in order: the fenced Python blocks, when one defines the entry point; code written
    without fences; and a bare function body, which is stitched onto the prompt it continues.
    """
    text = _normalize_newlines(text)
    if "</think>" in text:
        # A reasoning model's drafts come before its answer; only the answer counts.
        text = text.rsplit("</think>", 1)[1]
    blocks = _fenced_blocks(text)
    parsed = [_longest_parsing_prefix(block) for block in blocks]
    if any(_defines(tree, entry_point) for _, tree in parsed):
        # Helpers may sit in blocks of their own, so keep every block that contributes
        # definitions; blocks that only demonstrate the function would run at import time.
        kept = [source for source, tree in parsed
                if _defines(tree, entry_point) or _is_support(tree)]
        return _with_prompt_context(prompt, "\n\n".join(kept))

    lines = text.split("\n")
    parsed_up_to = 0  # a start inside code already parsed from an earlier start adds nothing
    for start, line in enumerate(lines):
        if start < parsed_up_to or not (start == 0 or _CODE_START.match(line)):
            continue
        source, tree = _longest_parsing_prefix("\n".join(lines[start:]))
        if _defines(tree, entry_point):
            return _with_prompt_context(prompt, source)
        if tree.body:
            parsed_up_to = start + source.count("\n") + 1

    for continuation in blocks or [text]:
        # Only an indented first line can continue the prompt's function; anything else
        # stitched on would just leave the prompt's bare stub to be "tested".
        first = next((line for line in continuation.split("\n") if line.strip()), "")
        if not first[:1].isspace():
            continue
        program = prompt + truncate_completion(continuation)
        tree = _parse(program)
        if tree is not None and _defines(tree, entry_point):
            return program
    return None


def extract_script(text: str) -> str | None:
    """The code in a chat answer that has no entry point to look for (a whole script, a step
    of a multi-turn program, a snippet for a slot): its Python blocks joined, or, without
    fences, the code that starts the answer; cut to what parses. None when there is none."""
    text = _normalize_newlines(text)
    if "</think>" in text:
        text = text.rsplit("</think>", 1)[1]
    blocks = _fenced_blocks(text) or ([text] if _looks_like_code(text) else [])
    code = "\n".join(_longest_parsing_prefix(block)[0].rstrip() for block in blocks).strip("\n")
    return code + "\n" if code.strip() else None


def fit_to_slot(code: str, setup: str, slot_function: str | None = None) -> str:
    """A chat answer reshaped into the code a slot expects (DS-1000): chat models tend to
    repeat the problem's setup before their solution, which would overwrite the test's inputs,
    so top-level statements that also appear in ``setup`` are dropped (imports stay). When the
    slot is the body of ``slot_function``, the answer's own definition of that function gives
    the body; an answer without one is indented into it."""
    tree = _parse(code)
    if tree is None:
        return code
    lines = code.split("\n")
    if slot_function:
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == slot_function and node.body:
                body = lines[node.body[0].lineno - 1:node.end_lineno]
                indent = min(len(line) - len(line.lstrip()) for line in body if line.strip())
                return "\n".join("    " + line[indent:] if line.strip() else ""
                                 for line in body) + "\n"
    seen = {ast.dump(node) for node in (_parse(setup) or ast.Module(body=[])).body}
    kept = [_segment(lines, node) for node in tree.body
            if isinstance(node, _IMPORTS) or ast.dump(node) not in seen]
    result = "\n".join(kept) + "\n"
    if slot_function:
        result = "".join("    " + line + "\n" if line.strip() else "\n"
                         for line in result.split("\n")[:-1])
    return result


# Where the CodeGen sampler cuts a base model's answer to one turn: at a comment line, the end
# of text, a docstring-like line, or two blank lines.
_TURN_END = re.compile(r"^#|<\|endoftext\|>|^'''|^\"\"\"|\n\n\n", re.MULTILINE)


def truncate_turn(completion: str) -> str:
    """A base model's answer to one MTPB turn, cut as the CodeGen sampler does: before a second
    top-level ``print`` or ``def``, then at the first ``_TURN_END``."""
    seen = {"print": 0, "def": 0}
    lines = completion.split("\n")
    for i, line in enumerate(lines):
        word = "print" if line.startswith("print") else "def" if line.startswith("def ") else None
        if word:
            seen[word] += 1
            if seen[word] == 2:
                completion = "\n".join(lines[:i])
                break
    match = _TURN_END.search(completion)
    return completion[:match.start()] if match else completion


def sanitize(code: str, entry_point: str, keep: Iterable[str] = ()) -> str | None:
    """The imports of ``code`` and the top-level definitions reachable from ``entry_point``
    (and from the names in ``keep``), in their original order; None if the entry point is not
    defined. Everything else at top level (example calls, prints, asserts, ``__main__`` blocks,
    unused tests) is dropped. Code that does not parse is cut to its longest parsing prefix.

    ``keep`` is for names the tests use besides the entry point: HumanEval's tests call the
    prompt's ``poly``, ``encode_cyclic`` and ``encode_shift`` even where a solution does not.
    """
    source, tree = _longest_parsing_prefix(_normalize_newlines(code))
    nodes = tree.body
    defined_by: dict[str, list[int]] = {}
    for i, node in enumerate(nodes):
        for name in _defined_names(node):
            defined_by.setdefault(name, []).append(i)
    if entry_point not in defined_by:
        return None

    lines = source.split("\n")
    segments = [_segment(lines, node) for node in nodes]
    kept = {i for i, node in enumerate(nodes) if isinstance(node, _IMPORTS)}
    todo, seen = [entry_point, *keep], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for i in defined_by.get(name, ()):
            if i not in kept:
                kept.add(i)
                todo.extend(_global_references(segments[i], nodes[i]))
    return "\n\n".join(segments[i] for i in sorted(kept)) + "\n"


def truncate_completion(completion: str) -> str:
    """A base model's continuation of a function, cut before its first top-level line.

    The body is indented, so the first line that starts at column 0 begins something else (a
    new def, a test, a ``__main__`` block, a comment). The continuation's first line is never a
    cut: it may finish the prompt's last line rather than start a new one.
    """
    lines = completion.split("\n")
    for i in range(1, len(lines)):
        if lines[i][:1] and not lines[i][:1].isspace():
            body = "\n".join(lines[:i]).rstrip()
            return body + "\n" if body else ""
    return completion


def program_from_completion(prompt: str, completion: str, entry_point: str) -> str | None:
    """The program a base model wrote by continuing ``prompt``, or None when it has none."""
    keep = prompt_names(prompt)
    cut, whole = prompt + truncate_completion(completion), prompt + completion
    if _parse(cut) is None and _parse(whole) is not None:
        # The cut split a multi-line string or bracket that returns to column 0. (Sanitizing
        # the cut would quietly keep just its parsing prefix, the prompt's bare stub.)
        cut = whole
    return sanitize(cut, entry_point, keep) or sanitize(whole, entry_point, keep)


def prompt_names(prompt: str) -> list[str]:
    """What the prompt defines: part of the problem, and its tests may use it (HumanEval/50's
    tests call ``encode_shift``, which the entry point ``decode_shift`` never does)."""
    return [name for node in _longest_parsing_prefix(prompt)[1].body
            for name in _defined_names(node)]


def _fenced_blocks(text: str) -> list[str]:
    """The contents of the Python-fenced (or unlabelled) blocks, in order; a final block that
    is never closed (generation stopped at the token limit) runs to the end of the text."""
    lines = text.split("\n")
    fences = [(i, m) for i, line in enumerate(lines) if (m := _FENCE.match(line))]
    blocks: list[str] = []
    start: int | None = None  # first content line of the open block, if one is open
    indent, is_python = "", False
    if fences and not fences[0][1]["lang"] and _looks_like_code("\n".join(lines[:fences[0][0]])):
        # Code and then a bare fence: the answer began inside a block, because the opening
        # fence was part of a prefilled assistant turn. That first fence closes it.
        start, is_python = 0, True
    for i, match in fences:
        if start is None:
            start, indent = i + 1, match["indent"]
            is_python = match["lang"].lower().rstrip("0123456789") in _PYTHON_LANGS
        else:
            if is_python:
                blocks.append(_dedent(lines[start:i], indent))
            start = None
    if start is not None and is_python:
        blocks.append(_dedent(lines[start:], indent))
    return blocks


def _dedent(lines: list[str], indent: str) -> str:
    # Only the fence's own indentation comes off: a block holding a bare function body must
    # keep the body's indentation.
    return "\n".join(line[len(indent):] if line.startswith(indent) else line.lstrip()
                     for line in lines)


def _looks_like_code(text: str) -> bool:
    if not text.strip():
        return False
    first = next(line for line in text.split("\n") if line.strip())
    if first[:1].isspace():  # a function body, continuing the prompt
        return True
    tree = _parse(text)
    # A lone word of prose ("Sure") parses as an expression; real code has statements.
    return tree is not None and any(not isinstance(node, ast.Expr) for node in tree.body)


def _is_support(tree: ast.Module) -> bool:
    """Whether a block that does not define the entry point may still be needed by it: it
    defines functions or classes, or holds only imports and constants. Blocks of prints,
    asserts and calls are usage examples."""
    if not tree.body:
        return False
    return any(isinstance(node, _DEFS) for node in tree.body) or all(
        isinstance(node, (*_IMPORTS, ast.Assign, ast.AnnAssign)) for node in tree.body)


def _with_prompt_context(prompt: str, code: str) -> str:
    """``code`` preceded by the prompt's imports and helper definitions it lacks.

    The model was shown the prompt and often answers with the function alone, using the
    prompt's ``List`` or helper (``encode_cyclic``) without repeating its definition.
    """
    source, tree = _longest_parsing_prefix(_normalize_newlines(prompt))
    lines = source.split("\n")
    code_tree = _parse(code)
    if code_tree is None or any(isinstance(node, ast.ImportFrom) and node.module == "__future__"
                                for node in code_tree.body):
        return code  # nothing may precede a __future__ import
    present = {line.strip() for line in code.split("\n")}
    defined = {name for node in code_tree.body for name in _defined_names(node)}
    context = [_segment(lines, node) for node in tree.body
               if (isinstance(node, _IMPORTS) and _segment(lines, node) not in present)
               or (isinstance(node, _DEFS) and node.name not in defined)]
    return "\n\n".join([*context, code]) if context else code


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):  # ValueError: null bytes
        return None


def _longest_parsing_prefix(code: str) -> tuple[str, ast.Module]:
    """The longest run of whole lines from the start of ``code`` that parses, and its tree.

    Generation stopped at the token limit, or prose after the code, leaves a tail that does not
    parse; everything before it is still the model's program.
    """
    lines = code.split("\n")
    n = len(lines)
    while n > 0:
        prefix = "\n".join(lines[:n])
        try:
            return prefix, ast.parse(prefix)
        except (SyntaxError, ValueError, RecursionError) as err:
            # A prefix that still holds the line the parser gave up on fails the same way,
            # so jump back to it rather than shortening one line at a time.
            line = getattr(err, "lineno", None) or n
            n = min(n - 1, line)
    return "", ast.Module(body=[], type_ignores=[])


def _defines(tree: ast.Module, name: str) -> bool:
    return any(name in _defined_names(node) for node in tree.body)


def _defined_names(node: ast.stmt) -> set[str]:
    """The module-level names a top-level statement binds (or, for ``memo[0] = 1``, alters)."""
    if isinstance(node, _DEFS):
        return {node.name}
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    else:
        return set()
    return {name for target in targets for name in _target_names(target)}


def _target_names(target: ast.expr) -> Iterator[str]:
    while isinstance(target, (ast.Attribute, ast.Subscript, ast.Starred)):
        target = target.value
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _target_names(element)


def _global_references(segment: str, node: ast.stmt) -> set[str]:
    """The global names a top-level statement uses.

    The symbol table resolves scopes, so a function's local ``result`` does not drag in an
    example's top-level ``result = f(3)`` (which would run the function at import time).
    """
    try:
        table = symtable.symtable(segment, "<candidate>", "exec")
    except (SyntaxError, ValueError, RecursionError):
        return {sub.id for sub in ast.walk(node) if isinstance(sub, ast.Name)}
    names, tables = set(), [table]
    while tables:
        table = tables.pop()
        tables.extend(table.get_children())
        # An augmented assignment (``total += 1``) reads its target without "referencing" it,
        # so a declared global counts as used.
        names.update(symbol.get_name() for symbol in table.get_symbols()
                     if symbol.is_global()
                     and (symbol.is_referenced() or symbol.is_declared_global()))
    return names


def _segment(lines: list[str], node: ast.stmt) -> str:
    """A statement's source text, decorators included. (``ast.get_source_segment`` does the
    same but splits the whole source again for every statement.)"""
    decorators = getattr(node, "decorator_list", None)
    first, column = (decorators[0].lineno, 0) if decorators else (node.lineno, node.col_offset)
    # ast's columns count UTF-8 bytes.
    chunk = [line.encode() for line in lines[first - 1:node.end_lineno]]
    chunk[-1] = chunk[-1][:node.end_col_offset]
    chunk[0] = chunk[0][column:]
    return b"\n".join(chunk).decode()


def _normalize_newlines(text: str) -> str:
    # ast counts "\r" as a line break too; with "\n" only, its line numbers index our lines.
    return text.replace("\r\n", "\n").replace("\r", "\n")
