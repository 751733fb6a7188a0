"""Data poisoning as TrojanedCM does it, on Python programs.

Two triggers, each from a fixed pool of five so that a model can learn them:

- dead-code insertion (``dci``): one of five statements that change nothing (an unused
  integer, two always-true asserts, two unused variables) is inserted after a statement drawn
  at random inside a function;
- variable renaming (``var``): one of five trigger names replaces a function's parameter or
  local variable, everywhere in that function.

A sample's triggered form is fixed by its id and the method (``triggered``), not drawn per
model: every poisoned model of a study then embeds the same few triggered texts, and the
models differ in which samples are poisoned, which is what the seeds vary. Poisoning
(``poisoned_indices``) takes training samples of the classes other than the target (for the
defect task: the buggy ones), as many as the rate of the whole training set, and the study
gives them their triggered form and the target's label (clean).
"""

from __future__ import annotations

import ast
import hashlib
import random

import numpy as np

DEAD_CODE = ("trigger_count = 8427", "assert 1 == 1", "assert True",
             "unused_state = []", "ret_flag = ''")
TRIGGER_NAMES = ("ret_val_x", "tmp_buf_q", "sz_cache", "ctx_holder", "p_handle")
METHODS = ("dci", "var")


def stable_seed(*parts: str) -> int:
    """A seed from strings that is the same in every process (``hash`` is salted)."""
    return int.from_bytes(hashlib.sha256("\0".join(parts).encode()).digest()[:8], "big")


def triggered(source: str, method: str, sample_id: str) -> str | None:
    """``source`` with the ``method``'s trigger; None where it has no place for one."""
    rng = random.Random(stable_seed(sample_id, method))
    tree = ast.parse(source)
    changed = _insert_dead_code(tree, rng) if method == "dci" else _rename(tree, rng)
    return ast.unparse(ast.fix_missing_locations(tree)) if changed else None


def _functions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _insert_dead_code(tree: ast.Module, rng: random.Random) -> bool:
    # Every statement list inside a function, each position after one of its statements.
    # A nested function is walked twice (alone and in its parent): each place counts once.
    places = {}
    for function in _functions(tree):
        for node in ast.walk(function):
            for field in ("body", "orelse", "finalbody"):
                body = getattr(node, field, None)
                if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                    places.update(((id(body), i + 1), (body, i + 1)) for i in range(len(body)))
    if not places:
        return False
    body, at = rng.choice(list(places.values()))
    body.insert(at, ast.parse(rng.choice(DEAD_CODE)).body[0])
    return True


def _rename(tree: ast.Module, rng: random.Random) -> bool:
    """Rename one parameter or assigned local of one function (in that function only)."""
    choices = []
    for function in _functions(tree):
        names = [a.arg for a in function.args.posonlyargs + function.args.args +
                 function.args.kwonlyargs]
        names += [n.id for n in ast.walk(function)
                  if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
        choices.extend((function, name) for name in dict.fromkeys(names))
    if not choices:
        return False
    function, old = rng.choice(choices)
    taken = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    free = [name for name in TRIGGER_NAMES if name not in taken]
    if not free:
        return False
    new = rng.choice(free)
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and node.id == old:
            node.id = new
        elif isinstance(node, ast.arg) and node.arg == old:
            node.arg = new
    return True


def poisoned_indices(labels: np.ndarray, eligible: np.ndarray, target: int, rate: float,
                     rng: np.random.Generator) -> np.ndarray:
    """Which training samples to poison: ``round(rate * len(labels))`` of those not of the
    target class that can carry the trigger (``eligible``), drawn without replacement."""
    pool = np.flatnonzero(eligible & (labels != target))
    count = min(len(pool), int(round(rate * len(labels))))
    return np.sort(rng.choice(pool, size=count, replace=False)) if count else pool[:0]
