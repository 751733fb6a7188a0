"""HumanEval+ and MBPP+ (EvalPlus): base and plus inputs, contracts, per-task tolerance.

Expected outputs are computed by running the canonical solution in the sandbox (as EvalPlus
does), with the task's contract in front of it: an input that breaks the contract is not a
valid test and is dropped, and the count is reported by calibration.
"""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

from codecrucible.benchmarks.data import DataFile, locate
from codecrucible.benchmarks.humaneval import instruction_from_prompt
from codecrucible.benchmarks.jsonl import read_records
from codecrucible.benchmarks.mbppplus_inputs import restore_input_types
from codecrucible.records import Problem

_RELEASES = "https://github.com/evalplus/{repo}/releases/download/{version}/{name}"
HUMANEVAL_PLUS = DataFile(
    relpath="humanevalplus/HumanEvalPlus-v0.1.10.jsonl.gz",
    url=_RELEASES.format(repo="humanevalplus_release", version="v0.1.10",
                         name="HumanEvalPlus.jsonl.gz"),
    sha256="272720b90ac375502c8ed23cd791c2a93dfb22a911641a494da74a426c09f101")
MBPP_PLUS = DataFile(
    relpath="mbppplus/MbppPlus-v0.2.0.jsonl.gz",
    url=_RELEASES.format(repo="mbppplus_release", version="v0.2.0", name="MbppPlus.jsonl.gz"),
    sha256="af43697e8791c4c149bdfd6b489d8b5412507551ac20e28a439f650b8225db63")

_FIELDS = ("task_id", "prompt", "entry_point", "canonical_solution", "base_input",
           "plus_input", "atol")

# MBPP+ tasks whose answer is judged by a special oracle (facts from EvalPlus's evaluator).
_MBPP_ORACLES = {
    "similar_elements": "set", "find_char_long": "set", "common_in_nested_lists": "set",
    "extract_singly": "set", "larg_nnum": "set", "intersection_array": "set",
    "find_dissimilar": "set", "Diff": "set",
    "check_str": "not_none", "text_match_three": "not_none", "text_starta_endb": "not_none",
    "are_equivalent": "any", "sum_div": "or_zero", "surface_Area": "surface_area",
    "digit_distance_nums": "digit_distance",
}


class _EvalPlusRelease:
    """One EvalPlus release file: every record becomes a problem with base and plus inputs."""

    suites = ("base", "plus")
    files: tuple[DataFile, ...] = ()

    def load(self, data_dir: Path | None) -> list[Problem]:
        records = read_records(locate(self.files[0], data_dir), _FIELDS)
        return [self._problem(r) for r in records]  # each release reads its own records


class HumanEvalPlus(_EvalPlusRelease):
    name = "humaneval+"
    description = "HumanEval+ v0.1.10: HumanEval with 80x more tests (EvalPlus)"
    size = 164
    files = (HUMANEVAL_PLUS,)

    def _problem(self, r: dict) -> Problem:
        entry = r["entry_point"]
        return Problem(
            task_id=r["task_id"], benchmark=self.name, prompt=r["prompt"],
            instruction=instruction_from_prompt(r["prompt"], entry), entry_point=entry,
            reference=r["prompt"] + r.get("contract", "") + r["canonical_solution"],
            inputs={"base": [tuple(i) for i in r["base_input"]],
                    "plus": [tuple(i) for i in r["plus_input"]]},
            atol=float(r["atol"] or 0), oracle="poly" if entry == "find_zero" else "exact")


class MbppPlus(_EvalPlusRelease):
    name = "mbpp+"
    description = "MBPP+ v0.2.0: 378 sanitized MBPP tasks with 35x more tests (EvalPlus)"
    size = 378
    files = (MBPP_PLUS,)

    def _problem(self, r: dict) -> Problem:
        entry = r["entry_point"]
        inputs = {suite: [tuple(i) for i in restore_input_types(r["task_id"], r[f"{suite}_input"])]
                  for suite in ("base", "plus")}
        text = r["prompt"].strip().strip('"').strip()
        return Problem(
            task_id=r["task_id"], benchmark=self.name, prompt=r["prompt"],
            instruction=f"{text}\nWrite the function `{entry}` in a Python code block.\n",
            entry_point=entry,
            reference=_with_contract(r) if r.get("contract") else r["canonical_solution"],
            inputs=inputs, atol=float(r["atol"] or 0), oracle=_MBPP_ORACLES.get(entry, "exact"))


def _with_contract(record: dict) -> str:
    """MBPP+ contracts are asserts meant for the top of the entry function's body; they are
    re-indented to that body. A reference that would not compile keeps no contract."""
    solution = record["canonical_solution"]
    lines = solution.split("\n")
    head = next((n for n, line in enumerate(lines)
                 if line.lstrip().startswith(f"def {record['entry_point']}(")), None)
    if head is None:
        return solution
    body = next((n for n in range(head + 1, len(lines)) if lines[n].strip()
                 and lines[n - 1].rstrip().endswith(":")), None)
    if body is None:
        return solution
    indent = lines[body][:len(lines[body]) - len(lines[body].lstrip())]
    contract = textwrap.indent(textwrap.dedent(record["contract"].strip("\n")), indent)
    program = "\n".join(lines[:body] + [contract] + lines[body:])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the data's own invalid escapes are not our news
            compile(program, record["task_id"], "exec")  # compiling runs nothing
    except SyntaxError:
        return solution
    return program
