"""The HTML report's charts: altair (Vega-Lite) specifications drawn to SVG by vl-convert, in
process and offline (no browser, no network), for the page to inline.

- ``frontier``: pass@1 against seconds per candidate, one panel per benchmark, each with its
  own frontier (the runs no other run *of that benchmark* beats on both); a frontier across
  benchmarks would compare numbers that do not measure the same thing.
- ``pass_at_k``: pass@k for k = 1..n samples per run (the unbiased estimator of
  ``report.passk``), in the run's strictest suite.

Each takes plain rows (``frontier_rows``, ``pass_at_k_rows``), which the tests read too.
"""

from __future__ import annotations

from collections.abc import Iterable

import altair as alt
import vl_convert

from codecrucible.report.passk import mean_pass_at_k
from codecrucible.report.summary import RunSummary

# At most this many ks per run on the pass@k curve (spread evenly on a log scale beyond it).
MAX_CURVE_POINTS = 60
_FRONTIER_COLOR = "#8250df"


def strictest_suite(summary: RunSummary) -> str | None:
    """The suite whose pass@1 the charts show: the last one (``plus`` where there is one)."""
    return list(summary.suites)[-1] if summary.suites else None


def on_frontier(points: list[tuple[float, float]]) -> list[bool]:
    """For (cost, pass@1) points: whether no other point is at least as cheap and as good,
    and better on one."""
    return [not any(ox <= x and oy >= y and (ox, oy) != (x, y) for ox, oy in points)
            for x, y in points]


def frontier_rows(runs: Iterable[tuple[RunSummary, str, float | None]]) -> list[dict]:
    """One row per (summary, name, seconds per candidate): its benchmark, suite, pass@1 and
    whether it is on its benchmark's frontier. A run without seconds (a samples file's) or
    without a pass@1 has no row."""
    rows = []
    for summary, name, seconds in runs:
        suite = strictest_suite(summary)
        if suite is None or seconds is None or "pass@1" not in summary.suites[suite].pass_at_k:
            continue
        rows.append({"run": name, "run_id": summary.run_id, "benchmark": summary.benchmark,
                     "suite": suite, "panel": f"{summary.benchmark}: pass@1 ({suite})",
                     "pass1": summary.suites[suite].pass_at_k["pass@1"], "seconds": seconds})
    for benchmark in {row["benchmark"] for row in rows}:
        mine = [row for row in rows if row["benchmark"] == benchmark]
        flags = on_frontier([(row["seconds"], row["pass1"]) for row in mine])
        for row, flag in zip(mine, flags, strict=True):
            row["frontier"] = flag
            row["frontier_mark"] = "yes" if flag else "no"
    return rows


def pass_at_k_rows(runs: Iterable[tuple[RunSummary, str]]) -> list[dict]:
    """pass@k for k = 1..n (n: the fewest samples any problem has), per run, strictest suite."""
    rows = []
    for summary, name in runs:
        suite = strictest_suite(summary)
        if suite is None:
            continue
        counts = {task: (r.n, r.c) for task, r in summary.suites[suite].per_problem.items()}
        n = min((n for n, _ in counts.values()), default=0)
        for k, value in mean_pass_at_k(counts, _curve_ks(n)).items():
            rows.append({"run": name, "run_id": summary.run_id, "suite": suite, "k": k,
                         "passk": value})
    return rows


def _curve_ks(n: int) -> list[int]:
    if n <= MAX_CURVE_POINTS:
        return list(range(1, n + 1))
    steps = MAX_CURVE_POINTS - 1
    return sorted({round(n ** (i / steps)) for i in range(steps + 1)})


def frontier(rows: list[dict], names: list[str]) -> str:
    """The SVG of pass@1 against seconds per candidate, one panel per benchmark."""
    color = alt.Color("run:N", scale=alt.Scale(domain=names), title="run")
    x = alt.X("seconds:Q", title="seconds per candidate (model + sandbox)",
              scale=alt.Scale(domainMin=0, nice=True))  # seconds are never negative
    y = alt.Y("pass1:Q", title="pass@1", scale=alt.Scale(domain=[0, 1]),
              axis=alt.Axis(format="%"))
    points = alt.Chart().mark_point(filled=True, size=110).encode(
        x=x, y=y, color=color,
        shape=alt.Shape("frontier_mark:N", title="on its frontier",
                        scale=alt.Scale(domain=["yes", "no"], range=["diamond", "circle"])),
        tooltip=["run:N", "run_id:N", "benchmark:N", "suite:N",
                 alt.Tooltip("pass1:Q", format=".1%"), alt.Tooltip("seconds:Q", format=".2f")])
    line = alt.Chart().transform_filter("datum.frontier").mark_line(
        color=_FRONTIER_COLOR, strokeDash=[5, 3], point=False).encode(
        x=x, y=y, order="seconds:Q")
    chart = alt.layer(line, points, data=alt.Data(values=rows)).properties(
        width=340, height=240).facet(
        column=alt.Column("panel:N", title=None, header=alt.Header(labelFontSize=13))
    ).resolve_scale(x="independent").configure_legend(labelLimit=420)
    return _svg(chart)


def pass_at_k(rows: list[dict], names: list[str]) -> str:
    """The SVG of each run's pass@k curve."""
    most = max((row["k"] for row in rows), default=1)
    chart = alt.Chart(alt.Data(values=rows)).mark_line(point=True).encode(
        x=alt.X("k:Q", title="k (samples per problem)",
                scale=alt.Scale(type="log") if most > 20 else alt.Scale(domain=[1, max(most, 2)]),
                axis=alt.Axis(format="d", values=list(range(1, most + 1)) if most <= 20
                              else None)),
        y=alt.Y("passk:Q", title="pass@k", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%")),
        color=alt.Color("run:N", scale=alt.Scale(domain=names), title="run"),
        tooltip=["run:N", "run_id:N", "suite:N", "k:Q",
                 alt.Tooltip("passk:Q", title="pass@k", format=".1%")],
    ).properties(width=520, height=260).configure_legend(labelLimit=420)
    return _svg(chart)


def _svg(chart: alt.TopLevelMixin) -> str:
    return vl_convert.vegalite_to_svg(chart.to_dict())
