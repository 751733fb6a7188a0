"""Terminal tables: text from the outside (install hints, error messages) is shown as is,
never read as rich markup."""

from __future__ import annotations

import io

from rich.console import Console

from codecrucible.models.llama import CATALOG
from codecrucible.report import tables


def _text(table) -> str:
    console = Console(width=300, record=True, file=io.StringIO())
    console.print(table)
    return console.export_text()


def test_an_install_hint_keeps_its_square_brackets():
    hint = "not installed: pip install 'codecrucible[qwen15b]'"
    text = _text(tables.models(CATALOG, lambda entry: hint))
    assert "pip install 'codecrucible[qwen15b]'" in text


def test_benchmark_and_layer_states_keep_their_square_brackets():
    assert "needs [extra]" in _text(tables.benchmarks([("b", 1, ("base",), "needs [extra]",
                                                          "d")]))
    assert "off [why]" in _text(tables.layers({"seccomp": "off [why]"}))


def test_runs_side_by_side_keep_their_ids_whole_in_a_narrow_terminal():
    from codecrucible.report.summary import RunSummary

    def judged(run_id: str, temperature: float) -> RunSummary:
        return RunSummary(run_id, "humaneval+", "eval", 0.0, 1.0,
                          {"model": "embedded:qwen2.5-coder-0.5b", "strategy": "single",
                           "temperature": temperature}, {}, {}, {}, {})
    ids = ["3f2a9c1b7d4e", "8e1d0c2b5a6f", "0c2b5a6f8e1d", "9c1b7d4e3f2a", "5a6f8e1d0c2b"]
    reports = [judged(run_id, i / 10) for i, run_id in enumerate(ids)]
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(tables.comparison(reports))
    text = console.export_text()
    assert [run_id in text for run_id in ids] == [True] * 4 + [False]  # the last is off screen
