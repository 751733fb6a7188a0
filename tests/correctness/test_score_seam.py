"""The score seam: a problem judged by a number that a trusted scorer in the harness computes
from the values the candidate's calls sent back as data, on a benchmark the tests define and
register at run time (``spread.py``). Candidates that try to forge their score get no more
than their honest values are worth."""

from __future__ import annotations

import json
import math
import sqlite3

import pytest
from spread import BEST, CROWDED, FORGERIES, HONEST, MODEST, SPREAD
from support import STORE_VERSION_1

from codecrucible.correctness import calibrate
from codecrucible.correctness.expected import TimeLimits
from codecrucible.correctness.referee import Referee
from codecrucible.records import Status
from codecrucible.report.summary import summarize, write_details
from codecrucible.runs.from_samples import evaluate
from codecrucible.store import Store


@pytest.fixture(scope="module")
def referee(sandbox_pool, reference_pool):
    tests = calibrate.calibrate([SPREAD], reference_pool, "spread-test")
    assert not tests[SPREAD.task_id].error
    referee = Referee({SPREAD.task_id: SPREAD}, tests, sandbox_pool, TimeLimits(),
                      references=reference_pool)
    yield referee
    referee.close()


def _verdict(referee, code):
    return referee.submit(SPREAD.task_id, code).result()["base"]


def test_valid_values_pass_with_the_scorers_score(referee):
    honest, modest = _verdict(referee, HONEST), _verdict(referee, MODEST)
    assert honest.status is Status.PASSED and math.isclose(honest.score, BEST)
    assert modest.status is Status.PASSED and math.isclose(modest.score, 3.8)
    crowded = _verdict(referee, CROWDED)
    assert crowded.status is Status.FAILED and crowded.score is None
    assert "within 0.1" in crowded.first_failure


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_a_candidate_cannot_forge_its_score(referee, name):
    verdict = _verdict(referee, FORGERIES[name])
    assert verdict.score is None or verdict.score <= 3.8 + 1e-9, (name, verdict)
    if verdict.score is None:
        assert not verdict.passed, (name, verdict)


def test_eval_stores_scores_and_the_summary_reports_the_best(tmp_path, spread_benchmark):
    samples = tmp_path / "spread.jsonl"
    samples.write_text("".join(json.dumps({"task_id": SPREAD.task_id, "solution": code}) + "\n"
                               for code in (HONEST, MODEST, CROWDED)))
    store = Store(tmp_path / "s.db")
    result = evaluate(samples, "spread-test", store, slots=2)
    suite = summarize(store, result.run_id).suites["base"]
    assert math.isclose(suite.best_score, BEST)
    assert math.isclose(suite.mean_score, (BEST + 3.8) / 2)
    assert suite.passed == 2
    write_details(store, result.run_id, tmp_path / "d.jsonl")
    details = [json.loads(line) for line in (tmp_path / "d.jsonl").read_text().splitlines()]
    assert [d.get("score") is not None for d in details] == [True, True, False]


def test_a_store_made_before_scores_gets_the_column_and_stays_readable(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # the verdicts table as it was before scores
        conn.executescript(STORE_VERSION_1)
    store = Store(path)
    [row] = list(store.verdicts("r1"))
    assert row["status"] == "passed" and "score" not in row
    summary = summarize(store, "r1").suites["base"]
    assert summary.passed == 1 and "best_score" not in summary.to_dict()
    store.close()
