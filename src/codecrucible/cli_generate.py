"""The generating commands: ``crucible run``, ``crucible models`` and ``crucible report``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer
from rich.progress import Progress
from rich.table import Table

from codecrucible.benchmarks.data import DataError, resolve_data_dir
from codecrucible.cli import (
    _DATA_HELP,
    _STORE_HELP,
    MAX_GROUPS_SHOWN,
    _fail,
    _megabytes,
    _print_skipped,
    _print_summary,
    _print_unjudgeable,
    _progress,
    _store_path,
    app,
    console,
    out,
)
from codecrucible.store import StoreError

_MODEL_HELP = ("embedded:NAME (see 'crucible models'), gguf:PATH[#sha256=HEX], "
               "openai:URL#MODEL or hf:PATH.")


@app.command()
def run(
    model: str = typer.Option("embedded:qwen2.5-coder-0.5b", "-m", "--model", help=_MODEL_HELP),
    benchmark: str = typer.Option("humaneval", "-b", "--benchmark",
                                  help="Benchmark name (see 'crucible benchmarks')."),
    strategy: str = typer.Option("single", "-s", "--strategy",
                                 help="single: n independent samples. repair: a failing "
                                      "candidate's test or error goes back to the model. "
                                      "multiturn: the program is written turn by turn "
                                      "(mtpb)."),
    rounds: int | None = typer.Option(None, "--rounds", help="Repair rounds after the first "
                                      "attempt (repair only; default 3)."),
    samples: int = typer.Option(1, "-n", "--samples", help="Samples per problem."),
    temperature: float = typer.Option(0.0, "-t", "--temperature", help="0 is greedy."),
    top_p: float = typer.Option(0.95, "--top-p", help="Nucleus sampling mass (T > 0)."),
    max_tokens: int = typer.Option(768, "--max-tokens", help="Tokens per answer (mtpb and "
                                   "ds1000 use their own budgets: MTPB's per turn, summed for "
                                   "a single-turn answer)."),
    seed: int = typer.Option(0, "--seed", help="Base seed; each sample derives its own."),
    concurrency: int = typer.Option(8, "--concurrency", help="Requests in flight to an "
                                    "OpenAI-compatible server."),
    context: int = typer.Option(4096, "--context", help="Context size (llama.cpp)."),
    threads: int | None = typer.Option(None, "--threads", help="Model threads (default: "
                                       "all cores)."),
    prompt_style: str = typer.Option("auto", "--prompt-style", help="auto, chat (instruct "
                                     "models) or completion (base models)."),
    request_timeout: float = typer.Option(600.0, "--request-timeout", help="Seconds per "
                                          "request to a server."),
    limit: int | None = typer.Option(None, "--limit", help="Only the first N problems."),
    task: list[str] = typer.Option([], "--task", help="Only this task id or pattern "
                                   "(repeatable), e.g. HumanEval/0 or 'MTPB/*/0'."),
    libraries: str | None = typer.Option(None, "--libraries", help="ds1000 only: "
                                         "comma-separated libraries, e.g. numpy,pandas."),
    judges: str = typer.Option("none", "--judges", help="Judges beyond correctness for every "
                               "candidate: all, none, or a list of efficiency, "
                               "maintainability, style, security."),
    resume: str | None = typer.Option(None, "--resume", metavar="RUN_ID",
                                      help="Continue an interrupted run with its own settings."),
    store: Path | None = typer.Option(None, "--store", help=_STORE_HELP),
    data_dir: Path | None = typer.Option(None, "--data-dir", help=_DATA_HELP),
    jobs: int | None = typer.Option(None, "-j", "--jobs", help="Sandbox slots (default: one "
                                    "per core)."),
    memory: str = typer.Option("1G", help="Memory limit per program, e.g. 512M or 2G."),
    summary: Path | None = typer.Option(None, "--summary", help="Write a JSON summary here."),
    per_problem: bool = typer.Option(False, "--per-problem", help="Print a row per problem."),
):
    """Generate with a model, judge in the sandbox, print pass@k; everything lands in the store.

    Examples:

      crucible run                      (embedded default model, HumanEval, greedy)

      crucible run -m embedded:qwen2.5-coder-1.5b -b humaneval+ -s repair --rounds 3 -n 5 -t 0.8

      crucible run -m openai:http://127.0.0.1:8000/v1#qwen -b mbpp+ --concurrency 8

      crucible run -b mtpb -s multiturn     (turn by turn, as in the CodeGen paper)

      crucible run -b ds1000 --libraries numpy,pandas

      crucible run -b humaneval+ --judges all

      crucible run --resume 3f2a9c1b7d4e
    """
    from codecrucible import run as runs
    from codecrucible import summary as summaries
    from codecrucible.models import ModelError, ModelOptions
    from codecrucible.store import Store
    from codecrucible.strategies import Budget, Sampling
    if prompt_style not in ("auto", "chat", "completion"):
        _fail(f"--prompt-style {prompt_style!r}: expected auto, chat or completion")
    if strategy == "repair" and rounds is None:
        rounds = 3
    config = runs.RunConfig(
        model=model, benchmark=benchmark, strategy=strategy,
        sampling=Sampling(samples, temperature, top_p, max_tokens, seed),
        budget=Budget(rounds or 0),
        model_options=ModelOptions(context, threads, concurrency, request_timeout,
                                   prompt_style=prompt_style),
        memory_mb=_megabytes(memory), tasks=tuple(task), limit=limit,
        libraries=tuple(x.strip() for x in (libraries or "").split(",") if x.strip()),
        judges=_judges(judges))
    db = None
    started = time.monotonic()
    try:
        directory = resolve_data_dir(data_dir)
        db = Store(_store_path(store))
        with _progress() as bar:
            result = runs.start(config, db, data_dir=directory, resume_id=resume,
                                progress=_run_callbacks(bar), slots=jobs)
    except (DataError, StoreError, ModelError, runs.RunError) as err:
        _fail(str(err))
    except KeyboardInterrupt as err:
        run_id = getattr(err, "run_id", None)
        if run_id is None:
            print("interrupted before the run started; nothing was recorded", file=sys.stderr)
        else:
            print(f"interrupted: every judged sample is in {db.path}; continue with "
                  f"'crucible run --resume {run_id} --store {db.path}'", file=sys.stderr)
        raise typer.Exit(130) from None
    _print_unjudgeable(result.unjudgeable)
    _print_skipped(result.skipped)
    report = summaries.summarize(db, result.run_id)
    _print_summary(report, per_problem)
    _print_usage(report["usage"], time.monotonic() - started, result.meter)
    if result.resumed:
        console.print(f"resumed run {result.run_id}: {result.samples_before} samples were "
                      f"already judged, {result.samples_now} generated now")
    console.print(f"run {result.run_id} is in {db.path}", soft_wrap=True)
    if summary:
        summaries.write_summary(report, summary)
    db.close()


def _judges(text: str) -> tuple[str, ...]:
    from codecrucible import judges
    try:
        return judges.parse_selection(text)
    except ValueError as err:
        _fail(f"--judges: {err}")


def _print_usage(usage: dict, wall_s: float, meter: dict) -> None:
    rate = meter["tokens_out"] / meter["model_s"] if meter["model_s"] else 0.0
    out.print(f"model calls {usage['calls']} ({usage['cache_hits']} from the cache), tokens in "
              f"{usage['tokens_in']:,}, out {usage['tokens_out']:,}; this session: model time "
              f"{meter['model_s']:.1f} s, {rate:.1f} tokens/s, wall {wall_s:.1f} s",
              highlight=False, soft_wrap=True)


def _run_callbacks(bar: Progress):
    from codecrucible.run import RunProgress
    state = {"task": None, "samples": 0, "passed": 0}

    def phase(name: str, total: int) -> None:
        if state["task"] is not None:
            bar.remove_task(state["task"])
        state["task"] = bar.add_task(name, total=total or None, rate="")

    def problem_done(candidates, meter: dict) -> None:
        state["samples"] += len(candidates)
        state["passed"] += sum(c.final.passed for c in candidates)
        speed = meter["tokens_out"] / meter["model_s"] if meter["model_s"] else 0.0
        bar.update(state["task"], advance=1,
                   rate=f"{100 * state['passed'] / state['samples']:.1f}% pass, "
                        f"{speed:.0f} tok/s")

    return RunProgress(phase=phase, problem_done=problem_done)


@app.command()
def models():
    """List the embedded models: size, where their bytes come from, sha256 status.

    Any GGUF file (gguf:PATH), OpenAI-compatible server (openai:URL#MODEL) and transformers
    checkpoint (hf:PATH) can be used too.
    """
    from codecrucible.models.llama import CATALOG, model_status
    table = Table(title="embedded models (llama.cpp, GGUF Q4_K_M; offline once installed)")
    table.add_column("model", no_wrap=True)
    table.add_column("size", no_wrap=True, justify="right")
    table.add_column("status")
    table.add_column("bytes from PyPI")
    for entry in CATALOG.values():
        state = model_status(entry)
        color = "green" if state.startswith("ready") else "red" if "differs" in state \
            else "yellow"
        size = f"{entry.size / 1e6:.0f} MB" if entry.size else "?"
        table.add_row(f"embedded:{entry.name}", size, f"[{color}]{state}[/]",
                      f"{entry.package_prefix}1..{entry.parts}=={entry.version}")
    out.print(table)
    out.print(f"files live in {CATALOG[next(iter(CATALOG))].path.parent}")


@app.command()
def report(
    run_ids: list[str] = typer.Argument(None, help="Runs to compare (default: every run)."),
    store: Path | None = typer.Option(None, "--store", help=_STORE_HELP),
    list_runs: bool = typer.Option(False, "--list", help="List the runs in the store."),
    csv_path: Path | None = typer.Option(None, "--csv", help="Write every candidate's "
                                         "verdicts, costs and scores here, one row each."),
    jsonl_path: Path | None = typer.Option(None, "--jsonl", help="The same as JSON Lines."),
    html_path: Path | None = typer.Option(None, "--html", help="Write a self-contained HTML "
                                          "page: the runs, pass@1 against cost, every judge's "
                                          "distribution and each problem's programs."),
):
    """Compare runs side by side: pass@k per suite, statuses, tokens and time.

    Examples:

      crucible report --list

      crucible report 3f2a9c1b7d4e 8e1d0c2b5a6f

      crucible report 3f2a9c1b7d4e --csv scores.csv --jsonl scores.jsonl

      crucible report RUN_A RUN_B RUN_C --html report.html
    """
    from codecrucible import summary as summaries
    from codecrucible.store import Store
    path = _store_path(store)
    if not path.is_file():
        _fail(f"{path}: no such store (run 'crucible run' first, or pass --store)")
    try:
        db = Store(path)
        ids = run_ids or [r["id"] for r in db.runs()]
        reports = [summaries.summarize(db, run_id) for run_id in ids]
    except StoreError as err:
        _fail(str(err))
    if list_runs or not reports:
        _print_run_list(reports)
        return
    out.print(_comparison(reports))
    for path in (csv_path, jsonl_path):
        if path is not None:
            rows = [dict(row, benchmark=r["benchmark"],
                         model=r["config"].get("model", ""),
                         strategy=r["config"].get("strategy", ""))
                    for r in reports
                    for row in summaries.candidate_rows(db, db.run(r["run_id"]))[0]]
            count = summaries.write_candidates(rows, path)
            console.print(f"wrote {count} candidates to {path}")
    if html_path is not None:
        from codecrucible import report_html
        report_html.write(db, [r["run_id"] for r in reports], html_path)
        console.print(f"wrote {html_path} (self-contained; open it in any browser)")


def _print_run_list(reports: list[dict]) -> None:
    table = Table(title="runs")
    for column in ("run", "kind", "benchmark", "model / samples", "created", "finished"):
        table.add_column(column)
    for r in reports:
        what = r["config"].get("model") or r["config"].get("samples", "")
        table.add_row(r["run_id"], r["kind"], r["benchmark"], str(what),
                      time.strftime("%Y-%m-%d %H:%M", time.localtime(r["created"])),
                      "yes" if r["finished"] else "no (resume it)")
    out.print(table)


def _comparison(reports: list[dict]) -> Table:
    table = Table(title="runs side by side")
    table.add_column("")
    for r in reports:
        table.add_column(r["run_id"], justify="right")
    rows: dict[str, list[str]] = {}

    def put(label: str, index: int, value: str) -> None:
        rows.setdefault(label, [""] * len(reports))[index] = value

    for i, r in enumerate(reports):
        config = r["config"]
        put("benchmark", i, r["benchmark"])
        put("model", i, str(config.get("model", "(samples file)")))
        if r["kind"] == "run":
            sampling = config["sampling"]
            put("strategy", i, config["strategy"] + (f" x{config['budget']['rounds']}"
                                                     if config["budget"]["rounds"] else ""))
            put("samples, temperature", i, f"{sampling['n']}, {sampling['temperature']}")
        for suite, s in r["suites"].items():
            for k, value in s["pass_at_k"].items():
                put(f"{suite} {k}", i, f"{100 * value:.1f}")
            for dimension, groups in s.get("groups", {}).items():
                if len(groups) > MAX_GROUPS_SHOWN:
                    continue  # (MTPB's 115 problems): in the JSON summary, not the table
                for group, g in groups.items():
                    put(f"{suite} {dimension} {group} pass@1 (n)", i,
                        f"{100 * g['pass_at_k'].get('pass@1', float('nan')):.1f} "
                        f"({g['problems']})")
            for status, count in sorted(s["statuses"].items()):
                put(f"{suite} {status}", i, str(count))
        usage = r.get("usage")
        if usage:
            put("model calls", i, f"{usage['calls']:,}")
            put("tokens in / out", i, f"{usage['tokens_in']:,} / {usage['tokens_out']:,}")
            put("model time", i, f"{usage['model_s']:.0f} s")
        spent = r.get("cost")
        if spent and spent.get("solved"):
            put("solved problems", i, f"{spent['solved']} of {spent['problems']}")
            put("tokens per solved problem", i, f"{spent['tokens_out_per_solved']:,.0f} out")
            put("seconds per solved problem", i, f"{spent['seconds_per_solved']:.1f}")
            if spent.get("usd_per_solved") is not None:
                put("USD per solved problem", i, f"{spent['usd_per_solved']:.4f}")
            put("energy per solved problem", i, f"{spent['energy_j_per_solved']:.0f} J"
                if spent.get("energy_j_per_solved") is not None else "not measured")
        if r.get("skipped"):
            put("skipped (module missing)", i, str(len(r["skipped"])))
        if r["finished"]:
            put("wall time", i, f"{r['finished'] - r['created']:.0f} s")
    for label, values in rows.items():
        table.add_row(label, *values)
    return table
