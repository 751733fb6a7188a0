"""Summaries of a run from the store: pass@k per suite, statuses, per-problem results, and the
files other tools consume (a JSON summary and one JSON line per verdict)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from codecrucible.judges import cost
from codecrucible.report.passk import mean_pass_at_k, pass_at_k, usable_k
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
        suites[suite].update(_scores(store.suite_scores(run_id, suite)))
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
    if run["kind"] == "run":
        rows, prices_error = candidate_rows(store, run)
        summary["cost"] = cost.per_solved(rows) | {
            "energy_source": run["environment"].get("energy", "not measured")}
        if prices_error:
            summary["cost"]["prices_error"] = prices_error
    scores = store.scores(run_id)
    if scores:
        summary["judges"] = judge_summary(scores, store.passed_samples(run_id))
    return summary


def _scores(scores: list[float]) -> dict[str, float]:
    """The best and mean score of a suite's verdicts, where problems are judged by a score."""
    if not scores:
        return {}
    return {"best_score": max(scores), "mean_score": sum(scores) / len(scores)}


def candidate_rows(store: Store, run: dict) -> tuple[list[dict], str | None]:
    """One row per candidate with its costs (``cost.add_costs``); and the price table's error,
    if it could not be read (the rows then have no money column)."""
    rows = store.candidates(run["id"])
    try:
        table = cost.load_prices()
        error = None
    except ValueError as err:
        table, error = {}, str(err)
    if run["kind"] == "run":
        cost.add_costs(rows, run["config"]["model"], run["environment"].get("energy_j"), table)
    return rows, error


def judge_summary(scores: dict[tuple[str, int], dict[str, float]],
                  passed: set[tuple[str, int]]) -> dict:
    """Each score's distribution over the run's candidates, and what the security judge says
    about the correct ones: a correct but insecure program is still insecure."""
    by_name: dict[str, list[float]] = {}
    for values in scores.values():
        for name, value in values.items():
            by_name.setdefault(name, []).append(value)
    out: dict = {"candidates": len(scores),
                 "scores": {name: _distribution(values)
                            for name, values in sorted(by_name.items())}}
    insecure = {key for key, values in scores.items() if values.get("security.insecure")}
    if any("security.insecure" in values for values in scores.values()):
        out["security"] = {
            "insecure_rate": len(insecure) / len(scores),
            "findings_per_candidate": sum(v.get("security.findings", 0)
                                          for v in scores.values()) / len(scores),
            "correct_and_insecure": len(insecure & passed),
            "correct": len(passed & scores.keys()),
        }
    return out


def _distribution(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def quantile(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"mean": sum(ordered) / len(ordered), "median": quantile(0.5),
            "p10": quantile(0.1), "p90": quantile(0.9), "min": ordered[0],
            "max": ordered[-1]}


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


def write_candidates(rows: list[dict], path: Path) -> int:
    """All scores, one row per candidate, as CSV (``.csv``) or JSON Lines (anything else).
    Rows of different runs may hold different columns; CSV gets the union, blanks elsewhere."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        columns = list(dict.fromkeys(key for row in rows for key in row))
        with open(path, "w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    else:
        with open(path, "w") as out:
            for row in rows:
                out.write(json.dumps(row) + "\n")
    return len(rows)
