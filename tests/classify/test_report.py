"""The study's page in a real headless browser: both charts drawn, the table, no console
errors, nothing loaded from a network."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from support import CHROMIUM, browse, console_messages

sys.path.insert(0, str(Path(__file__).parent))
from classify_study_script import CONFIG, write_data  # noqa: E402
from fake_model import FakeModel  # noqa: E402

from codecrucible.classify.study import run  # noqa: E402
from codecrucible.classify.tasks import user_items  # noqa: E402
from codecrucible.report.classify_page import f1_cost_rows  # noqa: E402

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is installed by 'make test'")


def test_the_browser_draws_the_page(tmp_path):
    items = user_items(write_data(tmp_path / "data.jsonl"), group="group")
    results = run(CONFIG, items, tmp_path / "s", opener=lambda spec, threads: FakeModel("x"))
    page = tmp_path / "s" / "report.html"
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.read_text())
    shown = browse(page.as_uri(), "--dump-dom")
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert console_messages(shown.stderr) == []
    dom = shown.stdout
    for chart, mark in (("f1-cost", "point"), ("break-even", "line mark")):
        figure = dom.split(f'<figure id="{chart}">')[1].split("</figure>")[0]
        assert figure.startswith("<svg") and f'aria-roledescription="{mark}"' in figure
    table = dom.split('<table id="arms">')[1].split("</table>")[0]
    assert all(arm in table for arm in CONFIG.arms())
    # the fake model's answer is no label: the prompting arms are 0% valid, and say so
    assert table.count("<td>0.0%</td>") == 2
    # the frontier: the cheapest arm is on it
    rows = f1_cost_rows(results)
    assert min(rows, key=lambda r: r["cost"])["frontier"]
