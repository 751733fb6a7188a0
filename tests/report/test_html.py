"""The HTML report of three real runs, opened in headless Chromium as a user would: it loads from
a file URL with no network, raises no console errors, shows the numbers the store holds, and
its problem filter works; a screenshot is kept and must not be blank."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from support import crucible, run_id_of

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# The fixture's three model runs count against the first test's time limit.
pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason="chromium is installed by 'make test'"),
              pytest.mark.timeout(900)]
TASKS = ("--task", "HumanEval/0", "--task", "HumanEval/4")


def browse(url: str, *flags: str) -> subprocess.CompletedProcess:
    """Headless Chromium on ``url``; the page's console messages come out on stderr."""
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           "--no-first-run", "--enable-logging=stderr", "--v=0", *flags, url],
                          capture_output=True, text=True, timeout=120)


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.fixture(scope="module")
def report(tmp_path_factory, data_dir):
    """Three runs of the embedded model (chat, completion-style, repair) with every judge, and
    the page that compares them."""
    where = tmp_path_factory.mktemp("report")
    db = where / "runs.db"
    ids = []
    for extra in ((), ("--prompt-style", "completion"), ("-s", "repair", "--rounds", "1")):
        result = crucible("run", *TASKS, *extra, "--judges", "all", "--store", str(db),
                          "--data-dir", str(data_dir), "--summary",
                          str(where / f"s{len(ids)}.json"))
        assert result.returncode == 0, result.stderr
        ids.append(run_id_of(result.stderr + result.stdout))
    page = where / "report.html"
    made = crucible("report", *ids, "--store", str(db), "--html", str(page))
    assert made.returncode == 0, made.stderr
    summaries = [json.loads((where / f"s{i}.json").read_text()) for i in range(3)]
    return page, ids, summaries


def test_the_page_is_self_contained(report):
    page, _, _ = report
    text = page.read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)  # nothing from a network
    assert "<style>" in text and "<script>" in text


def test_the_page_loads_without_console_errors_and_shows_the_stored_numbers(report):
    page, ids, summaries = report
    shown = browse(page.as_uri(), "--dump-dom")
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert console_messages(shown.stderr) == []
    dom = shown.stdout
    rows = re.findall(r'<tr><td class="l">([0-9a-f]{12})</td>.*?<td class="pass1">([\d.]+)</td>',
                      dom)
    expected = {s["run_id"]: f"{100 * s['suites']['base']['pass_at_k']['pass@1']:.1f}"
                for s in summaries}
    assert dict(rows) == expected and len(rows) == 3
    assert 'id="frontier"' in dom and "frontier (no other run" in dom
    for name in ("maintainability.mi", "security.insecure", "style.findings"):
        assert name in dom
    metric = summaries[0]["environment"]["efficiency_metric"]
    assert f"efficiency: {html.escape(metric, quote=False)}; ratios" in dom
    for task in ("HumanEval/0", "HumanEval/4"):
        assert f"<b>{task}</b>" in dom
    assert "def " in dom  # the programs themselves, for review
    assert set(ids) <= set(re.findall(r"[0-9a-f]{12}", dom))


def test_the_filter_narrows_the_problems(report):
    page, _, _ = report
    shown = browse(page.as_uri() + "#filter=HumanEval/4", "--dump-dom")
    assert console_messages(shown.stderr) == []
    assert re.search(r'id="shown">1<', shown.stdout)


def test_a_screenshot_of_the_page_is_not_blank(report):
    from PIL import Image

    page, _, _ = report
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
