"""The HTML report: one self-contained page for any set of runs, readable offline.

Everything is inline (styles, a few lines of script, charts drawn as SVG here), so the file can
be mailed, archived or opened from a laptop with no network. Sections:

1. the runs side by side: model, strategy, pass@1 and what a solved problem cost;
2. pass@1 against cost per candidate, with the frontier of runs no other run beats on both;
3. every judge's score distribution per run (min, 10th, median, 90th percentile, max);
4. a drill-down per problem: each run's candidates with their status, and on opening one, the
   program, its verdict, every score and every finding, for a person to review.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path

from codecrucible.report import summary as summaries
from codecrucible.report.summary import Distribution, RunSummary
from codecrucible.store import Store

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1200px;color:#1b1f24}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #d0d7de;padding:3px 8px;
text-align:right;vertical-align:top}th{background:#f6f8fa}td.l,th.l{text-align:left}
.passed{color:#1a7f37}.failed,.error,.timeout,.memory,.killed,.output_limit{color:#cf222e}
.no_code{color:#9a6700}pre{background:#f6f8fa;padding:8px;overflow-x:auto;font-size:12px}
details{margin:2px 0}summary{cursor:pointer}.muted{color:#656d76}svg text{font-size:11px}
#filter{padding:4px 8px;width:320px}
"""
# Filters the problems as one types; a link ending in #filter=TEXT opens the page filtered.
_SCRIPT = """
function applyFilter(text) {
  var shown = 0;
  document.querySelectorAll('#problems > details').forEach(function (row) {
    var hit = row.dataset.search.indexOf(text.toLowerCase()) >= 0;
    row.style.display = hit ? '' : 'none';
    if (hit) { shown += 1; }
  });
  document.getElementById('shown').textContent = String(shown);
}
var box = document.getElementById('filter');
box.addEventListener('input', function () { applyFilter(box.value); });
if (location.hash.indexOf('#filter=') === 0) {
  box.value = decodeURIComponent(location.hash.slice(8));
  applyFilter(box.value);
}
"""
_COLORS = ("#0969da", "#cf222e", "#1a7f37", "#8250df", "#9a6700", "#bf3989", "#1b7c83")


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


@dataclass
class RunPage:
    """What the page shows of one run."""

    summary: RunSummary
    # one row per candidate (``summary.candidate_rows``) with its program (``code``) and
    # findings (``findings``) added
    candidates: list[dict]


def collect(store: Store, run_ids: list[str]) -> list[RunPage]:
    """What the page shows of each run: its summary and every candidate with its program,
    verdict, scores, costs and findings."""
    runs = []
    for run_id in run_ids:
        report = summaries.summarize(store, run_id)
        rows, _ = summaries.candidate_rows(store, store.run(run_id))
        programs, findings = store.programs(run_id), store.findings(run_id)
        for row in rows:
            key = (row["task_id"], row["sample"])
            row["code"] = programs.get(key, "")
            row["findings"] = findings.get(key, [])
        runs.append(RunPage(report, rows))
    return runs


def write(store: Store, run_ids: list[str], path: Path) -> Path:
    runs = collect(store, run_ids)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(runs), encoding="utf-8")
    return path


def render(runs: list[RunPage]) -> str:
    title = "codecrucible report: " + ", ".join(r.summary.run_id for r in runs)
    body = [f"<h1>{esc(title)}</h1>", _runs_table(runs), _frontier(runs),
            _distributions(runs), _drilldown(runs)]
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<title>{esc(title)}</title><style>{_STYLE}</style></head><body>"
            + "".join(body) + f"<script>{_SCRIPT}</script></body></html>\n")


def _pass_at_1(run: RunPage) -> float | None:
    suites = run.summary.suites
    if not suites:
        return None
    last = suites[list(suites)[-1]]  # the strictest suite (plus, where there is one)
    return last.pass_at_k.get("pass@1")


def _cost_per_candidate(run: RunPage) -> float | None:
    rows = run.candidates
    values = [r["cost.seconds"] for r in rows if r.get("cost.seconds") is not None]
    return sum(values) / len(values) if values else None


def _runs_table(runs: list[RunPage]) -> str:
    head = ("<h2>Runs</h2><table><tr><th class=l>run</th><th class=l>benchmark</th>"
            "<th class=l>model</th><th class=l>strategy</th><th>candidates</th><th>pass@1</th>"
            "<th>solved</th><th>tokens out / solved</th><th>seconds / solved</th>"
            "<th>USD / solved</th><th>energy / solved</th></tr>")
    rows = []
    for run in runs:
        summary, spent = run.summary, run.summary.cost
        p1 = _pass_at_1(run)
        rows.append(
            f"<tr><td class=l>{esc(summary.run_id)}</td><td class=l>{esc(summary.benchmark)}"
            f"</td><td class=l>{esc(summary.config.get('model', '(samples file)'))}</td>"
            f"<td class=l>{esc(summary.config.get('strategy', 'eval'))}</td>"
            f"<td>{len(run.candidates)}</td>"
            f"<td class=pass1>{'' if p1 is None else f'{100 * p1:.1f}'}</td>"
            + (f"<td>{spent.solved}</td>"
               f"<td>{_num(spent.tokens_out_per_solved, 0)}</td>"
               f"<td>{_num(spent.seconds_per_solved, 1)}</td>"
               f"<td>{_num(spent.usd_per_solved, 4)}</td>"
               f"<td>{_num(spent.energy_j_per_solved, 0, ' J') or 'not measured'}</td>"
               if spent else "<td></td>" * 4 + "<td>not measured</td>")
            + "</tr>")
    sources = sorted({run.summary.cost.energy_source if run.summary.cost else "not measured"
                      for run in runs})
    return (head + "".join(rows) + "</table>"
            + f"<p class=muted>energy: {esc('; '.join(sources))}</p>")


def _num(value: float | None, digits: int, unit: str = "") -> str:
    return "" if value is None else f"{value:,.{digits}f}{unit}"


def _frontier(runs: list[RunPage]) -> str:
    points = [(run.summary.run_id, _cost_per_candidate(run), _pass_at_1(run)) for run in runs]
    points = [(name, x, y) for name, x, y in points if x is not None and y is not None]
    if not points:
        return "<h2>pass@1 against cost</h2><p class=muted>no run with costs</p>"
    width, height, pad = 640, 320, 48
    x_max = max(x for _, x, _ in points) * 1.15 or 1.0
    def sx(x: float) -> float:
        return pad + (width - 2 * pad) * x / x_max
    def sy(y: float) -> float:
        return height - pad - (height - 2 * pad) * y
    # A run is on the frontier when no other run is at least as good on both axes and
    # better on one.
    frontier = sorted((p for p in points if not any(
        o[1] <= p[1] and o[2] >= p[2] and (o[1], o[2]) != (p[1], p[2]) for o in points)),
        key=lambda p: p[1])
    parts = [f'<svg id=frontier width={width} height={height} role=img '
             f'aria-label="pass@1 against seconds per candidate">',
             f'<line x1={pad} y1={height - pad} x2={width - pad} y2={height - pad} '
             'stroke="#656d76"/>',
             f'<line x1={pad} y1={pad} x2={pad} y2={height - pad} stroke="#656d76"/>',
             f'<text x={width / 2} y={height - 12} text-anchor=middle>seconds per candidate '
             '(model + sandbox)</text>',
             f'<text x=12 y={pad - 16}>pass@1</text>']
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f'<text x={pad - 6} y={sy(tick) + 4:.1f} text-anchor=end>'
                     f'{100 * tick:.0f}</text>')
    for tick in _ticks(x_max):
        parts.append(f'<text x={sx(tick):.1f} y={height - pad + 16} text-anchor=middle>'
                     f'{tick:g}</text>')
    if len(frontier) > 1:
        line = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for _, x, y in frontier)
        parts.append(f'<polyline points="{line}" fill=none stroke="#8250df" '
                     'stroke-dasharray="4 3"/>')
    for i, (name, x, y) in enumerate(points):
        color = _COLORS[i % len(_COLORS)]
        parts.append(f'<circle cx={sx(x):.1f} cy={sy(y):.1f} r=5 fill="{color}">'
                     f'<title>{esc(name)}: pass@1 {100 * y:.1f}, {x:.2f} s</title></circle>'
                     # labels of nearby points alternate above and below them
                     f'<text x={sx(x) + 8:.1f} y={sy(y) + (-6 if i % 2 == 0 else 16):.1f}>'
                     f'{esc(name)}</text>')
    parts.append("</svg>")
    on = ", ".join(esc(name) for name, _, _ in frontier)
    return (f"<h2>pass@1 against cost</h2>{''.join(parts)}"
            f"<p class=muted>frontier (no other run is cheaper and at least as good): {on}</p>")


def _ticks(top: float) -> list[float]:
    step = 10 ** math.floor(math.log10(top)) if top > 0 else 1
    if top / step < 3:
        step /= 2
    return [round(step * i, 6) for i in range(int(top / step) + 1)]


def _distributions(runs: list[RunPage]) -> str:
    judged = [run.summary for run in runs if run.summary.judges]
    names = sorted({name for run in judged for name in run.judges.scores})
    if not names:
        return ("<h2>Judges</h2><p class=muted>no judge beyond correctness ran "
                "(crucible run --judges all)</p>")
    out = ["<h2>Judges</h2><table id=judges><tr><th class=l>score</th><th class=l>run</th>"
           "<th>min</th><th>p10</th><th>median</th><th>p90</th><th>max</th><th>mean</th>"
           "<th class=l>distribution</th></tr>"]
    for name in names:
        present = [(run, run.judges.scores[name]) for run in judged
                   if name in run.judges.scores]
        low = min(d.min for _, d in present)
        high = max(d.max for _, d in present)
        for run, d in present:
            out.append(
                f"<tr><td class=l>{esc(name)}</td><td class=l>{esc(run.run_id)}</td>"
                + "".join(f"<td>{v:.3g}</td>" for v in (d.min, d.p10, d.median, d.p90,
                                                        d.max, d.mean))
                + f"<td class=l>{_box(d, low, high)}</td></tr>")
    out.append("</table>")
    metrics = sorted({run.summary.environment["efficiency_metric"] for run in runs
                      if run.summary.environment.get("efficiency_metric")})
    if metrics:
        out.append(f"<p class=muted>efficiency: {esc('; '.join(metrics))}; ratios are "
                   "candidate / reference solution</p>")
    out.append(_security(judged))
    return "".join(out)


def _security(runs: list[RunSummary]) -> str:
    security = [(run.run_id, run.judges.security) for run in runs if run.judges.security]
    if not security:
        return ""
    out = ["<table><tr><th class=l>run</th><th>insecure candidates</th>"
           "<th>findings per candidate</th><th>correct but insecure</th></tr>"]
    for name, s in security:
        out.append(f"<tr><td class=l>{esc(name)}</td><td>{100 * s.insecure_rate:.1f}%"
                   f"</td><td>{s.findings_per_candidate:.2f}</td>"
                   f"<td>{s.correct_and_insecure} of {s.correct}</td></tr>")
    out.append("</table>")
    return "".join(out)


def _box(d: Distribution, low: float, high: float) -> str:
    width = 200
    span = (high - low) or 1.0
    def x(v: float) -> float:
        return 4 + (width - 8) * (v - low) / span
    return (f'<svg width={width} height=16><line x1={x(d.min):.1f} x2={x(d.max):.1f} '
            'y1=8 y2=8 stroke="#656d76"/>'
            f'<rect x={x(d.p10):.1f} y=3 width={max(1.0, x(d.p90) - x(d.p10)):.1f} '
            'height=10 fill="#ddf4ff" stroke="#0969da"/>'
            f'<line x1={x(d.median):.1f} x2={x(d.median):.1f} y1=2 y2=14 '
            'stroke="#0969da" stroke-width=2/></svg>')


def _drilldown(runs: list[RunPage]) -> str:
    by_task: dict[str, dict[str, list[dict]]] = {}
    for run in runs:
        for row in run.candidates:
            by_task.setdefault(row["task_id"], {}).setdefault(run.summary.run_id,
                                                              []).append(row)
    out = [f"<h2>Problems</h2><p><input id=filter placeholder='filter: task id or status' "
           f"aria-label=filter> <span class=muted><span id=shown>{len(by_task)}</span> of "
           f"{len(by_task)} problems</span></p><div id=problems>"]
    for task in sorted(by_task, key=_task_key):
        per_run = by_task[task]
        statuses = " ".join(f"{esc(run_id)}: " + " ".join(
            f"<span class={esc(r['status'])}>{esc(r['status'])}</span>" for r in rows)
            for run_id, rows in per_run.items())
        search = (task + " " + " ".join(r["status"] for rows in per_run.values()
                                        for r in rows)).lower()
        out.append(f"<details data-search='{esc(search)}'><summary><b>{esc(task)}</b> "
                   f"{statuses}</summary>")
        for run_id, rows in per_run.items():
            for row in rows:
                out.append(_candidate(run_id, row))
        out.append("</details>")
    out.append("</div>")
    return "".join(out)


def _task_key(task: str) -> tuple:
    parts = task.replace("/", " ").split()
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


def _candidate(run_id: str, row: dict) -> str:
    scores = {k: v for k, v in row.items()
              if "." in k and isinstance(v, (int, float)) and not isinstance(v, bool)}
    score_cells = "".join(f"<tr><td class=l>{esc(k)}</td><td>{v:.4g}</td></tr>"
                          for k, v in sorted(scores.items()))
    facts = [f"status <span class={esc(row['status'])}>{esc(row['status'])}</span>"]
    for key in ("base_tests", "plus_tests"):
        if key in row:
            facts.append(f"{key.split('_')[0]} tests {esc(row[key])}")
    if row.get("tokens_out") is not None:
        facts.append(f"tokens {row['tokens_in']:,} in / {row['tokens_out']:,} out")
    if row.get("first_failure"):
        facts.append(f"first failure: {esc(row['first_failure'])}")
    findings = "".join(
        f"<tr><td class=l>{esc(f['judge'])}</td><td class=l>{esc(f['rule'])}</td>"
        f"<td>{f['line']}</td><td class=l>{esc(f['severity'] or '')}</td>"
        f"<td class=l>{'CWE-' + str(f['cwe']) if f['cwe'] else ''}</td>"
        f"<td class=l>{esc(f['message'])}</td></tr>" for f in row["findings"])
    return (f"<details class=candidate><summary>{esc(run_id)} sample {row['sample']}: "
            f"<span class={esc(row['status'])}>{esc(row['status'])}</span></summary>"
            f"<p>{' · '.join(facts)}</p><pre><code>{esc(row['code'])}</code></pre>"
            + (f"<table>{score_cells}</table>" if score_cells else "")
            + (f"<table class=findings><tr><th class=l>judge</th><th class=l>rule</th>"
               f"<th>line</th><th class=l>severity</th><th class=l>CWE</th>"
               f"<th class=l>message</th></tr>{findings}</table>" if findings else "")
            + "</details>")

