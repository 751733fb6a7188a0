"""DS-1000's ``code_context`` split in two: what the candidate runs, and what checks it.

Each context defines ``generate_test_case(i)`` (its inputs, and inside ``generate_ans`` the
reference solution that computes the expected result), ``exec_test(result, ans)``,
``exec_context`` (the code around the solution) and ``test_execution(solution)``, which loops
over the test cases: inputs, run, ``assert exec_test(...)``. Run as one program, the checker
and the expected results would live in the candidate's interpreter, where it can read or
replace them. Here:

* the candidate's side keeps the inputs and the run, and nothing that knows the answer:
  ``generate_ans`` is dropped and its calls become ``None``; a ``generate_test_case`` without
  one draws the reference plot itself (Matplotlib) and keeps only ``return None, None``;
  ``exec_test`` and ``test_string`` go; the loop's ``assert`` becomes
  ``ANSWER(i, test_env)``, which sends the result back as data;
* the checker's side keeps the whole context but never runs the solution: the loop computes
  the inputs and the expected result and calls ``CHECK(i, expected_result)``, which judges the
  candidate's answer for that case with the benchmark's own ``exec_test``.

Both sides call ``SEED(i)`` first in each case, so that random inputs are the same in both.
"""

from __future__ import annotations

import ast
import warnings

from codecrucible.sandbox.checked import ANSWER, CHECK, SEED

_CHECKERS = ("exec_test", "test_string")


class Unsplittable(ValueError):
    """A context whose shape the split does not know; the problem cannot be judged."""


def candidate_side(context: str) -> str:
    """The context without the reference or the checker, its loop answering with data."""
    tree = _parse(context)
    tree.body = [node for node in tree.body
                 if not (isinstance(node, ast.FunctionDef) and node.name in _CHECKERS)]
    _strip_answers(_function(tree, "generate_test_case"))
    _rewrite_loop(_function(tree, "test_execution"), candidate=True)
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def checker_side(context: str) -> str:
    """The whole context, its loop checking answers instead of running a solution."""
    tree = _parse(context)
    _rewrite_loop(_function(tree, "test_execution"), candidate=False)
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def case_count(context: str) -> int:
    """How many test cases ``test_execution`` runs (its ``for i in range(N)``)."""
    loop = _loop(_function(_parse(context), "test_execution"))
    call = loop.iter
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
            and call.func.id == "range" and len(call.args) == 1
            and isinstance(call.args[0], ast.Constant) and type(call.args[0].value) is int):
        raise Unsplittable("test_execution does not loop over range(N)")
    return call.args[0].value


def has_string_test(context: str) -> bool:
    return any(isinstance(node, ast.FunctionDef) and node.name == "test_string"
               for node in _parse(context).body)


def asserts_after_slot(context: str) -> bool:
    """Whether ``exec_context`` itself asserts after the solution (files it must have
    written, a function's output): such a check runs inside the candidate's own program,
    where a candidate can forge it, and no process apart from it can repeat it."""
    for node in _parse(context).body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "exec_context" for t in node.targets) \
                and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            after = node.value.value.partition("[insert]")[2]
            # Text, not a parse: what follows the slot may continue the solution's line
            # (``[insert].numpy()``) or close a function around it.
            return any(line.strip().startswith("assert ") for line in after.split("\n"))
    raise Unsplittable("no exec_context string")


def _parse(source: str) -> ast.Module:
    try:
        with warnings.catch_warnings():  # the data's own "\s" escapes, not ours to fix
            warnings.simplefilter("ignore", SyntaxWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            return ast.parse(source)
    except SyntaxError as err:
        raise Unsplittable(f"does not parse: {err}") from None


def _function(tree: ast.Module, name: str) -> ast.FunctionDef:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    raise Unsplittable(f"no top-level {name}()")


def _strip_answers(function: ast.FunctionDef) -> None:
    nested = [node for node in function.body
              if isinstance(node, ast.FunctionDef) and node.name == "generate_ans"]
    if not nested:
        # The function computes its answer inline (Matplotlib draws and saves the reference
        # plot): none of it belongs on the candidate's side.
        function.body = [ast.parse("return None, None").body[0]]
        return
    function.body = [node for node in function.body if node not in nested]

    class _NoAnswer(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.AST:
            if isinstance(node.func, ast.Name) and node.func.id == "generate_ans":
                return ast.copy_location(ast.Constant(None), node)
            return self.generic_visit(node)

    _NoAnswer().visit(function)
    if any(isinstance(node, ast.Name) and node.id == "generate_ans"
           for node in ast.walk(function)):
        raise Unsplittable("generate_ans is used other than by calling it")


def _loop(function: ast.FunctionDef) -> ast.For:
    loops = [node for node in function.body if isinstance(node, ast.For)]
    if len(loops) != 1 or not isinstance(loops[0].target, ast.Name):
        raise Unsplittable("test_execution has no single loop over its test cases")
    return loops[0]


def _rewrite_loop(function: ast.FunctionDef, candidate: bool) -> None:
    """Candidate: ``SEED(i)``, the inputs, the run, ``ANSWER(i, test_env)``. Checker:
    ``SEED(i)``, inputs and expected result, ``CHECK(i, expected_result)``."""
    loop = _loop(function)
    index = loop.target.id
    body = loop.body
    if not (len(body) == 4 and _is_case_assignment(body[0]) and _is_env(body[1])
            and _is_exec(body[2]) and isinstance(body[3], ast.Assert)):
        raise Unsplittable("test_execution's loop is not inputs, run, assert")
    seed = _call(SEED, index)
    if candidate:
        loop.body = [seed, body[0], body[1], body[2], _call(ANSWER, index, "test_env")]
    else:
        loop.body = [seed, body[0], _call(CHECK, index, "expected_result")]


def _is_case_assignment(node: ast.stmt) -> bool:
    return (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id == "generate_test_case"
            and ast.unparse(node.targets[0]) in ("test_input, expected_result",
                                                  "(test_input, expected_result)"))


def _is_env(node: ast.stmt) -> bool:
    return isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "test_env"


def _is_exec(node: ast.stmt) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name) and node.value.func.id == "exec")


def _call(name: str, *args: str) -> ast.Expr:
    return ast.Expr(ast.Call(ast.Name(name, ast.Load()),
                             [ast.Name(a, ast.Load()) for a in args], []))
