"""DS-1000 (Lai et al., ICML 2023): 1000 data-science problems over seven Python libraries.

Each problem is a StackOverflow question turned into code with a slot for the solution. The
model writes the code that goes into the slot; the benchmark's own ``code_context`` checks it:
its ``test_execution(solution)`` puts the solution into an execution context, runs it on
generated inputs and asserts the result (``test_string(solution)``, where a problem has one,
checks the solution's text too). The context is split (``ds1000_split``): the candidate's
program (``Problem.harness``, with the candidate's code as a string literal in it) computes
the inputs and runs the solution, without the reference solution or the checker, and sends
back each result as data; the checker (``Problem.checker``) recomputes inputs and expected
results and judges those results in a process of its own (``checking.py``).

A context whose own ``exec_context`` asserts after the solution (four problems: files the
solution must write, a function's output) checks inside the candidate's program, where no
process apart from it can repeat the check: such a problem is reported as unjudgeable.

The libraries a problem imports are listed in ``metadata["requires"]``; a run skips the
problems whose libraries are not installed and says how many, instead of failing them
(``pip install 'codecrucible[ds1000]'`` installs CPU builds of all seven).
"""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

from codecrucible.benchmarks import ds1000_split
from codecrucible.benchmarks.data import DataFile, locate
from codecrucible.benchmarks.jsonl import read_records
from codecrucible.records import SOLUTION_SLOT, Problem

DS1000_FILE = DataFile(
    relpath="ds1000/ds1000.jsonl.gz",
    url="https://github.com/xlang-ai/DS-1000/raw/main/data/ds1000.jsonl.gz",
    sha256="e8c6daa9d7223976bce0296644f3933f78d7f47830669ff05cd61da62c6ba9b3")
LIBRARIES = ("Pandas", "Numpy", "Matplotlib", "Sklearn", "Scipy", "Pytorch", "Tensorflow")
# A base model's solution ends where the prompt's template closes the solution block.
STOPS = ("</code>", "# SOLUTION END", "\nEND SOLUTION")
CHAT_ASK = ("\nWrite only the code that goes in place of the solution (after BEGIN SOLUTION or "
            "SOLUTION START), without repeating the code above it, in one Python code block.\n")
_FIELDS = ("prompt", "reference_code", "code_context", "metadata")


class Ds1000:
    name = "ds1000"
    description = ("DS-1000: 1000 data-science problems over Pandas, NumPy, Matplotlib, "
                   "Scikit-learn, SciPy, PyTorch and TensorFlow, checked by their own code")
    size = 1000
    suites = ("base",)
    files = (DS1000_FILE,)

    def load(self, data_dir: Path | None) -> list[Problem]:
        return [problem(r) for r in read_records(locate(DS1000_FILE, data_dir), _FIELDS)]


def problem(record: dict) -> Problem:
    meta = record["metadata"]
    context = record["code_context"]
    harness = checker = None
    unjudgeable = None
    try:
        harness = (ds1000_split.candidate_side(context)
                   + f"\n_solution = {SOLUTION_SLOT}\ntest_execution(_solution)\n")
        checker = ds1000_split.checker_side(context)
        cases = ds1000_split.case_count(context)
        if ds1000_split.asserts_after_slot(context):
            unjudgeable = ("its checks are assertions inside the program the candidate runs "
                           "(exec_context), which no process apart from it can repeat")
    except ds1000_split.Unsplittable as err:
        unjudgeable, cases = f"its code_context cannot be split: {err}", 0
    instruction = record["prompt"].rstrip()
    if instruction.endswith("<code>"):
        instruction = instruction[:-len("<code>")].rstrip()
    setup = _code_in_prompt(record["prompt"])
    return Problem(
        task_id=f"DS1000/{meta['problem_id']}", benchmark="ds1000", prompt=record["prompt"],
        instruction=instruction + "\n" + CHAT_ASK, entry_point="",
        reference=record["reference_code"], check="checked", harness=harness, checker=checker,
        metadata={"library": meta["library"], "library_problem_id": meta["library_problem_id"],
                  "groups": {"library": meta["library"],
                             "perturbation": meta["perturbation_type"]},
                  "stops": STOPS, "setup": setup, "slot_function": _slot_function(setup),
                  "cases": cases, "unjudgeable": unjudgeable,
                  "string_test": ds1000_split.has_string_test(context),
                  "plot": "output.png" in context,
                  "requires": sorted(imported_modules(context) | imported_modules(setup))})


def imported_modules(code: str) -> set[str]:
    """The top-level packages ``code`` imports (at any depth: ``exec_context`` strings too)."""
    found: set[str] = set()
    sources = [code]
    while sources:
        try:
            with warnings.catch_warnings():  # the data's own "\s" escapes, not ours to fix
                warnings.simplefilter("ignore", SyntaxWarning)
                warnings.simplefilter("ignore", DeprecationWarning)
                tree = ast.parse(sources.pop())
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and "import " in node.value:
                sources.append(node.value)
    return found


def _slot_function(setup: str) -> str | None:
    """The function whose body is the solution's slot, when the prompt ends inside one
    (``def f(x=example_x):`` followed by indented comments)."""
    last_def = None
    for line in setup.rstrip().split("\n"):
        if line.startswith("def "):
            last_def = line[4:].split("(")[0].strip()
        elif line.strip() and not line[:1].isspace():
            last_def = None
    return last_def


def _code_in_prompt(prompt: str) -> str:
    """The setup code a prompt shows between ``<code>`` tags, where the solution will run."""
    parts = prompt.split("<code>")
    return "\n".join(part.split("</code>")[0] for part in parts[1:])
