"""Exports that feed other tools: a run's candidates as an EvalPlus samples file, judged again
to the same verdicts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from codecrucible import benchmarks
from codecrucible.records import Status, Verdict
from codecrucible.report.summary import SUMMARY_SCHEMA, iso_time, summarize
from codecrucible.runs.from_samples import evaluate
from codecrucible.store import Store

CRUCIBLE = str(Path(sys.executable).with_name("crucible"))
TASKS = [f"HumanEval/{i}" for i in range(4)]


def _report(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CRUCIBLE, "report", *args], capture_output=True, text=True,
                          env=dict(os.environ), timeout=120)


def _said(result: subprocess.CompletedProcess) -> str:
    """What the command printed on stderr, as one line (the terminal may wrap it)."""
    return " ".join(result.stderr.split())


def _verdicts(store: Store, run_id: str) -> list[tuple]:
    return [(v["task_id"], v["sample"], v["suite"], v["status"], v["tests_passed"])
            for v in store.verdicts(run_id)]


def test_a_samples_export_judged_again_gives_the_same_verdicts(tmp_path, data_dir):
    problems = {p.task_id: p for p in benchmarks.get("humaneval+").load(data_dir)}
    rows = []
    for task in TASKS:  # both formats: whole programs and completions after the prompt
        rows += [{"task_id": task, "completion": "    return 1/0\n"},
                 {"task_id": task, "solution": problems[task].reference},
                 {"task_id": task, "completion": "    return None\n"},
                 {"task_id": task, "completion": ""}]
    source = tmp_path / "source.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    db = tmp_path / "s.db"
    store = Store(db)
    first = evaluate(source, "humaneval+", store, data_dir=data_dir, slots=2).run_id

    export, scores = tmp_path / "export.jsonl", tmp_path / "scores.jsonl"
    result = _report(first, "--store", str(db), "--samples", str(export), "--jsonl", str(scores))
    assert result.returncode == 0, result.stderr
    assert f"wrote {len(rows)} samples to {export}" in _said(result)
    exported = [json.loads(line) for line in export.read_text().splitlines()]
    assert all(row.keys() == {"task_id", "solution"} for row in exported)
    assert exported[1] == {"task_id": "HumanEval/0", "solution": problems["HumanEval/0"].reference}
    # a completion is written as the whole program: the prompt and the completion
    assert exported[2]["solution"] == problems["HumanEval/0"].prompt + "    return None\n"
    assert exported[3]["solution"] == ""  # no code in it: judged again, no code again
    created = iso_time(store.run(first)["created"])
    assert {json.loads(line)["run_created"] for line in scores.read_text().splitlines()} == \
        {created}

    again = evaluate(export, "humaneval+", store, data_dir=data_dir, slots=2).run_id
    assert again != first
    for suite in ("base", "plus"):
        assert store.counts(again, suite) == store.counts(first, suite)
        assert store.counts(first, suite)["HumanEval/0"] == (4, 1)
        assert store.status_counts(again, suite) == store.status_counts(first, suite)
    assert _verdicts(store, again) == _verdicts(store, first)
    store.close()

    both = _report("--store", str(db), "--samples", str(tmp_path / "both.jsonl"))
    assert both.returncode == 2
    assert "--samples writes one run's candidates; name one run (got 2)" in _said(both)
    assert not (tmp_path / "both.jsonl").exists()


def test_the_summary_json_has_its_schema_and_iso_times(tmp_path):
    store = Store(tmp_path / "s.db")
    run_id = store.create_run("eval", "humaneval", "k", {}, {})
    store.add_verdicts(run_id, [("HumanEval/0", 0, {"base": Verdict(Status.PASSED, 1, 1)})])
    store.db.execute("UPDATE runs SET created = 1796057100.25 WHERE id = ?", (run_id,))
    summary = summarize(store, run_id)
    data = summary.to_dict()
    assert list(data)[:2] == ["schema", "run_id"] and data["schema"] == SUMMARY_SCHEMA == 2
    assert data["created"] == "2026-11-30T16:45:00Z" and data["finished"] is None
    assert summary.created == 1796057100.25  # the record keeps epoch seconds
    store.finish_run(run_id)
    finished = summarize(store, run_id)
    assert finished.to_dict()["finished"] == iso_time(finished.finished)
    assert finished.to_dict()["finished"].endswith("Z")
    store.close()
