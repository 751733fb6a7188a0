"""``crucible run -m A -m B`` end to end: sample k is written by model k mod 2, every round of a
search trial by the same model, the store and the report say which, and a resumed run sends
each sample where it went before."""

from __future__ import annotations

import json
import sqlite3

import pytest
from support import crucible, rows

from codecrucible.models.llama import CATALOG, assemble

pytestmark = pytest.mark.timeout(900)
WIDE = {"COLUMNS": "220"}  # a terminal wide enough for the specs on one line


@pytest.fixture(scope="module")
def two_models(tmp_path_factory, data_dir):
    """An evolve search on HumanEval/0 with two trials: the embedded model by name, and the
    same file as ``gguf:PATH`` (two members, one identity: each its own trial and seed)."""
    specs = ["embedded:qwen2.5-coder-0.5b", f"gguf:{assemble(CATALOG['qwen2.5-coder-0.5b'])}"]
    db = tmp_path_factory.mktemp("two") / "runs.db"
    result = crucible("run", "-m", specs[0], "-m", specs[1], "--task", "HumanEval/0",
                      "-s", "evolve", "--rounds", "1", "-n", "2", "-t", "0.8",
                      "--max-tokens", "300", "--threads", "1", "--store", str(db),
                      "--data-dir", str(data_dir), env_extra=WIDE)
    assert result.returncode == 0, result.stderr
    return db, specs, result


def test_each_trial_is_written_by_its_model(two_models):
    db, specs, _ = two_models
    attempts = rows(db, "SELECT sample, model, request FROM attempts ORDER BY sample, round")
    assert {sample for sample, _, _ in attempts} == {0, 1}
    for sample, model, request in attempts:
        assert model == specs[sample % 2]            # every round of the trial
        assert json.loads(request)["trial"] == sample


def test_the_run_records_every_model(two_models):
    db, specs, _ = two_models
    [(config, environment)] = rows(db, "SELECT config, environment FROM runs")
    config, environment = json.loads(config), json.loads(environment)
    assert config["models"] == specs and config["model"] == specs[0]
    members = environment["model"]["members"]
    assert [m["spec"] for m in members] == specs
    assert environment["model_identity"] == " + ".join(m["identity"] for m in members)


def test_the_report_shows_each_model(two_models):
    db, specs, result = two_models
    for output in (result.stdout, crucible("report", "--store", str(db), env_extra=WIDE).stdout):
        assert "per model" in output
        assert "embedded:qwen2.5-coder-0.5b" in output and "gguf:" in output


def test_a_resumed_run_sends_each_trial_to_its_model(two_models, tmp_path):
    db, specs, _ = two_models
    copy = tmp_path / "resume.db"
    with sqlite3.connect(db) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    with sqlite3.connect(copy) as conn:  # as if the run had stopped before trial 1 was judged
        for table in ("attempts", "samples", "verdicts"):
            conn.execute(f"DELETE FROM {table} WHERE sample = 1")
    [(run_id,)] = rows(copy, "SELECT id FROM runs")
    again = crucible("run", "--resume", run_id, "--store", str(copy))
    assert again.returncode == 0, again.stderr
    before = rows(db, "SELECT sample, round, model, raw FROM attempts ORDER BY sample, round")
    after = rows(copy, "SELECT sample, round, model, raw FROM attempts ORDER BY sample, round")
    assert after == before  # the same model, and (seeded, cached) the same answers
    assert rows(copy, "SELECT DISTINCT model FROM attempts WHERE sample = 1") == [(specs[1],)]
