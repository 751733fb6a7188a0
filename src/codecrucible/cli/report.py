"""``crucible report``: runs side by side, exported as CSV, JSON Lines, an HTML page or an
EvalPlus samples file."""

from __future__ import annotations

from pathlib import Path

import typer

from codecrucible.cli.common import STORE_HELP, console, fail, out, store_path
from codecrucible.store import StoreError


def report(
    run_ids: list[str] = typer.Argument(None, help="Runs to compare (default: every run)."),
    store: Path | None = typer.Option(None, "--store", help=STORE_HELP),
    list_runs: bool = typer.Option(False, "--list", help="List the runs in the store."),
    csv_path: Path | None = typer.Option(None, "--csv", help="Write every candidate's "
                                         "verdicts, costs and scores here, one row each."),
    jsonl_path: Path | None = typer.Option(None, "--jsonl", help="The same as JSON Lines."),
    html_path: Path | None = typer.Option(
        None, "--html", help="Write a self-contained HTML page (opens offline): the runs by "
        "name with pass@1 per suite and cost, pass@1 against cost with one frontier per "
        "benchmark, pass@k curves, every judge's distribution, and each problem's candidates "
        "with their whole transcript (every round's prompt and raw answer)."),
    samples_path: Path | None = typer.Option(
        None, "--samples", help="Write one run's candidates as an EvalPlus samples file: one "
        "JSON line each, {\"task_id\", \"solution\"} with the whole program, which "
        "'crucible eval' and EvalPlus judge again."),
):
    """Compare runs side by side: pass@k per suite, statuses, tokens and time.

    Examples:

      crucible report --list

      crucible report 3f2a9c1b7d4e 8e1d0c2b5a6f

      crucible report 3f2a9c1b7d4e --csv scores.csv --jsonl scores.jsonl

      crucible report RUN_A RUN_B RUN_C --html report.html

      crucible report 3f2a9c1b7d4e --samples again.jsonl

      crucible eval again.jsonl -b humaneval+   # the same candidates, judged again
    """
    from codecrucible.report import summary as summaries
    from codecrucible.report import tables
    from codecrucible.store import Store
    path = store_path(store)
    if not path.is_file():
        fail(f"{path}: no such store (run 'crucible run' first, or pass --store)")
    try:
        db = Store(path)
        ids = run_ids or [r["id"] for r in db.runs()]
        reports = [summaries.summarize(db, run_id) for run_id in ids]
    except StoreError as err:
        fail(str(err))
    if samples_path is not None and len(reports) != 1:
        fail(f"--samples writes one run's candidates; name one run (got {len(reports)})")
    if list_runs or not reports:
        out.print(tables.run_list(reports))
        return
    out.print(tables.comparison(reports))
    for report in reports:
        if report.models:  # a run of several models: each one's share
            out.print(tables.model_table(report))
        if any(s.best for s in report.suites.values()):  # score problems: the best programs
            out.print(tables.best_table(report))
    for path in (csv_path, jsonl_path):
        if path is not None:
            rows = [dict(row, benchmark=r.benchmark,
                         model=r.config.get("model", ""),
                         strategy=r.config.get("strategy", ""),
                         run_created=summaries.iso_time(r.created))
                    for r in reports
                    for row in summaries.candidate_rows(db, db.run(r.run_id))[0]]
            count = summaries.write_candidates(rows, path)
            console.print(f"wrote {count} candidates to {path}")
    if html_path is not None:
        from codecrucible.report import html as report_html
        report_html.write(db, [r.run_id for r in reports], html_path)
        console.print(f"wrote {html_path} (self-contained; open it in any browser)")
    if samples_path is not None:
        count = summaries.write_samples(summaries.sample_rows(db, reports[0].run_id),
                                        samples_path)
        console.print(f"wrote {count} samples to {samples_path} (EvalPlus format)")
