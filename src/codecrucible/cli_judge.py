"""``crucible judge``: one program, every judge: its verdict in the sandbox and each score."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from codecrucible.benchmarks.data import DataError, resolve_data_dir
from codecrucible.cli import _DATA_HELP, _fail, app, out


@app.command()
def judge(
    path: Path = typer.Argument(..., help="A Python file holding the whole program."),
    benchmark: str = typer.Option(..., "-b", "--benchmark", help="The benchmark of the task."),
    task: str = typer.Option(..., "--task", help="The task the program solves."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help=_DATA_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead."),
):
    """Judge one program on one task: correctness in the sandbox, then every other judge.

    Examples:

      crucible judge solution.py -b humaneval+ --task HumanEval/12

      crucible judge solution.py -b mbpp+ --task Mbpp/2 --json
    """
    from codecrucible import benchmarks, calibrate, judges
    from codecrucible.calibrate import TimeLimits
    from codecrucible.efficiency import Efficiency, metric
    from codecrucible.judging import Judge
    from codecrucible.sandbox import REFERENCES, SandboxPool

    try:
        code = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        _fail(f"{path}: cannot be read ({err})")
    try:
        bench = benchmarks.get(benchmark)
        problems = {p.task_id: p for p in bench.load(resolve_data_dir(data_dir))}
    except DataError as err:
        _fail(str(err))
    if task not in problems:
        _fail(f"{bench.name} has no task {task!r}")
    problem = problems[task]
    missing = benchmarks.unavailable([problem])
    if missing:
        _fail(f"{task} cannot run here: {missing[task]}")
    sandbox = benchmarks.sandbox_config([problem])
    with SandboxPool(1, sandbox, role=REFERENCES, lazy=True) as references, \
            SandboxPool(1, sandbox) as pool:
        data_key = calibrate.data_key(*(spec.sha256 for spec in bench.files))
        tests = calibrate.calibrate([problem], references, data_key)
        if tests[task].error:
            _fail(f"{task} cannot be judged here: {tests[task].error}")
        referee = Judge({task: problem}, tests, pool, TimeLimits(), references=references)
        try:
            verdicts = referee.submit(task, code).result()
            passed = all(v.passed for v in verdicts.values())
            speed = Efficiency(referee, TimeLimits(), 1024).assess(task, code) if passed else {}
        finally:
            referee.close()
    assessment = judges.assess(judges.names(), [code])[0]
    assessment.scores.update(speed)
    if as_json:
        out.print_json(json.dumps({
            "task_id": task, "benchmark": bench.name,
            "verdicts": {suite: {"status": v.status.value, "tests_passed": v.tests_passed,
                                 "tests_total": v.tests_total, "first_failure": v.first_failure}
                         for suite, v in verdicts.items()},
            "scores": assessment.scores,
            "efficiency_metric": metric() if speed else None,
            "findings": [vars(f) for f in assessment.findings]}))
        return
    table = Table(title=f"{path.name} on {task}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for suite, v in verdicts.items():
        table.add_row(f"correctness ({suite})", f"{v.status.value} {v.tests_passed}/"
                                                f"{v.tests_total}")
    for name, value in sorted(assessment.scores.items()):
        table.add_row(name, f"{value:.3g}")
    out.print(table)
    if speed:
        out.print(f"efficiency: {metric()}; ratios are candidate / reference solution",
                  highlight=False)
    failure = next((v.first_failure for v in verdicts.values() if v.first_failure), None)
    if failure:
        out.print(f"first failure: {failure}", highlight=False, soft_wrap=True)
    if assessment.findings:
        found = Table(title="findings")
        for column in ("judge", "rule", "line", "severity", "CWE", "message"):
            found.add_column(column)
        for f in assessment.findings:
            found.add_row(f.judge, f.rule, str(f.line), f.severity or "",
                          f"CWE-{f.cwe}" if f.cwe else "", f.message)
        out.print(found)
