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
