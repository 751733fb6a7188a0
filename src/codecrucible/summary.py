"""Summaries of a run from the store: pass@k per suite, statuses, per-problem results, and the
files other tools consume (a JSON summary and one JSON line per verdict)."""

from __future__ import annotations

import json
from pathlib import Path

from codecrucible.passk import mean_pass_at_k, pass_at_k, usable_k
from codecrucible.store import Store


def summarize(store: Store, run_id: str, ks: tuple[int, ...] | None = None) -> dict:
    run = store.run(run_id)
    suites = {}
    for suite in _suites(store, run_id):
        counts = store.counts(run_id, suite)
        chosen = usable_k((n for n, _ in counts.values()), ks) if ks else \
            usable_k(n for n, _ in counts.values())
        suites[suite] = {
            "problems": len(counts),
            "samples": sum(n for n, _ in counts.values()),
            "passed": sum(c for _, c in counts.values()),
            "pass_at_k": {f"pass@{k}": v for k, v in mean_pass_at_k(counts, chosen).items()},
            "statuses": store.status_counts(run_id, suite),
            "per_problem": {task: {"n": n, "c": c,
                                   **{f"pass@{k}": pass_at_k(n, c, k) for k in chosen}}
                            for task, (n, c) in sorted(counts.items(), key=_task_order)},
        }
    groups = run["environment"].get("groups") or {}
    for suite in suites.values():
        suite["groups"] = {dimension: by_group(suite["per_problem"], members)
                           for dimension, members in groups.items()}
    summary = {"run_id": run_id, "benchmark": run["benchmark"], "kind": run["kind"],
               "created": run["created"], "finished": run["finished"], "config": run["config"],
               "environment": run["environment"], "suites": suites,
               "skipped": run["environment"].get("skipped") or {},
               "unjudgeable": run["environment"].get("unjudgeable") or {}}
    if run["kind"] == "run":
        summary["usage"] = store.usage(run_id)
    return summary


def by_group(per_problem: dict[str, dict], members: dict[str, str]) -> dict[str, dict]:
    """pass@k per group (an MTPB category, a DS-1000 library): the mean over the group's
    problems, as for the whole suite."""
    grouped: dict[str, list[dict]] = {}
    for task, row in per_problem.items():
        if task in members:
            grouped.setdefault(members[task], []).append(row)
    out = {}
    for group, rows in sorted(grouped.items()):
        ks = [key for key in rows[0] if key.startswith("pass@")]
        out[group] = {"problems": len(rows), "samples": sum(r["n"] for r in rows),
                      "passed": sum(r["c"] for r in rows),
                      "pass_at_k": {k: sum(r[k] for r in rows) / len(rows) for k in ks}}
    return out


def _suites(store: Store, run_id: str) -> list[str]:
    rows = store.db.execute("SELECT DISTINCT suite FROM verdicts WHERE run_id = ?", (run_id,))
    found = {row[0] for row in rows}
    return [s for s in ("base", "plus") if s in found] + sorted(found - {"base", "plus"})


def _task_order(item: tuple[str, object]) -> tuple:
    prefix, _, number = item[0].rpartition("/")
    return (prefix, int(number)) if number.isdigit() else (item[0], 0)


def write_summary(summary: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2) + "\n")


def write_details(store: Store, run_id: str, path: Path) -> int:
    """One line per (sample, suite): task_id, sample, suite, status, tests passed/total."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(path, "w") as out:
        for row in store.verdicts(run_id):
            out.write(json.dumps(row) + "\n")
            count += 1
    return count
