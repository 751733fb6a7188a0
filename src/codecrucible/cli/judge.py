"""``crucible judge``: one program, every judge: its verdict in the sandbox and each score."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from codecrucible.benchmarks.data import DataError, resolve_data_dir
from codecrucible.cli.common import DATA_HELP, fail, out


def judge(
    path: Path = typer.Argument(..., help="A Python file holding the whole program."),
    benchmark: str = typer.Option(..., "-b", "--benchmark", help="The benchmark of the task."),
    task: str = typer.Option(..., "--task", help="The task the program solves."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help=DATA_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead."),
):
    """Referee one program on one task: correctness in the sandbox, then every other judge.

    Examples:

      crucible judge solution.py -b humaneval+ --task HumanEval/12

      crucible judge solution.py -b mbpp+ --task Mbpp/2 --json

      crucible judge policy.py -b games --task Games/baba
    """
    from codecrucible.report import tables
    from codecrucible.runs.one_program import judge_program

    try:
        code = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        fail(f"{path}: cannot be read ({err})")
    try:
        result = judge_program(code, benchmark, task, resolve_data_dir(data_dir))
    except DataError as err:
        fail(str(err))
    verdicts, assessment = result.verdicts, result.assessment
    if as_json:
        out.print_json(json.dumps({
            "task_id": task, "benchmark": benchmark,
            "verdicts": {suite: {"status": v.status.value, "tests_passed": v.tests_passed,
                                 "tests_total": v.tests_total, "first_failure": v.first_failure,
                                 "score": v.score, "components": v.components}
                         for suite, v in verdicts.items()},
            "scores": assessment.scores,
            "efficiency_metric": result.efficiency_metric,
            "findings": [vars(f) for f in assessment.findings]}))
        return
    out.print(tables.program_scores(f"{path.name} on {task}", verdicts, assessment.scores))
    if result.efficiency_metric:
        out.print(f"efficiency: {result.efficiency_metric}; ratios are candidate / reference "
                  "solution", highlight=False)
    failure = next((v.first_failure for v in verdicts.values() if v.first_failure), None)
    if failure:
        out.print(f"first failure: {failure}", highlight=False, soft_wrap=True)
    if assessment.findings:
        out.print(tables.findings(assessment.findings))
