"""The HTML page of a real store (runs of two benchmarks, a two-round repair, a samples file;
written by the store's own code, no model): one frontier per benchmark, pass@1 labelled with
its suite, runs named as the terminal names them, no price where none applies, the pass@k
curve, every round of the transcript, and nothing from a run turned into markup."""

from __future__ import annotations

import io
import json
import re

import pytest
from markupsafe import escape
from report_stores import COMPLETION_PROMPT, FEEDBACK, HOSTILE, PROMPT, RIGHT, WRONG, answer, build
from rich.console import Console

from codecrucible.report import charts, html, tables
from codecrucible.report.names import run_names
from codecrucible.store import Store


@pytest.fixture(scope="module")
def built(tmp_path_factory, data_dir):
    where = tmp_path_factory.mktemp("page")
    db, ids = build(where, data_dir)
    return db, ids


@pytest.fixture(scope="module")
def page(built):
    db, ids = built
    runs = html.collect(Store(db), list(ids.values()))
    return runs, html.render(runs)


def _candidate(text: str, run_id: str, task: str, sample: int = 0) -> str:
    """The drill-down of one candidate: from its <details> to the next candidate's."""
    [problem] = [part for part in text.split('<details class="problem"')[1:]
                 if f"<b>{task}</b>" in part.split("</summary>")[0]]
    for part in problem.split('<details class="candidate">')[1:]:
        if f'<span class="id">{run_id}</span> sample {sample}:' in part.split("</summary>")[0]:
            return part
    raise AssertionError(f"no drill-down for {run_id} {task} sample {sample}")


def test_each_benchmark_has_its_own_frontier(page, built):
    runs, text = page
    _, ids = built
    rows = {row["run_id"]: row for row in charts.frontier_rows(
        (run.summary, run.name, html._seconds_per_candidate(run)) for run in runs)}
    assert ids["eval"] not in rows  # a samples file has no model time
    on = {run_id for run_id, row in rows.items() if row["frontier"]}
    # The repair run is dearer than the MBPP+ run at the same pass@1: one frontier over both
    # benchmarks would leave it off.
    assert on == {ids["repair"], ids["single"], ids["mbpp"]}
    assert {rows[i]["benchmark"] for i in on} == {"humaneval+", "mbpp+"}
    svg = text.split('<figure id="frontier">')[1].split("</figure>")[0]
    assert "humaneval+: pass@1 (plus)" in svg and "mbpp+: pass@1 (plus)" in svg
    lines = re.findall(r'<path [^>]*aria-roledescription="line mark" d="([^"]+)"', svg)
    assert len(lines) == 2  # one frontier per panel
    assert sorted(line.count("L") for line in lines) == [0, 1]  # 1 run, then 2 runs joined
    assert len(re.findall(r'aria-roledescription="point"', svg)) == 4  # the four model runs


def test_pass_at_1_says_which_suite(page):
    _, text = page
    assert '<th class="pass1-head">pass@1 (base)</th>' in text
    assert '<th class="pass1-head">pass@1 (plus)</th>' in text
    assert "pass@1</th>" not in text  # no pass@1 without its suite


def test_runs_are_named_as_the_terminal_names_them(page, built):
    runs, text = page
    db, ids = built
    names = run_names([run.summary for run in runs])
    assert names[ids["repair"]] == "qwen2.5-coder-0.5b · repair · humaneval+"
    assert names[ids["mbpp"]] == "qwen2.5-coder-0.5b · single · mbpp+"
    assert names[ids["eval"]] == "humaneval_samples.jsonl · eval · humaneval+"
    # the two single runs of HumanEval+ differ in their sampling, and say so
    assert names[ids["single"]] == \
        "qwen2.5-coder-0.5b · single · humaneval+ (n 1, temperature 0.0)"
    assert names[ids["sampled"]] == \
        "qwen2.5-coder-0.5b · single · humaneval+ (n 2, temperature 0.8)"
    for run_id, name in names.items():
        assert f'<b class="name">{escape(name)}</b> <span class="id">{run_id}</span>' in text
    console = Console(width=400, record=True, file=io.StringIO())
    console.print(tables.run_list([run.summary for run in runs]))
    terminal = console.export_text()
    assert all(name in terminal for name in names.values())


def test_two_runs_with_the_same_settings_get_numbers():
    from codecrucible.report.summary import RunSummary

    def twin(run_id: str) -> RunSummary:
        return RunSummary(run_id, "mbpp+", "run", 0.0, None,
                          {"model": "openai:http://h/v1#gpt-4o", "strategy": "single"}, {},
                          {}, {}, {})
    assert list(run_names([twin("a"), twin("b")]).values()) == \
        ["gpt-4o · single · mbpp+ #1", "gpt-4o · single · mbpp+ #2"]


def test_a_local_model_has_no_price(page, built):
    _, text = page
    _, ids = built
    assert "USD 0.0000" not in text and "USD" not in re.sub(r"<p class=\"muted\" id=\"prices\">"
                                                            r".*?</p>", "", text, flags=re.S)
    row = text.split(f'<tr data-run="{ids["repair"]}">')[1].split("</tr>")[0]
    assert '<td class="l money">no price: local model</td>' in row
    assert "180 / 90" in row  # its tokens in and out, over both rounds
    assert "No price applies to these runs" in text


def test_a_priced_model_shows_its_price_table(built, tmp_path, monkeypatch):
    db, ids = built
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"embedded:qwen2.5-*": {"input_per_mtok": 1000.0,
                                                          "output_per_mtok": 2000.0}}))
    monkeypatch.setenv("CRUCIBLE_PRICES", str(prices))
    text = html.render(html.collect(Store(db), [ids["repair"]]))
    # 180 tokens in and 90 out for one solved problem: 0.18 + 0.18 USD
    assert '<td class="l money">USD 0.3600</td>' in text
    assert "<b>embedded:qwen2.5-*</b>: 1000.0 in, 2000.0 out, 0 per hour" in text
    assert str(prices) in text


def test_the_pass_at_k_curve(page, built):
    runs, text = page
    _, ids = built
    rows = charts.pass_at_k_rows((run.summary, run.name) for run in runs)
    sampled = {row["k"]: row["passk"] for row in rows if row["run_id"] == ids["sampled"]}
    # HumanEval/0: 1 of 2 samples passed; HumanEval/1: none
    assert sampled == {1: pytest.approx(0.25), 2: pytest.approx(0.5)}
    svg = text.split('<figure id="passk">')[1].split("</figure>")[0]
    assert len(re.findall(r'aria-roledescription="line mark"', svg)) == len(runs)


def test_the_transcript_shows_every_round(page, built):
    _, text = page
    _, ids = built
    part = _candidate(text, ids["repair"], "HumanEval/0")
    rounds = re.findall(r'<details class="round" open><summary>round (\d+): '
                        r'<span class="st (\w+)">', part)
    assert rounds == [("0", "failed"), ("1", "passed")]
    first, second = part.split('<details class="round"')[1:3]
    for shown in (first, second):
        assert f'<span class="role user">user</span><pre>{escape(PROMPT)}</pre>' in shown
        assert '<span class="role system">system</span>' in shown
    assert f"<pre class=\"raw\">{escape(answer(WRONG).text)}</pre>" in first
    assert f"<pre class=\"raw\">{escape(answer(RIGHT).text)}</pre>" in second
    # round 1's prompt holds round 0's answer and the failure fed back
    assert f'<span class="role assistant">assistant</span><pre>{escape(answer(WRONG).text)}' \
        in second
    assert escape(FEEDBACK) in second.split("raw answer")[0]
    assert f'<span class="role feedback">first failure</span><pre>{escape(FEEDBACK)}' in first
    assert "final verdict</b>: base <span class=\"st passed\">passed</span> 3/3" in part


def test_a_completion_prompt_is_shown_as_one(page, built):
    _, text = page
    _, ids = built
    part = _candidate(text, ids["mbpp"], "Mbpp/3")
    assert f'<span class="role">prompt (completion)</span><pre>{escape(COMPLETION_PROMPT)}' \
        in part
    assert '<span class="role user">' not in part


def test_nothing_from_a_run_becomes_markup(page):
    _, text = page
    assert "</script><script>alert(1)" not in text
    assert str(escape(HOSTILE)) in text
    assert text.count("<script>") == 1  # the page's own


def test_the_page_fetches_nothing(page):
    _, text = page
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", text, re.I)


def test_a_big_page_keeps_some_transcripts_and_says_so(built):
    db, ids = built
    runs = html.collect(Store(db), [ids["sampled"]])
    text = html.render(runs, max_transcribed=3, per_problem=1)
    assert "holds the transcripts of the first 1 samples of each problem only" in text
    assert f"{runs[0].name}: 2 of 4" in text
    assert "transcript not on this page" in _candidate(text, ids["sampled"], "HumanEval/0", 1)
    assert "raw answer" in _candidate(text, ids["sampled"], "HumanEval/0", 0)
    whole = html.render(html.collect(Store(db), [ids["sampled"]]))
    assert "transcript not on this page" not in whole
