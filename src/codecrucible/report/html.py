"""The HTML report: one self-contained page for any set of runs, readable offline.

The page is the jinja2 template ``templates/report.html.j2`` (autoescaped: no text from a run,
a model or a program can become markup), with its styles and a few lines of script inline and
its charts drawn to SVG here (``report.charts``: altair, rendered by vl-convert), so the file
can be mailed, archived or opened with no network. Sections:

1. the runs side by side, each named for people ("qwen2.5-coder-0.5b · repair · humaneval+",
   the same name as the terminal's, with its id beside it): pass@1 of each suite, labelled
   "pass@1 (base)", "pass@1 (plus)"...; tokens and seconds per solved problem; money only
   where a price table prices the model (a local model says "no price: local model"), with
   the prices used in a note;
2. pass@1 against seconds per candidate, one panel and one frontier per benchmark;
3. pass@k for k = 1..n samples, per run;
4. every judge's score distribution per run (min, 10th, median, 90th percentile, max);
5. score problems: each task's best-scored sample per run and suite, with the numbers its
   scorer found (sum of radii, circles, ...);
6. a drill-down per problem: each run's candidates and, on opening one, its transcript as the
   store holds it (every round or turn: the prompt's messages with their roles, the raw
   answer, the code found in it, its status, the feedback, tokens, latency, cache), then its
   final verdict per suite, scores and findings. Past ``MAX_TRANSCRIBED`` candidates in all,
   only the first ``TRANSCRIPTS_PER_PROBLEM`` samples of each problem keep their transcript,
   and the page says so. ``#filter=TEXT`` at the end of its address filters the problems;
   ``#open=TEXT`` also opens them and their candidates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from codecrucible.judges import cost
from codecrucible.records import components_text
from codecrucible.report import charts
from codecrucible.report import summary as summaries
from codecrucible.report.names import run_names
from codecrucible.report.summary import RunSummary
from codecrucible.store import Store

# Past this many candidates in all, transcripts are kept for the first few samples of each
# problem only: a page stays a few megabytes.
MAX_TRANSCRIBED = 2000
TRANSCRIPTS_PER_PROBLEM = 3

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)


@dataclass
class RunPage:
    """What the page shows of one run."""

    summary: RunSummary
    # one row per candidate (``summary.candidate_rows``) with its program (``code``), findings
    # (``findings``), raw answer (``raw``) and model calls (``attempts``, ``Store.attempts``)
    candidates: list[dict]
    name: str = ""
    money: str = ""                  # the money cell: a price per solved problem, or why none
    price: tuple[str, dict] | None = None   # the price table entry used: (pattern, prices)
    transcribed: int = 0             # candidates whose transcript the page holds
    suites: list[str] = field(default_factory=list)


def collect(store: Store, run_ids: list[str]) -> list[RunPage]:
    """What the page shows of each run: its summary and every candidate with its program,
    verdict, scores, costs, findings and model calls."""
    runs = []
    for run_id in run_ids:
        report = summaries.summarize(store, run_id)
        rows, _ = summaries.candidate_rows(store, store.run(run_id))
        programs, findings = store.programs(run_id), store.findings(run_id)
        attempts = store.attempts(run_id)
        raws = {(s["task_id"], s["sample"]): s["raw"] for s in store.samples(run_id)}
        for row in rows:
            key = (row["task_id"], row["sample"])
            row["scores"] = {k: v for k, v in sorted(row.items()) if "." in k
                             and isinstance(v, (int, float)) and not isinstance(v, bool)}
            row["code"] = programs.get(key, "")
            row["raw"] = raws.get(key, "")
            row["findings"] = findings.get(key, [])
            row["attempts"] = attempts.get(key, [])
        runs.append(RunPage(report, rows, suites=list(report.suites)))
    names = run_names([run.summary for run in runs])
    for run in runs:
        run.name = names[run.summary.run_id]
    return runs


def write(store: Store, run_ids: list[str], path: Path) -> Path:
    runs = collect(store, run_ids)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(runs), encoding="utf-8")
    return path


def render(runs: list[RunPage], max_transcribed: int = MAX_TRANSCRIBED,
           per_problem: int = TRANSCRIPTS_PER_PROBLEM) -> str:
    """The page. Past ``max_transcribed`` candidates in all, only the first ``per_problem``
    samples of each problem keep their transcript."""
    try:
        table, prices_error = cost.load_prices(), None
    except ValueError as err:
        table, prices_error = dict(cost.DEFAULT_PRICES), str(err)
    for run in runs:
        run.money, run.price = _money(run.summary, table)
    bounded = _bound_transcripts(runs, max_transcribed, per_problem)
    names = [run.name for run in runs]
    frontier = charts.frontier_rows((run.summary, run.name, _seconds_per_candidate(run))
                                    for run in runs)
    curves = charts.pass_at_k_rows((run.summary, run.name) for run in runs)
    suites = list(dict.fromkeys(s for run in runs for s in run.suites))
    return _TEMPLATES.get_template("report.html.j2").render(
        runs=runs, suites=suites, names=names,
        frontier_svg=charts.frontier(frontier, names) if frontier else "",
        frontier_rows=frontier,
        not_charted=[run for run in runs if run.summary.run_id not in
                     {row["run_id"] for row in frontier}],
        passk_svg=charts.pass_at_k(curves, names) if curves else "",
        prices_used=sorted({run.price[0]: run.price[1] for run in runs if run.price}.items()),
        prices_path=str(cost.prices_path()), prices_error=prices_error,
        judges=_judges(runs), best=_best(runs), problems=_problems(runs), bounded=bounded,
        per_problem=per_problem, energy_sources=sorted(
            {run.summary.cost.energy_source if run.summary.cost else "not measured"
             for run in runs}),
        metrics=sorted({run.summary.environment["efficiency_metric"] for run in runs
                        if run.summary.environment.get("efficiency_metric")}))


def _money(summary: RunSummary, table: dict) -> tuple[str, tuple[str, dict] | None]:
    """The money cell of a run and the price entry used: a price only where the table sets
    one for the model; a local model's all-zero default is no price, not a price of 0."""
    model = summary.config.get("model")
    if model is None:
        return "no model: a samples file", None
    pattern = cost.price_entry(model, table)
    if pattern is None or not cost.is_priced(table[pattern]):
        if cost.price_entry(model, cost.DEFAULT_PRICES) is not None:
            return "no price: local model", None
        return f"no price: the price table has none for {model}", None
    spent = summary.cost
    if spent is None or spent.usd_per_solved is None:
        return "nothing solved", (pattern, table[pattern])
    return f"USD {spent.usd_per_solved:.4f}", (pattern, table[pattern])


def _seconds_per_candidate(run: RunPage) -> float | None:
    """Model and sandbox seconds per candidate; None for a samples file (no model time)."""
    values = [r["cost.seconds"] for r in run.candidates if r.get("cost.seconds") is not None]
    return sum(values) / len(values) if values else None


def _bound_transcripts(runs: list[RunPage], most: int, per_problem: int) -> bool:
    """Marks each candidate ``transcribed`` or not; True when some are left out."""
    every = sum(len(run.candidates) for run in runs) <= most
    for run in runs:
        seen: dict[str, int] = {}
        for row in run.candidates:
            seen[row["task_id"]] = seen.get(row["task_id"], 0) + 1
            row["transcribed"] = every or seen[row["task_id"]] <= per_problem
        run.transcribed = sum(row["transcribed"] for row in run.candidates)
    return not every


def _judges(runs: list[RunPage]) -> list[dict]:
    """One row per (score, run): the distribution and where its box lies (0..1 of the range
    every run's values of that score span)."""
    judged = [run for run in runs if run.summary.judges]
    names = sorted({name for run in judged for name in run.summary.judges.scores})
    rows = []
    for name in names:
        present = [(run, run.summary.judges.scores[name]) for run in judged
                   if name in run.summary.judges.scores]
        low = min(d.min for _, d in present)
        span = (max(d.max for _, d in present) - low) or 1.0
        for run, d in present:
            rows.append({"score": name, "run": run, "d": d, "box": {
                key: (getattr(d, key) - low) / span
                for key in ("min", "p10", "median", "p90", "max")}})
    return rows


def _best(runs: list[RunPage]) -> list[dict]:
    """One row per (task, run, suite) of a score problem: its best-scored sample."""
    rows = [{"task": task, "run": run.name, "suite": suite, "sample": best.sample,
             "score": best.score, "components": components_text(best.components)}
            for run in runs for suite, s in run.summary.suites.items()
            for task, best in (s.best or {}).items()]
    return sorted(rows, key=lambda row: _task_key(row["task"]))


def _problems(runs: list[RunPage]) -> list[dict]:
    """Each problem with each run's candidates, in task order."""
    by_task: dict[str, list[tuple[RunPage, list[dict]]]] = {}
    for run in runs:
        mine: dict[str, list[dict]] = {}
        for row in run.candidates:
            mine.setdefault(row["task_id"], []).append(row)
        for task, rows in mine.items():
            by_task.setdefault(task, []).append((run, rows))
    return [{"task": task, "runs": by_task[task],
             "search": " ".join([task, *(r["status"] for _, rows in by_task[task]
                                         for r in rows)]).lower()}
            for task in sorted(by_task, key=_task_key)]


def _task_key(task: str) -> tuple:
    parts = task.replace("/", " ").split()
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)
