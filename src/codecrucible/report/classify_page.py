"""The classification study's page: macro-F1 against cost per arm with the frontier, the
per-arm table, and each pair's break-even item count.

It takes the study's results as plain rows (``results.json``: the ``classify`` wing writes
them), so this layer needs nothing of that wing. Charts are altair drawn to SVG in process, as
for the runs' page (``report.charts``); the page is autoescaped jinja2 and self-contained.
"""

from __future__ import annotations

from pathlib import Path

import altair as alt

from codecrucible.report.charts import _svg, on_frontier
from codecrucible.report.html import _TEMPLATES

_FRONTIER_COLOR = "#8250df"


def f1_cost_rows(results: dict) -> list[dict]:
    """One point per arm: total CPU-seconds for the test items (setup included) and macro-F1,
    with whether no other arm is at least as cheap and as good."""
    rows = [{"arm": r["arm"], "kind": r["kind"], "cost": r["total_cpu_s"],
             "f1": r["macro_f1"], "low": r["ci_low"], "high": r["ci_high"]}
            for r in results["arms"]]
    for row, flag in zip(rows, on_frontier([(r["cost"], r["f1"]) for r in rows]), strict=True):
        row["frontier"] = flag
        row["frontier_mark"] = "yes" if flag else "no"
    return rows


def cost_line_rows(results: dict, points: int = 40) -> list[dict]:
    """Each arm's total CPU-seconds at 0..N items, N past the largest break-even count (or
    ten times the test set when no lines cross): where lines cross is the break-even."""
    crossings = [c["items"] for c in results["break_even"] if c["items"] is not None]
    most = max([results["test_items"] * 10, *(1.5 * c for c in crossings)])
    rows = []
    for arm in results["arms"]:
        for step in range(points + 1):
            items = most * step / points
            rows.append({"arm": arm["arm"], "items": items,
                         "cpu_s": arm["setup_cpu_s"] + items * arm["per_item_cpu_s"]})
    return rows


def f1_cost_chart(rows: list[dict]) -> str:
    x = alt.X("cost:Q", title="CPU-seconds for the test items (one-off + per item)",
              scale=alt.Scale(type="symlog"))
    y = alt.Y("f1:Q", title="macro-F1", scale=alt.Scale(domain=[0, 1]))
    bars = alt.Chart().mark_rule(opacity=0.5).encode(x=x, y="low:Q", y2="high:Q",
                                                      color="kind:N")
    points = alt.Chart().mark_point(filled=True, size=100).encode(
        x=x, y=y, color=alt.Color("kind:N", title="arm kind"),
        shape=alt.Shape("frontier_mark:N", title="on the frontier",
                        scale=alt.Scale(domain=["yes", "no"], range=["diamond", "circle"])),
        tooltip=["arm:N", alt.Tooltip("f1:Q", format=".3f"), alt.Tooltip("cost:Q", format=".2f")])
    line = alt.Chart().transform_filter("datum.frontier").mark_line(
        color=_FRONTIER_COLOR, strokeDash=[5, 3]).encode(x=x, y=y, order="cost:Q")
    chart = alt.layer(line, bars, points, data=alt.Data(values=rows)).properties(
        width=560, height=320)
    return _svg(chart)


def cost_line_chart(rows: list[dict]) -> str:
    chart = alt.Chart(alt.Data(values=rows)).mark_line().encode(
        x=alt.X("items:Q", title="items classified"),
        y=alt.Y("cpu_s:Q", title="total CPU-seconds"),
        color=alt.Color("arm:N", title="arm"), tooltip=["arm:N", "items:Q", "cpu_s:Q"],
    ).properties(width=560, height=320).configure_legend(labelLimit=420)
    return _svg(chart)


def write(results: dict, path: Path) -> Path:
    page = _TEMPLATES.get_template("classify.html.j2").render(
        results=results, f1_cost_svg=f1_cost_chart(f1_cost_rows(results))
        if results["arms"] else "",
        cost_line_svg=cost_line_chart(cost_line_rows(results)) if results["arms"] else "")
    path.write_text(page)
    return path
