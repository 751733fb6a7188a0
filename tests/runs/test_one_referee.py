"""``crucible eval``, ``crucible run`` and ``crucible judge`` reach every verdict through one
method, ``Referee.submit``: each engine's judging is counted there (on the score benchmark of
``spread.py``, which needs no data files and no model)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from spread import HONEST, MODEST, SPREAD

from codecrucible.correctness import calibrate
from codecrucible.correctness.referee import Referee
from codecrucible.models.cache import Meter
from codecrucible.records import Attempt, Candidate, Completion, Request
from codecrucible.runs import from_model
from codecrucible.runs.from_model import RunConfig, RunProgress
from codecrucible.runs.from_samples import evaluate
from codecrucible.runs.one_program import judge_program
from codecrucible.store import Store


@pytest.fixture
def submitted(monkeypatch, spread_benchmark):
    """Every (task, code) that reaches ``Referee.submit``, from any engine."""
    seen: list[tuple[str, object]] = []
    original = Referee.submit

    def counting(self, task_id, code, tag=None):
        seen.append((task_id, code))
        return original(self, task_id, code, tag)

    monkeypatch.setattr(Referee, "submit", counting)
    return seen


def test_eval_submits_every_sample_to_the_referee(tmp_path, submitted):
    samples = tmp_path / "s.jsonl"
    samples.write_text("".join(json.dumps({"task_id": SPREAD.task_id, "solution": code}) + "\n"
                               for code in (HONEST, MODEST, "")))
    store = Store(tmp_path / "s.db")
    result = evaluate(samples, "spread-test", store, slots=1)
    assert [code["solution"] for _, code in submitted] == [HONEST, MODEST, ""]
    statuses = [v["status"] for v in store.verdicts(result.run_id)]
    assert statuses == ["passed", "passed", "no_code"]


def test_judge_submits_its_program_to_the_referee(submitted):
    judgement = judge_program(HONEST, "spread-test", SPREAD.task_id, None)
    assert submitted == [(SPREAD.task_id, HONEST)]
    assert judgement.passed and judgement.verdicts["base"].score is not None


def test_run_hands_its_strategies_the_referee(tmp_path, submitted, monkeypatch,
                                              sandbox_pool, reference_pool):
    """The strategy submits through ``ctx.referee``: the run engine's referee."""
    def strategy(problem, samples, ctx):
        assert isinstance(ctx.referee, Referee)
        request = Request(prompt=problem.prompt)
        out = []
        for sample in samples:
            verdicts = ctx.referee.submit(problem.task_id, MODEST).result()
            out.append(Candidate(problem.task_id, sample, [Attempt(
                0, request, Completion(MODEST, 1, 1, 0.0), MODEST, verdicts)]))
        return out

    monkeypatch.setattr(from_model.strategies, "get", lambda name: strategy)
    model = SimpleNamespace(meter=Meter(), serial=False, prefills=False, concurrency=1,
                            describe=lambda: {"concurrency": 1})
    tests = calibrate.calibrate([SPREAD], reference_pool, "spread-test")
    store = Store(tmp_path / "r.db")
    run_id = store.create_run("run", "spread-test", "k", {}, {})
    config = RunConfig(benchmark="spread-test")
    written, _ = from_model._generate_and_judge([SPREAD], tests, sandbox_pool, reference_pool,
                                                config, model, store, run_id, RunProgress())
    assert written == 1 and submitted == [(SPREAD.task_id, MODEST)]
    [verdict] = list(store.verdicts(run_id))
    assert verdict["status"] == "passed" and verdict["score"] > 3.7
