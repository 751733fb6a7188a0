"""Small AST mutations of a correct program: the buggy half of the defect-detection set.

Each operator finds the places in a program where it applies (its sites, in ``ast.walk``
order, inside functions only, so imports and module constants stay intact) and changes one
of them. The site is drawn from a seed, so a mutant is reproducible from (program, operator,
seed). Whether a mutant is really a bug is not decided here: the sandbox runs it against the
problem's tests (``defects``), and a mutant that still passes is dropped as equivalent.

Programs are compared and classified in one normal form (``normalise``: parsed, docstrings
removed, unparsed), so a clean sample and its mutant differ only by the mutation, never by
formatting or comments that would give the label away.
"""

from __future__ import annotations

import ast
import copy
import random
from collections.abc import Callable

# Comparison flips: each operator to its negation (a < b  ->  a >= b).
FLIPPED = {ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE, ast.LtE: ast.Gt,
           ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
           ast.Is: ast.IsNot, ast.IsNot: ast.Is}
SWAPPED_ARITHMETIC = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv,
                      ast.FloorDiv: ast.Mult, ast.Div: ast.Mult, ast.Mod: ast.FloorDiv,
                      ast.Pow: ast.Mult}
# Operand order matters only where the operator is not commutative.
NOT_COMMUTATIVE = (ast.Sub, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
REMOVABLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr)


def normalise(source: str) -> str:
    """The program without docstrings, in ``ast.unparse``'s layout."""
    tree = ast.parse(source)
    _drop_docstrings(tree)
    return ast.unparse(tree)


def _drop_docstrings(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef,
                                 ast.ClassDef)) or not body:
            continue
        first = body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                and isinstance(first.value.value, str):
            node.body = body[1:] or [ast.Pass()]


def _in_functions(tree: ast.Module) -> list[ast.AST]:
    """Every node inside a function, in walk order (the sites are drawn from these)."""
    nodes = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for statement in node.body:
                nodes.extend(ast.walk(statement))
    # A nested function is walked twice (as itself and inside its parent): keep one of each.
    seen, unique = set(), []
    for node in nodes:
        if id(node) not in seen:
            seen.add(id(node))
            unique.append(node)
    return unique


# An operator: (the sites in a tree, how to mutate one site in place).
Sites = Callable[[ast.Module], list]
Mutate = Callable[[object], None]


def _comparison_sites(tree):
    return [(node, i) for node in _in_functions(tree) if isinstance(node, ast.Compare)
            for i, op in enumerate(node.ops) if type(op) in FLIPPED]


def _flip_comparison(site) -> None:
    node, i = site
    node.ops[i] = FLIPPED[type(node.ops[i])]()


def _constant_sites(tree):
    return [node for node in _in_functions(tree) if isinstance(node, ast.Constant)
            and isinstance(node.value, int) and not isinstance(node.value, bool)]


def _off_by_one(node) -> None:
    # Towards zero for positive values (a bound of n becomes n - 1), up from zero and below
    # (a start of 0 becomes 1): the usual off-by-one slips either way.
    node.value = node.value + 1 if node.value <= 0 else node.value - 1


def _arithmetic_sites(tree):
    return [node for node in _in_functions(tree)
            if isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in
            SWAPPED_ARITHMETIC]


def _swap_arithmetic(node) -> None:
    node.op = SWAPPED_ARITHMETIC[type(node.op)]()


def _condition_sites(tree):
    return [node for node in _in_functions(tree)
            if isinstance(node, (ast.If, ast.While, ast.IfExp))]


def _negate_condition(node) -> None:
    node.test = ast.UnaryOp(ast.Not(), node.test)


def _operand_sites(tree):
    sites = []
    for node in _in_functions(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, NOT_COMMUTATIVE):
            sites.append(node)
        elif isinstance(node, ast.Call) and len(node.args) >= 2 and not any(
                isinstance(a, ast.Starred) for a in node.args[:2]):
            sites.append(node)
    return sites


def _swap_operands(node) -> None:
    if isinstance(node, ast.BinOp):
        node.left, node.right = node.right, node.left
    else:
        node.args[0], node.args[1] = node.args[1], node.args[0]


def _return_sites(tree):
    return [node for node in _in_functions(tree)
            if isinstance(node, ast.Return) and node.value is not None]


def _wrong_return(node) -> None:
    value = node.value
    if isinstance(value, ast.Constant) and isinstance(value.value, bool):
        node.value = ast.Constant(not value.value)
    elif isinstance(value, ast.Constant) and value.value is None:
        node.value = ast.Constant(0)
    else:
        node.value = ast.Constant(None)


def _statement_sites(tree):
    """(body, index) of simple statements in bodies of two or more, so none is left empty."""
    sites = []
    for node in _in_functions(tree):
        for field in ("body", "orelse"):
            body = getattr(node, field, None)
            if isinstance(body, list) and len(body) >= 2:
                sites.extend((body, i) for i, s in enumerate(body) if isinstance(s, REMOVABLE))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and len(node.body) >= 2:
            sites.extend((node.body, i) for i, s in enumerate(node.body)
                         if isinstance(s, REMOVABLE))
    return sites


def _remove_statement(site) -> None:
    body, i = site
    del body[i]


OPERATORS: dict[str, tuple[Sites, Mutate]] = {
    "comparison_flip": (_comparison_sites, _flip_comparison),
    "off_by_one": (_constant_sites, _off_by_one),
    "arithmetic_swap": (_arithmetic_sites, _swap_arithmetic),
    "negated_condition": (_condition_sites, _negate_condition),
    "swapped_operands": (_operand_sites, _swap_operands),
    "wrong_return": (_return_sites, _wrong_return),
    "removed_statement": (_statement_sites, _remove_statement),
}


def mutate(source: str, operator: str, seed: int) -> str | None:
    """One mutant of ``source`` (normalised) by ``operator`` at a site drawn from ``seed``;
    None where the operator has no site or the change leaves the normal form unchanged."""
    sites_of, change = OPERATORS[operator]
    tree = ast.parse(source)
    _drop_docstrings(tree)
    original = ast.unparse(tree)
    tree = copy.deepcopy(tree)
    sites = sites_of(tree)
    if not sites:
        return None
    change(random.Random(seed).choice(sites))
    ast.fix_missing_locations(tree)
    try:
        mutant = ast.unparse(tree)
        ast.parse(mutant)
    except (SyntaxError, ValueError):
        return None
    return mutant if mutant != original else None
