"""``crucible eval``: referee a samples file written by any tool."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.progress import Progress

from codecrucible.benchmarks.data import DataError, resolve_data_dir
from codecrucible.cli.common import (
    DATA_HELP,
    STORE_HELP,
    PlainProgress,
    console,
    fail,
    megabytes,
    out,
    print_skipped,
    print_unjudgeable,
    progress,
    store_path,
)
from codecrucible.correctness.expected import TimeLimits
from codecrucible.runs.samples import SampleError
from codecrucible.store import StoreError


def eval_command(
    samples: Path = typer.Argument(..., help="Samples as JSONL (plain or .gz): task_id with "
                                   "'solution' (EvalPlus) or 'completion' (human-eval)."),
    benchmark: str = typer.Option(..., "-b", "--benchmark", help="Benchmark name (see "
                                  "'crucible benchmarks')."),
    resume: bool = typer.Option(False, "--resume", help="Continue the latest run of this file "
                                "and benchmark; judge only what it lacks."),
    store: Path | None = typer.Option(None, "--store", help=STORE_HELP),
    data_dir: Path | None = typer.Option(None, "--data-dir", help=DATA_HELP),
    summary: Path | None = typer.Option(None, "--summary", help="Write a JSON summary here."),
    details: Path | None = typer.Option(None, "--details", help="Write one JSON line per "
                                           "sample and suite (status, tests passed/total)."),
    per_problem: bool = typer.Option(False, "--per-problem", help="Print a row per problem."),
    jobs: int | None = typer.Option(None, "-j", "--jobs", help="Sandbox slots (default: "
                                       "one per core)."),
    floor: float = typer.Option(0.25, help="Per-test time limit floor for base tests, seconds."),
    plus_floor: float = typer.Option(1.0, help="Per-test time limit floor for plus tests "
                                     "(EvalPlus's large inputs), seconds."),
    multiple: float = typer.Option(4.0, help="Per-test limit = floor + MULTIPLE x the "
                                   "reference solution's time on this host."),
    load: float = typer.Option(1.0, help="Seconds allowed for loading the program (its "
                               "imports and top-level code), before the first test."),
    memory: str = typer.Option("1G", help="Memory limit per program, e.g. 512M or 2G."),
    all_tests: bool = typer.Option(False, "--all-tests", help="Run every test even after a "
                                   "wrong answer, so tests_passed counts them all, and give "
                                   "every program its full evaluation, past any cheap stage "
                                   "(slower)."),
    dedupe: bool = typer.Option(True, "--dedupe/--no-dedupe", help="Run each distinct program "
                                "of a task once and give its copies (the same text up to "
                                "trailing whitespace and line endings) its verdict, marked "
                                "shared_from in --details. --no-dedupe runs every copy: the "
                                "way to see a flaky or time-limited program's verdicts vary."),
):
    """Referee samples written by any tool; print pass@k per suite.

    Examples:

      crucible eval samples.jsonl -b humaneval+

      crucible eval samples.jsonl -b humaneval+ --resume --details verdicts.jsonl
    """
    from codecrucible.report import summary as summaries
    from codecrucible.report import tables
    from codecrucible.runs import from_samples as evaluate
    from codecrucible.store import Store
    if not samples.is_file():
        fail(f"{samples}: no such file")
    try:
        directory = resolve_data_dir(data_dir)
        db = Store(store_path(store))
        with progress() as bar:
            result = evaluate.evaluate(
                samples, benchmark, db, data_dir=directory, resume=resume,
                limits=TimeLimits(floor, plus_floor, multiple, load),
                memory_mb=megabytes(memory), slots=jobs,
                all_tests=all_tests, dedupe=dedupe, progress=_bar_callbacks(bar))
    except (DataError, SampleError, StoreError) as err:
        fail(str(err))
    except KeyboardInterrupt:
        print(f"interrupted: every verdict so far is in {db.path}; finish with the same "
              "command and --resume", file=sys.stderr)
        raise typer.Exit(130) from None
    print_skipped(result.skipped)
    print_unjudgeable(result.unjudgeable)
    report = summaries.summarize(db, result.run_id)
    for table in tables.summary_tables(report, per_problem):
        out.print(table)
    if dedupe:
        console.print(f"{result.judged_now - result.shared} distinct programs of "
                      f"{result.judged_now} samples judged now: each copy shares its first's "
                      "verdict (--no-dedupe runs every copy)")
    if result.resumed:
        console.print(f"resumed run {result.run_id}: {result.already_judged} samples were "
                      f"already judged, {result.judged_now} judged now")
    if summary:
        summaries.write_summary(report, summary)
    if details:
        summaries.write_details(db, result.run_id, details)
    db.close()


def _bar_callbacks(bar: Progress | PlainProgress):
    from codecrucible.runs.from_samples import Progress as Callbacks
    state = {"task": None, "done": 0, "passed": 0}

    def phase(name: str, total: int) -> None:
        state.update(task=bar.add_task(name, total=total, rate=""), done=0, passed=0)

    def advance(passed: bool) -> None:
        state["done"] += 1
        state["passed"] += passed
        bar.update(state["task"], advance=1,
                   rate=f"{100 * state['passed'] / state['done']:.1f}% pass")

    return Callbacks(phase=phase, advance=advance)
