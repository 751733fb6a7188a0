"""The HTML report of three real runs of two benchmarks (HumanEval, MBPP+; one a repair run),
opened in headless Chromium as a user would: it loads from a file URL with no network, raises
no console errors, draws its charts, shows the numbers the store holds, opens a problem's
transcript, and its problem filter works; a screenshot is kept and must not be blank."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from report_stores import PROMPT, RIGHT, WRONG, answer, build
from support import CHROMIUM, browse, console_messages, crucible, rows, run_id_of

# The fixture's three model runs count against the first test's time limit.
pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason="chromium is installed by 'make test'"),
              pytest.mark.timeout(1800)]
TASKS = ("--task", "HumanEval/0", "--task", "HumanEval/4")
# The second benchmark and the repair run are kept small (the repair run's first round is
# the first run's cached answer): the machine is shared.
MBPP = ("-b", "mbpp+", "--task", "Mbpp/2", "--max-tokens", "384")
REPAIR = ("--task", "HumanEval/0", "-s", "repair", "--rounds", "1")


@pytest.fixture(scope="module")
def report(tmp_path_factory, data_dir):
    """Three runs of the embedded model (HumanEval with every judge, MBPP+, and a HumanEval
    repair run), and the page that compares them."""
    where = tmp_path_factory.mktemp("report")
    db = where / "runs.db"
    ids = []
    for extra in ((*TASKS, "--judges", "all"), MBPP, REPAIR):
        result = crucible("run", *extra, "--store", str(db),
                          "--data-dir", str(data_dir), "--summary",
                          str(where / f"s{len(ids)}.json"))
        assert result.returncode == 0, result.stderr
        ids.append(run_id_of(result.stderr + result.stdout))
    page = where / "report.html"
    made = crucible("report", *ids, "--store", str(db), "--html", str(page))
    assert made.returncode == 0, made.stderr
    summaries = [json.loads((where / f"s{i}.json").read_text()) for i in range(3)]
    return page, ids, summaries, db


def test_the_page_is_self_contained(report):
    page, *_ = report
    text = page.read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)  # nothing from a network
    assert "<style>" in text and "<script>" in text


def test_the_page_loads_without_console_errors_and_shows_the_stored_numbers(report):
    page, ids, summaries, _ = report
    shown = browse(page.as_uri(), "--dump-dom")
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert console_messages(shown.stderr) == []
    dom = shown.stdout
    cells = re.findall(r'<tr data-run="([0-9a-f]{12})">.*?</tr>', dom, re.S)
    assert cells == ids
    for s in summaries:
        row = dom.split(f'<tr data-run="{s["run_id"]}">')[1].split("</tr>")[0]
        for suite, numbers in s["suites"].items():
            expected = f"{100 * numbers['pass_at_k']['pass@1']:.1f}"
            assert f'<td class="pass1" data-suite="{suite}">{expected}</td>' in row
        assert "no price: local model" in row and "USD" not in row
    assert "pass@1 (base)" in dom and "pass@1 (plus)" in dom  # MBPP+ has both suites
    names = re.findall(r'<b class="name">([^<]+)</b>', dom)
    assert names[0] == "qwen2.5-coder-0.5b · single · humaneval"
    assert names[2] == "qwen2.5-coder-0.5b · repair · humaneval"
    assert names[1] == "qwen2.5-coder-0.5b · single · mbpp+"
    for chart in ("frontier", "passk"):  # drawn as SVG, inline
        figure = dom.split(f'<figure id="{chart}">')[1].split("</figure>")[0]
        assert figure.startswith("<svg") and 'aria-roledescription="line mark"' in figure
    frontier = dom.split('<figure id="frontier">')[1].split("</figure>")[0]
    assert "humaneval: pass@1 (base)" in frontier and "mbpp+: pass@1 (plus)" in frontier
    for name in ("maintainability.mi", "security.insecure", "style.findings"):
        assert name in dom
    metric = summaries[0]["environment"]["efficiency_metric"]
    assert f"efficiency: {html.escape(metric, quote=False)}; ratios" in dom
    for task in ("HumanEval/0", "HumanEval/4", "Mbpp/2"):
        assert f"<b>{task}</b>" in dom
    assert "def " in dom  # the programs themselves, for review


def test_opening_a_problem_shows_each_round_of_its_transcript(report):
    page, ids, _, db = report
    shown = browse(page.as_uri() + "#open=HumanEval/0", "--dump-dom")
    assert console_messages(shown.stderr) == []
    dom = shown.stdout
    assert re.search(r'id="shown">1<', dom)
    [problem] = [part for part in dom.split('<details class="problem"')[1:]
                 if "<b>HumanEval/0</b>" in part.split("</summary>")[0]]
    assert problem.startswith(' data-search="humaneval/0') and ' open=""' in \
        problem.split(">")[0]
    candidates = problem.split('<details class="candidate"')[1:]
    assert len(candidates) == 2 and all(c.startswith(' open=""') for c in candidates)
    repair = next(c for c in candidates if f'<span class="id">{ids[2]}</span>' in c)
    stored = rows(db, f"SELECT round, status, raw FROM attempts WHERE run_id = '{ids[2]}' "
                      "AND task_id = 'HumanEval/0' ORDER BY round")
    shown_rounds = re.findall(r'<details class="round" open=""><summary>round (\d+): '
                              r'<span class="st (\w+)">', repair)
    assert shown_rounds == [(str(r), status) for r, status, _ in stored]
    for _, _, raw in stored:  # each round's raw answer, as the model gave it (a <pre>
        # drops a leading newline)
        assert html.escape(raw.strip(), quote=False) in repair
    assert '<span class="role user">user</span>' in repair and "raw answer" in repair


@pytest.fixture(scope="module")
def stored_page(tmp_path_factory, data_dir):
    """The page of runs of two benchmarks and a two-round repair, written by the store's own
    code (no model: ``report_stores``), made by ``crucible report --html``."""
    where = tmp_path_factory.mktemp("stored")
    db, ids = build(where, data_dir)
    page = where / "report.html"
    made = crucible("report", *ids.values(), "--store", str(db), "--html", str(page))
    assert made.returncode == 0, made.stderr
    return page, ids


def test_the_browser_draws_the_charts_and_opens_a_repair_transcript(stored_page):
    page, ids = stored_page
    shown = browse(page.as_uri() + "#open=HumanEval/0", "--dump-dom")
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert console_messages(shown.stderr) == []
    dom = shown.stdout
    for chart in ("frontier", "passk"):
        figure = dom.split(f'<figure id="{chart}">')[1].split("</figure>")[0]
        assert figure.startswith("<svg") and 'aria-roledescription="line mark"' in figure
    frontier = dom.split('<figure id="frontier">')[1].split("</figure>")[0]
    assert "humaneval+: pass@1 (plus)" in frontier and "mbpp+: pass@1 (plus)" in frontier
    assert re.search(r'id="shown">1<', dom)
    [problem] = [part for part in dom.split('<details class="problem"')[1:]
                 if "<b>HumanEval/0</b>" in part.split("</summary>")[0]]
    assert ' open=""' in problem.split(">")[0]
    repair = next(c for c in problem.split('<details class="candidate"')[1:]
                  if f'<span class="id">{ids["repair"]}</span>' in c.split("</summary>")[0])
    assert repair.startswith(' open=""')
    rounds = re.findall(r'<details class="round" open=""><summary>round (\d+): '
                        r'<span class="st (\w+)">', repair)
    assert rounds == [("0", "failed"), ("1", "passed")]
    assert f'<span class="role user">user</span><pre>{html.escape(PROMPT)}</pre>' in repair
    for code in (WRONG, RIGHT):
        assert f'<pre class="raw">{html.escape(answer(code).text, quote=False)}</pre>' in repair


def test_the_filter_narrows_the_problems(report):
    page, *_ = report
    shown = browse(page.as_uri() + "#filter=HumanEval/4", "--dump-dom")
    assert console_messages(shown.stderr) == []
    assert re.search(r'id="shown">1<', shown.stdout)


def test_a_screenshot_of_the_page_is_not_blank(report):
    from PIL import Image

    page, *_ = report
    picture = page.with_suffix(".png")
    shot = browse(page.as_uri(), f"--screenshot={picture}", "--window-size=1280,1600")
    assert shot.returncode == 0 and picture.is_file(), shot.stderr[-2000:]
    image = Image.open(picture).convert("RGB")
    assert image.size == (1280, 1600)
    colors = image.getcolors(maxcolors=1 << 20)
    assert colors is not None and len(colors) > 50  # text, tables and the chart, not a blank


def test_the_console_check_catches_a_broken_page(tmp_path):
    broken = tmp_path / "broken.html"
    broken.write_text("<!doctype html><p>x</p><script>undefinedFunction();</script>")
    messages = console_messages(browse(broken.as_uri(), "--dump-dom").stderr)
    assert any("undefinedFunction" in m for m in messages)


def test_the_page_for_a_store_path(tmp_path):
    missing = crucible("report", "--store", str(tmp_path / "none.db"), "--html",
                       str(tmp_path / "r.html"))
    assert missing.returncode == 2 and "no such store" in missing.stderr
    assert not Path(tmp_path / "r.html").exists()
