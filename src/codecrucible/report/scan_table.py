"""The terminal view of a weights scan: a row per class, then the tests and the decision."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from codecrucible.weights.scan import ScanReport

DECISION_STYLE = {"flagged": "bold red", "not flagged": "green", "no test": "yellow"}


def _number(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}g}"


def scan_view(report: ScanReport) -> Group:
    """The rows' distributions; a second table for the biases and the comparison with the
    references, when there are any (one table would not fit a terminal)."""
    labelled = any(row.label for row in report.rows)
    candidate = report.target if report.target is not None else \
        (report.dixon.candidate if report.dixon else None)

    def new_table(title: str | None, columns: list[str]) -> Table:
        table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
        for column in ["class"] + (["label"] if labelled else []) + columns:
            table.add_column(column, no_wrap=True,
                             justify="left" if column in ("class", "label") else "right")
        return table

    def first_cells(row) -> list[str]:
        return [str(row.index) + (" *" if row.index == candidate else "")] + \
            ([escape(row.label or "")] if labelled else [])

    rows = new_table(f"{escape(report.layer)} [{report.classes} classes x {report.features} "
                     f"features] in {escape(report.path)} ({report.format})",
                     ["mean", "std", "min", "q1", "median", "q3", "max"])
    for row in report.rows:
        rows.add_row(*first_cells(row), *(_number(v) for v in (
            row.mean, row.std, row.min, row.q1, row.median, row.q3, row.max)))
    tables = [rows]
    biased = any(row.bias is not None for row in report.rows)
    if biased or report.reference:
        columns = (["bias"] if biased else []) + \
            (["refs mean", "refs std", "z", "KS D", "KS p"] if report.reference else [])
        extra = new_table("bias and references" if report.reference and biased else
                          "references" if report.reference else None, columns)
        for row in report.rows:
            cells = [_number(row.bias)] if biased else []
            if report.reference:
                c = report.reference.rows[row.index]
                cells += [_number(c.reference_mean), _number(c.reference_std), _number(c.z),
                          _number(c.ks_statistic), _number(c.ks_p)]
            extra.add_row(*first_cells(row), *cells)
        tables.append(extra)
    return Group(*tables, *_lines(report))


def _lines(report: ScanReport) -> list[Text]:
    lines = []
    if report.dixon:
        d = report.dixon
        critical = "beyond the table (n > 30)" if d.critical is None else f"{d.critical:.3f}"
        lines.append(Text(f"Dixon's Q = {d.q:.3f}, critical {critical} for {report.classes} "
                          f"classes at one-sided alpha {report.alpha:g}; candidate target "
                          f"(largest row mean): class {d.candidate}"))
    if report.reference:
        r = report.reference
        best = "none (fewer than 2 references)" if r.candidate is None else \
            f"class {r.candidate}, z = {r.rows[r.candidate].z:.2f}"
        lines.append(Text(f"Against {len(r.references)} reference checkpoint(s): largest z "
                          f"{best}; flagged above z = {r.z_critical:.2f} (alpha "
                          f"{report.alpha:g} / {report.classes} classes)"))
    if report.alternatives:
        lines.append(Text("Other layers that look like a classifier: " +
                          ", ".join(report.alternatives) + " (choose with --layer)"))
    lines += [Text("Note: " + note, style="yellow") for note in report.notes]
    target = f" (target class {report.target})" if report.decision == "flagged" else ""
    lines.append(Text(f"Decision: {report.decision}{target}",
                      style=DECISION_STYLE[report.decision]))
    return lines
