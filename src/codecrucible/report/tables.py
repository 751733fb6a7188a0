"""Every table the terminal shows, built from summaries and records; the CLI only prints them."""

from __future__ import annotations

import time

from rich.table import Table

# A breakdown with more groups (MTPB's 115 problems) stays in the JSON summary.
MAX_GROUPS_SHOWN = 12


def benchmarks(rows: list[tuple]) -> Table:
    """One row per benchmark: (name, problems, suites, data state, description)."""
    table = Table(title="Benchmarks")
    for column in ("name", "problems", "suites", "data", "description"):
        table.add_column(column)
    for name, size, suites, state, description in rows:
        style = "green" if state == "ok" else "yellow" if "not downloaded" in state else "red"
        table.add_row(name, str(size), "+".join(suites), f"[{style}]{state}[/]", description)
    return table


def models(catalog, status_of) -> Table:
    """The embedded models, their size, state and where their bytes come from."""
    table = Table(title="embedded models (llama.cpp, GGUF Q4_K_M; offline once installed)")
    table.add_column("model", no_wrap=True)
    table.add_column("size", no_wrap=True, justify="right")
    table.add_column("status")
    table.add_column("bytes from PyPI")
    for entry in catalog.values():
        state = status_of(entry)
        color = "green" if state.startswith("ready") else "red" if "differs" in state \
            else "yellow"
        size = f"{entry.size / 1e6:.0f} MB" if entry.size else "?"
        table.add_row(f"embedded:{entry.name}", size, f"[{color}]{state}[/]",
                      f"{entry.package_prefix}1..{entry.parts}=={entry.version}")
    return table


def layers(layers: dict[str, str]) -> Table:
    """The sandbox's isolation layers on this host and the state of each."""
    table = Table(title="sandbox isolation layers on this host")
    table.add_column("layer")
    table.add_column("state")
    for layer, state in layers.items():
        color = "green" if state.startswith("active") else "yellow"
        table.add_row(layer, f"[{color}]{state}[/]")
    return table


def summary_tables(report: dict, per_problem: bool) -> list[Table]:
    """pass@k per suite, per group (when few enough to read), statuses and, on request, per
    problem."""
    tables = []
    suites = report["suites"]
    table = Table(title=f"{report['benchmark']} — run {report['run_id']}")
    ks = sorted({k for s in suites.values() for k in s["pass_at_k"]},
                key=lambda k: int(k.split("@")[1]))
    for column in ("suite", "problems", "samples", *ks):
        table.add_column(column, justify="left" if column == "suite" else "right")
    for name, suite in suites.items():
        table.add_row(name, str(suite["problems"]), str(suite["samples"]),
                      *[f"{100 * suite['pass_at_k'].get(k, float('nan')):.1f}" for k in ks])
    tables.append(table)
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
            tables.append(by)
    statuses = Table(title="samples by status")
    statuses.add_column("status")
    for name in suites:
        statuses.add_column(name, justify="right")
    for status in sorted({st for s in suites.values() for st in s["statuses"]}):
        statuses.add_row(status, *[str(s["statuses"].get(status, 0)) for s in suites.values()])
    tables.append(statuses)
    if per_problem:
        detail = Table(title="per problem")
        detail.add_column("problem")
        for name in report["suites"]:
            detail.add_column(f"{name} c/n", justify="right")
        problems = next(iter(report["suites"].values()))["per_problem"]
        for task in problems:
            detail.add_row(task, *[f"{s['per_problem'][task]['c']}/{s['per_problem'][task]['n']}"
                                   for s in report["suites"].values()])
        tables.append(detail)
    return tables


def run_list(reports: list[dict]) -> Table:
    table = Table(title="runs")
    for column in ("run", "kind", "benchmark", "model / samples", "created", "finished"):
        table.add_column(column)
    for r in reports:
        what = r["config"].get("model") or r["config"].get("samples", "")
        table.add_row(r["run_id"], r["kind"], r["benchmark"], str(what),
                      time.strftime("%Y-%m-%d %H:%M", time.localtime(r["created"])),
                      "yes" if r["finished"] else "no (resume it)")
    return table




def comparison(reports: list[dict]) -> Table:
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


def program_scores(title: str, verdicts: dict, scores: dict[str, float]) -> Table:
    """One program's verdict per suite and every judge's score."""
    table = Table(title=title)
    table.add_column("measure")
    table.add_column("value", justify="right")
    for suite, v in verdicts.items():
        table.add_row(f"correctness ({suite})", f"{v.status.value} {v.tests_passed}/"
                                                f"{v.tests_total}")
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
