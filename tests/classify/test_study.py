"""A tiny study end to end: killed with SIGKILL mid-way, resumed without redoing a
prediction; its cost figures add up to what it measured; the page comes out."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("classify_study_script.py")
sys.path.insert(0, str(SCRIPT.parent))
from classify_study_script import CONFIG, write_data  # noqa: E402
from fake_model import FakeModel  # noqa: E402

from codecrucible.classify import ClassifyError  # noqa: E402
from codecrucible.classify.study import make_split, run  # noqa: E402
from codecrucible.classify.tasks import user_items  # noqa: E402


def _predictions(ledger: Path) -> list[tuple]:
    if not ledger.exists():
        return []
    try:
        with sqlite3.connect(ledger) as db:
            return db.execute("SELECT arm, item_id FROM predictions").fetchall()
    except sqlite3.OperationalError:
        return []


def test_killed_study_resumes_without_redoing_a_prediction(tmp_path):
    data = write_data(tmp_path / "data.jsonl")
    out = tmp_path / "study"
    test_items = len(make_split(CONFIG, user_items(data, group="group")).test)
    arms = len(CONFIG.arms())
    first = subprocess.Popen([sys.executable, str(SCRIPT), str(data), str(out), "0.3"])
    deadline = time.monotonic() + 240
    # both baselines done and a few prompted items: then kill it mid-arm
    while time.monotonic() < deadline and len(_predictions(out / "ledger.sqlite")) < \
            2 * test_items + 3:
        time.sleep(0.1)
    first.send_signal(signal.SIGKILL)
    first.wait()
    before = _predictions(out / "ledger.sqlite")
    calls_before = (out / "calls.log").read_text().count("call")
    assert 2 * test_items + 3 <= len(before) < arms * test_items
    assert not (out / "results.json").exists()

    second = subprocess.run([sys.executable, str(SCRIPT), str(data), str(out), "0"],
                            timeout=240)
    assert second.returncode == 0
    after = _predictions(out / "ledger.sqlite")
    assert len(after) == len(set(after)) == arms * test_items
    # task_only: one call per item, zero_shot_cot: two; the resumed run asked only for the
    # items not yet in the ledger (a call in flight at the kill is asked again)
    prompted_before = sum(arm.startswith("prompt:") for arm, _ in before)
    calls = (out / "calls.log").read_text().count("call")
    assert calls - calls_before <= 3 * test_items - prompted_before + 1
    results = json.loads((out / "results.json").read_text())
    assert [r["arm"] for r in results["arms"]] == CONFIG.arms()
    assert (out / "report.html").read_text().count("<svg") == 2


def test_cost_figures_add_up_to_the_measured_totals(tmp_path):
    items = user_items(write_data(tmp_path / "data.jsonl"), group="group")
    model = FakeModel("favor")
    started = time.process_time()
    results = run(CONFIG, items, tmp_path / "s", opener=lambda spec, threads: model)
    measured = time.process_time() - started
    with sqlite3.connect(tmp_path / "s" / "ledger.sqlite") as db:
        for row in results["arms"]:
            cpu, tokens = db.execute("SELECT SUM(cpu_s), SUM(tokens_in + tokens_out) FROM "
                                     "predictions WHERE arm = ?", (row["arm"],)).fetchone()
            [setup] = db.execute("SELECT cpu_s FROM setups WHERE arm = ?", (row["arm"],))
            assert row["item_cpu_s"] == pytest.approx(cpu)
            assert row["per_item_cpu_s"] * row["items"] == pytest.approx(cpu)
            assert row["total_cpu_s"] == pytest.approx(setup[0] + cpu)
            assert row["per_item_tokens"] * row["items"] == pytest.approx(tokens)
    assert results["totals"]["arms_cpu_s"] == pytest.approx(
        sum(r["total_cpu_s"] for r in results["arms"]))
    # what the arms are charged is part of what the process spent, not more
    assert 0 < results["totals"]["arms_cpu_s"] + results["totals"]["warm_up_cpu_s"] <= measured
    # the fake model's calls are the prompting arms' tokens: 1 per answer
    prompt_rows = [r for r in results["arms"] if r["kind"] == "prompt"]
    assert model.calls == sum(r["items"] for r in prompt_rows) * 3 // 2
    assert all(r["validity"] == 1.0 for r in prompt_rows)


def test_a_resume_with_other_settings_is_refused(tmp_path):
    items = user_items(write_data(tmp_path / "data.jsonl"), group="group")
    run(CONFIG, items, tmp_path / "s", opener=lambda spec, threads: FakeModel())
    other = type(CONFIG)("file", baselines=("tfidf-lr",), bootstrap=10)
    with pytest.raises(ClassifyError, match="other settings"):
        run(other, items, tmp_path / "s")
