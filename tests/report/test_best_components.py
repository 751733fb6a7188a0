"""Score problems in ``crucible report``: each task's best-scored program with its scorer's
components, in the terminal and on the HTML page, from a real ``crucible eval`` of scripted
programs on the discovery tasks."""

from __future__ import annotations

import json
import re

import pytest
from support import crucible, rows

from codecrucible import benchmarks
from codecrucible.records import components_text
from codecrucible.report.summary import summarize
from codecrucible.store import Store

pytestmark = pytest.mark.timeout(600)
PROBLEMS = {p.task_id: p for p in benchmarks.get("discovery").load(None)}
CIRCLES, CAPSET = "Discovery/circle_packing_26", "Discovery/cap_set_8"
OR = "Discovery/bin_packing_or"
# 25 circles of radius 0.1 on a grid and a small one between four of them: valid, 2.54.
GRID = ("def pack_circles(n):\n    grid = [(0.1 + 0.2 * i, 0.1 + 0.2 * j, 0.1)"
        " for i in range(5) for j in range(5)]\n    return (grid + [(0.2, 0.2, 0.04)])[:n]\n")
ONE_PER_BIN = "def pack(items, capacity):\n    return list(range(len(items)))\n"
SAMPLES = [(CIRCLES, GRID), (CIRCLES, PROBLEMS[CIRCLES].reference),
           (CAPSET, PROBLEMS[CAPSET].reference), (OR, ONE_PER_BIN)]
WIDE = {"COLUMNS": "200"}


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory, data_dir):
    folder = tmp_path_factory.mktemp("best")
    samples, db = folder / "samples.jsonl", folder / "runs.db"
    samples.write_text("".join(json.dumps({"task_id": task, "solution": code}) + "\n"
                               for task, code in SAMPLES))
    done = crucible("eval", str(samples), "-b", "discovery", "--store", str(db),
                    "--data-dir", str(data_dir))
    assert done.returncode == 0, done.stderr
    [(run_id,)] = rows(db, "SELECT id FROM runs")
    return db, run_id


def test_the_store_keeps_each_verdicts_components(evaluated):
    db, _ = evaluated
    kept = {(task, sample): json.loads(c) if c else None for task, sample, c in
            rows(db, "SELECT task_id, sample, components FROM verdicts")}
    assert kept[(CIRCLES, 0)]["sum_of_radii"] == pytest.approx(2.54)
    assert set(kept[(OR, 0)]) == {"bins", "l1_bound", "worst_ratio"}   # scored nothing


def test_the_summary_names_each_tasks_best_program(evaluated):
    db, run_id = evaluated
    store = Store(db)
    try:
        [suite] = summarize(store, run_id).suites.values()
    finally:
        store.close()
    assert list(suite.best) == [CAPSET, CIRCLES]   # bin packing scored nothing: left out
    circles = suite.best[CIRCLES]
    assert circles.sample == 1 and circles.score > 2.54    # the reference beats the grid
    assert circles.components["circles"] == 26
    assert circles.components["sum_of_radii"] == pytest.approx(circles.score)
    assert suite.best[CAPSET].components["size"] == suite.best[CAPSET].score


def test_the_terminal_report_shows_them(evaluated):
    db, run_id = evaluated
    shown = crucible("report", run_id, "--store", str(db), env_extra=WIDE)
    assert shown.returncode == 0, shown.stderr
    assert "best program per task" in shown.stdout
    [line] = [s for s in shown.stdout.splitlines() if CIRCLES in s]
    assert re.search(r"sum_of_radii 2\.54\d*, circles 26", line), line
    assert "Discovery/bin_packing_or" not in shown.stdout


def test_the_html_page_shows_them(evaluated, tmp_path):
    db, run_id = evaluated
    page = tmp_path / "report.html"
    done = crucible("report", run_id, "--store", str(db), "--html", str(page))
    assert done.returncode == 0, done.stderr
    html = page.read_text()
    section = html[html.index('<table id="best">'):]
    section = section[:section.index("</table>")]
    store = Store(db)
    try:
        best = summarize(store, run_id).suites["base"].best
    finally:
        store.close()
    for task, program in best.items():
        assert task in section and components_text(program.components) in section
