"""Every table the terminal shows, built from summaries and records; the CLI only prints them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from codecrucible.records import components_text
from codecrucible.report.names import run_names

if TYPE_CHECKING:
    from codecrucible.report.summary import (
        CostSummary,
        GroupSummary,
        JudgeSummary,
        RunSummary,
        SuiteSummary,
    )

# A breakdown with more groups (MTPB's 115 problems) stays in the JSON summary.
MAX_GROUPS_SHOWN = 12


def benchmarks(rows: list[tuple]) -> Table:
    """One row per benchmark: (name, problems, suites, data state, description)."""
    table = Table(title="Benchmarks")
    for column in ("name", "problems", "suites", "data", "description"):
        table.add_column(column)
    for name, size, suites, state, description in rows:
        style = "green" if state == "ok" else "yellow" if "not downloaded" in state else "red"
        table.add_row(name, str(size), "+".join(suites), f"[{style}]{escape(state)}[/]",
                      description)
    return table


def models(catalog, status_of) -> Table:
    """The embedded models, their size, state and where their bytes come from."""
    table = Table(title="embedded models (llama.cpp, GGUF; offline once installed)")
    table.add_column("model", no_wrap=True)
    table.add_column("size", no_wrap=True, justify="right")
    table.add_column("status")
    table.add_column("bytes from PyPI")
    for entry in catalog.values():
        state = status_of(entry)
        color = "green" if state.startswith("ready") else "red" if "differs" in state \
            else "yellow"
        size = f"{entry.size / 1e6:.0f} MB" if entry.size else "?"
        table.add_row(f"embedded:{entry.name}", size, f"[{color}]{escape(state)}[/]",
                      entry.source)
    return table


def layers(layers: dict[str, str]) -> Table:
    """The sandbox's isolation layers on this host and the state of each."""
    table = Table(title="sandbox isolation layers on this host")
    table.add_column("layer")
    table.add_column("state")
    for layer, state in layers.items():
        color = "green" if state.startswith("active") else "yellow"
        table.add_row(layer, f"[{color}]{escape(state)}[/]")
    return table


def summary_tables(report: RunSummary, per_problem: bool) -> list[Table]:
    """pass@k per suite, per group (when few enough to read), statuses and, on request, per
    problem."""
    suites = report.suites
    ks = sorted({k for s in suites.values() for k in s.pass_at_k},
                key=lambda k: int(k.split("@")[1]))
    table = Table(title=f"{report.benchmark} — run {report.run_id}")
    for column in ("suite", "problems", "samples", *ks):
        table.add_column(column, justify="left" if column == "suite" else "right")
    for name, suite in suites.items():
        table.add_row(name, str(suite.problems), str(suite.samples), *_percents(suite, ks))
    tables = [table, *_group_tables(suites, ks), _status_table(suites)]
    if any(s.best for s in suites.values()):
        tables.append(best_table(report))
    if report.judges:
        tables.append(judge_table(report.judges))
    if report.models:
        tables.append(model_table(report))
    if per_problem:
        tables.append(_problem_table(suites))
    return tables


def best_table(report: RunSummary) -> Table:
    """Score problems: each task's best-scored sample per suite, with the numbers its scorer
    found (``Verdict.components``)."""
    table = Table(title=f"best program per task — run {report.run_id}")
    for column in ("task", "suite", "sample", "score", "components"):
        table.add_column(column, justify="right" if column in ("sample", "score") else "left")
    for suite, s in report.suites.items():
        for task, best in (s.best or {}).items():
            table.add_row(task, suite, str(best.sample), f"{best.score:.6g}",
                          escape(components_text(best.components)))
    return table


def model_table(report: RunSummary) -> Table:
    """A run of several models, per model: what it was asked and what its samples achieved;
    the suites' table above is the best of them together."""
    table = Table(title=f"per model — run {report.run_id}")
    for column in ("model", "calls", "timeouts", "tokens in", "tokens out", "programs ran",
                   "samples", "passed", "best score"):
        if column == "model":  # a spec is one long word: folded, never cut short
            table.add_column(column, overflow="fold")
        else:
            table.add_column(column, justify="right")
    for spec, m in (report.models or {}).items():
        table.add_row(escape(spec), str(m.calls), str(m.timeouts), f"{m.tokens_in:,}",
                      f"{m.tokens_out:,}", str(m.programs_ran), str(m.candidates),
                      f"{m.passed} ({100 * m.pass_rate:.1f}%)",
                      "-" if m.best_score is None else f"{m.best_score:.6g}")
    return table


def judge_table(judges: JudgeSummary) -> Table:
    """Every judge score over the candidates the judges saw: mean, median and the spread."""
    table = Table(title=f"judges ({judges.candidates} candidates scored)")
    columns = ("score", "mean", "median", "10th %", "90th %", "min", "max")
    for column in columns:
        table.add_column(column, justify="left" if column == "score" else "right")
    for name, d in sorted(judges.scores.items()):
        table.add_row(name, *(f"{value:.3g}" for value in
                              (d.mean, d.median, d.p10, d.p90, d.min, d.max)))
    if judges.security:
        s = judges.security
        table.caption = (f"insecure: {100 * s.insecure_rate:.1f}% of candidates, "
                         f"{s.correct_and_insecure} of {s.correct} correct ones")
    return table


def _percents(results: SuiteSummary | GroupSummary, ks: list[str]) -> list[str]:
    return [f"{100 * results.pass_at_k.get(k, float('nan')):.1f}" for k in ks]


def _group_tables(suites: dict[str, SuiteSummary], ks: list[str]) -> list[Table]:
    tables = []
    for suite_name, suite in suites.items():
        for dimension, groups in suite.groups.items():
            if len(groups) > MAX_GROUPS_SHOWN:
                continue  # MTPB's 115 problems: in the JSON summary and --per-problem
            by = Table(title=f"{suite_name} by {dimension}")
            for column in (dimension, "problems", "samples", *ks):
                by.add_column(column, justify="left" if column == dimension else "right")
            for group, g in groups.items():
                by.add_row(group, str(g.problems), str(g.samples), *_percents(g, ks))
            tables.append(by)
    return tables


def _status_table(suites: dict[str, SuiteSummary]) -> Table:
    statuses = Table(title="samples by status")
    statuses.add_column("status")
    for name in suites:
        statuses.add_column(name, justify="right")
    for status in sorted({st for s in suites.values() for st in s.statuses}):
        statuses.add_row(status, *[str(s.statuses.get(status, 0)) for s in suites.values()])
    return statuses


def _problem_table(suites: dict[str, SuiteSummary]) -> Table:
    detail = Table(title="per problem")
    detail.add_column("problem")
    for name in suites:
        detail.add_column(f"{name} c/n", justify="right")
    problems = next(iter(suites.values())).per_problem
    for task in problems:
        detail.add_row(task, *[f"{s.per_problem[task].c}/{s.per_problem[task].n}"
                               for s in suites.values()])
    return detail


def run_list(reports: list[RunSummary]) -> Table:
    table = Table(title="runs")
    for column in ("run", "name", "kind", "benchmark", "model / samples", "created",
                   "finished"):
        table.add_column(column)
    names = run_names(reports)
    for r in reports:
        what = r.config.get("model") or r.config.get("samples", "")
        table.add_row(r.run_id, escape(names[r.run_id]), r.kind, r.benchmark, str(what),
                      time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created)),
                      "yes" if r.finished else "no (resume it)")
    return table


def comparison(reports: list[RunSummary]) -> Table:
    """The runs side by side: one column per run, one row per measure any of them has."""
    table = Table(title="runs side by side")
    table.add_column("")
    names = run_names(reports)
    for r in reports:
        # the id whole however narrow the terminal: a user copies it into the next command
        table.add_column(f"{escape(names[r.run_id])}\n{r.run_id}", justify="right",
                         min_width=len(r.run_id), overflow="fold")
    rows: dict[str, list[str]] = {}
    for i, r in enumerate(reports):
        for label, value in _comparison_cells(r):
            rows.setdefault(label, [""] * len(reports))[i] = value
    for label, values in rows.items():
        table.add_row(label, *values)
    return table


def _comparison_cells(r: RunSummary) -> Iterator[tuple[str, str]]:
    config = r.config
    yield "benchmark", r.benchmark
    yield "model", str(config.get("model", "(samples file)"))
    if r.kind == "run":
        sampling = config["sampling"]
        yield "strategy", config["strategy"] + (f" x{config['budget']['rounds']}"
                                                if config["budget"]["rounds"] else "")
        yield "samples, temperature", f"{sampling['n']}, {sampling['temperature']}"
    for suite, s in r.suites.items():
        yield from _suite_cells(suite, s)
    if r.usage:
        yield "model calls", f"{r.usage.calls:,}"
        yield "tokens in / out", f"{r.usage.tokens_in:,} / {r.usage.tokens_out:,}"
        yield "model time", f"{r.usage.model_s:.0f} s"
    if r.cost and r.cost.solved:
        yield from _cost_cells(r.cost)
    if r.judges:
        for name, d in sorted(r.judges.scores.items()):
            yield f"{name} (median)", f"{d.median:.3g}"
    if r.skipped:
        yield "skipped (module missing)", str(len(r.skipped))
    if r.finished:
        yield "wall time", f"{r.finished - r.created:.0f} s"


def _suite_cells(suite: str, s: SuiteSummary) -> Iterator[tuple[str, str]]:
    for k, value in s.pass_at_k.items():
        yield f"{suite} {k}", f"{100 * value:.1f}"
    for dimension, groups in s.groups.items():
        if len(groups) > MAX_GROUPS_SHOWN:
            continue  # (MTPB's 115 problems): in the JSON summary, not the table
        for group, g in groups.items():
            yield (f"{suite} {dimension} {group} pass@1 (n)",
                   f"{100 * g.pass_at_k.get('pass@1', float('nan')):.1f} ({g.problems})")
    for status, count in sorted(s.statuses.items()):
        yield f"{suite} {status}", str(count)


def _cost_cells(spent: CostSummary) -> Iterator[tuple[str, str]]:
    yield "solved problems", f"{spent.solved} of {spent.problems}"
    yield "tokens per solved problem", f"{spent.tokens_out_per_solved:,.0f} out"
    yield "seconds per solved problem", f"{spent.seconds_per_solved:.1f}"
    if spent.usd_per_solved is not None:
        yield "USD per solved problem", f"{spent.usd_per_solved:.4f}"
    yield ("energy per solved problem", f"{spent.energy_j_per_solved:.0f} J"
           if spent.energy_j_per_solved is not None else "not measured")


def program_scores(title: str, verdicts: dict, scores: dict[str, float]) -> Table:
    """One program's verdict per suite (a score problem's score and the components that
    explain it too) and every judge's score."""
    table = Table(title=title)
    table.add_column("measure")
    table.add_column("value", justify="right")
    for suite, v in verdicts.items():
        table.add_row(f"correctness ({suite})", f"{v.status.value} {v.tests_passed}/"
                                                f"{v.tests_total}")
        if v.score is not None:
            table.add_row(f"score ({suite})", f"{v.score:.6g}")
        for name, value in (v.components or {}).items():
            table.add_row(f"  {name}", f"{value:.6g}")
    for name, value in sorted(scores.items()):
        table.add_row(name, f"{value:.3g}")
    return table


def findings(found: list) -> Table:
    """The judges' findings: lint rules and security issues, with their lines."""
    table = Table(title="findings")
    for column in ("judge", "rule", "line", "severity", "CWE", "message"):
        table.add_column(column)
    for f in found:
        table.add_row(f.judge, f.rule, str(f.line), f.severity or "",
                      f"CWE-{f.cwe}" if f.cwe else "", f.message)
    return table
