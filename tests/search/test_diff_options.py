"""``--diffs`` from the command line to the strategy: kept in the run's configuration (and
out of its key when off, so runs made before the option keep theirs), refused with one clear
line for a strategy that writes whole programs only; a diff run through the run engine."""

from __future__ import annotations

from dataclasses import asdict

import pytest
from search.scripted import _Scripted, edit
from spread import HONEST, MODEST
from support import crucible, rows

from codecrucible.models import CachedModel
from codecrucible.runs import from_model
from codecrucible.runs.from_model import RunConfig, RunError, strategy_of
from codecrucible.store import Store
from codecrucible.strategies import Budget, Sampling

ISLANDS = RunConfig(strategy="evolve-islands", budget=Budget(rounds=3),
                    sampling=Sampling(temperature=0.8))


def test_a_run_without_diffs_keeps_its_config_key():
    # the keys codecrucible gave these configs before --diffs existed (4f3e6b8)
    assert RunConfig().key() == \
        "b8fcbc92bb60c5a5c812045b0f48c238d1eaeaf643599a055ebf0db662112dda"
    plain = RunConfig(strategy="evolve-islands", budget=Budget(rounds=3))
    assert plain.key() == "15f1e1f974c4ceef0a59aac19804977f781cfcccde1b4e67ed3d611c0914dde4"
    diffed = RunConfig(strategy="evolve-islands", budget=Budget(rounds=3), diffs=True)
    assert diffed.key() != plain.key()
    assert RunConfig.from_dict(asdict(diffed)) == diffed      # a resumed run keeps asking
    stored = asdict(plain)
    del stored["diffs"]                                       # a store from before the option
    assert RunConfig.from_dict(stored) == plain


def test_the_strategy_is_given_the_option():
    assert strategy_of(ISLANDS).diffs is False
    for strategy in ("evolve", "evolve-islands"):
        config = RunConfig(strategy=strategy, diffs=True, sampling=Sampling(temperature=0.8))
        config.check()
        assert strategy_of(config).diffs is True


@pytest.mark.parametrize("strategy", ["single", "repair"])
def test_diffs_are_refused_for_strategies_of_whole_programs(strategy):
    with pytest.raises(RunError, match=f"--diffs: strategy {strategy!r} asks for whole "
                                       "programs only; diffs apply to evolve, evolve-islands"):
        RunConfig(strategy=strategy, diffs=True).check()


def test_the_command_refuses_diffs_with_single_in_one_line(tmp_path):
    db = tmp_path / "s.db"
    out = crucible("run", "-s", "single", "--diffs", "--store", str(db), timeout=120)
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip().splitlines() == [
        "error: --diffs: strategy 'single' asks for whole programs only; diffs apply to "
        "evolve, evolve-islands"]


def test_a_diff_run_stores_the_programs_its_edits_made(tmp_path, monkeypatch, spread_benchmark):
    """Through the run engine, the real referee and sandbox, and the store."""
    script = [MODEST, edit("    return [i / 10 for i in range(n)]\n",
                           "    return [1 - i / 10 for i in range(n)]\n"),
              edit("    return sorted(n)\n", "    return n\n")]
    model = CachedModel(_Scripted(script), None)
    monkeypatch.setattr(from_model, "open_models", lambda specs, options: model)
    store = Store(tmp_path / "r.db")
    config = RunConfig(benchmark=spread_benchmark, strategy="evolve", budget=Budget(rounds=2),
                       diffs=True)
    from_model.start(config, store, slots=1)
    store.close()
    stored = rows(tmp_path / "r.db", "SELECT round, code, status FROM attempts ORDER BY round")
    assert stored == [(0, MODEST, "passed"), (1, HONEST, "passed"), (2, None, "no_code")]
    asked = model.model.requests[2].messages[-1][1]
    assert f"Improve the best program so far:\n```python\n{HONEST}```" in asked


def test_a_model_of_plain_prompts_is_refused_before_a_run_is_made(tmp_path, monkeypatch,
                                                                  spread_benchmark):
    plain = _Scripted([MODEST])
    plain.chat = False
    monkeypatch.setattr(from_model, "open_models",
                        lambda specs, options: CachedModel(plain, None))
    store = Store(tmp_path / "r.db")
    config = RunConfig(benchmark=spread_benchmark, strategy="evolve", diffs=True)
    with pytest.raises(RunError, match="--diffs: edits are asked for in a conversation"):
        from_model.start(config, store, slots=1)
    assert store.runs() == [] and plain.requests == []
    store.close()


def test_the_help_shows_the_option_and_an_example():
    out = crucible("run", "--help", timeout=120)
    assert "--diffs" in out.stdout and "SEARCH/REPLACE" in out.stdout
