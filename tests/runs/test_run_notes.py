"""What ``runs.from_model.start`` tells its front end when a run starts (on the score benchmark
of ``spread.py``, with a stand-in model: no data files, no model time)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from spread import MODEST

from codecrucible.models.cache import Meter
from codecrucible.records import Attempt, Candidate, Completion, Request
from codecrucible.runs import from_model
from codecrucible.runs.from_model import RunConfig, RunProgress
from codecrucible.store import Store


@pytest.fixture
def stand_in(monkeypatch, spread_benchmark):
    """A model that is never asked (the strategy answers itself) and a strategy that submits
    one modest answer per sample."""
    def strategy(problem, samples, ctx):
        request = Request(prompt=problem.prompt)
        return [Candidate(problem.task_id, sample, [Attempt(
            0, request, Completion(MODEST, 1, 1, 0.0), MODEST,
            ctx.referee.submit(problem.task_id, MODEST).result())]) for sample in samples]

    strategy.check = lambda budget, problems: None
    model = SimpleNamespace(meter=Meter(), serial=False, prefills=False, concurrency=1,
                            identity="stand-in", close=lambda: None,
                            describe=lambda: {"concurrency": 1})
    monkeypatch.setattr(from_model, "open_models", lambda specs, options: model)
    monkeypatch.setattr(from_model.strategies, "get", lambda name: strategy)
    return spread_benchmark


def _start(tmp_path, **config):
    notes: list[str] = []
    store = Store(tmp_path / "r.db")
    result = from_model.start(RunConfig(benchmark="spread-test", **config), store, slots=1,
                              progress=RunProgress(note=notes.append, run_created=lambda run_id:
                                                   notes.append(f"created {run_id}")))
    return notes, result


def test_a_run_of_every_problem_says_so(tmp_path, stand_in):
    notes, _ = _start(tmp_path)
    assert "running all 1 spread-test problems; --limit N for fewer" in notes


def test_a_limited_run_says_nothing_about_all(tmp_path, stand_in):
    notes, _ = _start(tmp_path, limit=1)
    assert not any("running all" in note for note in notes)


@pytest.mark.parametrize("limit", [0, -2])
def test_a_limit_below_one_is_refused(limit):
    with pytest.raises(from_model.RunError, match="--limit must be at least 1"):
        RunConfig(limit=limit).check()


def test_the_run_id_is_told_as_soon_as_the_run_exists(tmp_path, stand_in):
    notes, result = _start(tmp_path)
    assert notes[-1] == f"created {result.run_id}"
