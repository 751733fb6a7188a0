"""The engine over rounds: lineages, failed evolutions retried from their parent, every
evolution stored as decided, and a run interrupted mid-round resumed without duplicates or
redone work; then the export of its kept pairs."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from training.scripted import Scripted, batch

from codecrucible.store import Store, StoreError
from codecrucible.training import evolve as engine
from codecrucible.training.export import export
from codecrucible.training.seeds import Seed

SEEDS = [Seed(f"toy/{i}", f"Write a function f{i}(x) that returns x plus {i}.",
              f"def f{i}(x): return x + {i}") for i in range(5)]


def evolver_answer(request) -> str:
    """A harder question naming the same function, one more requirement per round; toy/3's
    evolutions always copy the template, so its lineage never moves past the seed."""
    question = request.messages[0][1].split("#Given Question#\n", 1)[1].split("\n\nReply", 1)[0]
    i = re.search(r"function f(\d)", question).group(1)
    if i == "3":
        return f"#Rewritten Question#\nThe rewritten question: {question}\n#Tests#\n" \
               f"assert f3(1) == 4\n"
    rounds = question.count("Also")
    return (f"#Rewritten Question#\n{question} Also requirement{rounds}.\n#Tests#\n```python\n"
            f"assert f{i}(1) == {1 + int(i)}\nassert f{i}(10) == {10 + int(i)}\n```")


def answerer_answer(request) -> str:
    """Right for every seed but toy/4, whose answer to its second requirement is wrong."""
    question = request.messages[0][1]
    i = int(re.search(r"function f(\d)", question).group(1))
    wrong = i == 4 and "requirement1" in question
    return f"```python\ndef f{i}(x):\n    return x + {i + wrong}\n```"


def evolved(store, pool, config, run_id=None, fail_after=None):
    evolver = Scripted(evolver_answer, "evolver", fail_after)
    answerer = Scripted(answerer_answer, "answerer")
    run_id = run_id or engine.start_run(store, config)
    result = engine.evolve(config, store, run_id, SEEDS, batch(evolver, answerer, pool))
    return result, evolver, answerer


@pytest.fixture
def store(tmp_path):
    db = Store(tmp_path / "runs.db")
    yield db
    db.close()


CONFIG = engine.EvolveConfig(seeds="toy", rounds=3, evolver="evolver:", answerer="answerer:",
                             batch=2)


def test_rounds_keep_lineages_and_retry_failures_from_the_parent(store, sandbox_pool):
    result, evolver, _ = evolved(store, sandbox_pool, CONFIG)
    assert len(evolver.requests) == 5 * 3
    rows = {e.id: e for e in store.evolutions(result.run_id)}
    assert len(rows) == 5 + 15 and result.decided_now == 15
    assert [rows[f"toy/3@{r}"].rule for r in (1, 2, 3)] == ["copies-template"] * 3
    assert {rows[f"toy/3@{r}"].parent for r in (1, 2, 3)} == {"toy/3@0"}
    # toy/4: kept in round 1, wrong in round 2, so round 3 evolves round 1's instruction again
    assert rows["toy/4@2"].rule == rows["toy/4@3"].rule == "fails-tests"
    assert rows["toy/4@3"].parent == "toy/4@1"
    assert rows["toy/0@3"].parent == "toy/0@2" and "requirement2" in rows["toy/0@3"].instruction
    assert result.kept == 15 - 3 - 2
    assert result.eliminated == {"copies-template": 3, "fails-tests": 2}


def test_an_interrupted_run_resumes_without_duplicates_or_redone_work(store, sandbox_pool,
                                                                      tmp_path):
    # Killed during round 2's second batch: round 1 (3 batches) and one batch of round 2 are
    # stored; the batch in flight is lost.
    with pytest.raises(KeyboardInterrupt):
        evolved(store, sandbox_pool, CONFIG, fail_after=5 + 2 + 1)
    [run] = store.runs()
    assert run["finished"] is None
    stored = store.evolutions(run["id"])
    assert len(stored) == 5 + 5 + 2
    config = engine.resumed_config(store, run["id"])
    assert config == CONFIG
    result, evolver, answerer = evolved(store, sandbox_pool, config, run_id=run["id"])
    assert result.decided_before == 7 and result.decided_now == 8
    asked = {re.search(r"function f(\d)", r.messages[0][1]).group(1) for r in evolver.requests}
    assert len(evolver.requests) == 8 and asked == {"0", "1", "2", "3", "4"}
    with sqlite3.connect(store.path) as conn:
        ids = [i for (i,) in conn.execute("SELECT id FROM evolutions")]
    assert len(ids) == len(set(ids)) == 20
    assert store.run(run["id"])["finished"] is not None
    # The same run uninterrupted decides the same way.
    fresh = Store(tmp_path / "fresh.db")
    whole, _, _ = evolved(fresh, sandbox_pool, CONFIG)
    def decided(db, run_id):
        return [(e.id, e.heuristic, e.kept, e.rule) for e in db.evolutions(run_id)]
    assert sorted(decided(store, run["id"])) == sorted(decided(fresh, whole.run_id))
    fresh.close()


def test_a_resumed_finished_run_does_nothing(store, sandbox_pool):
    result, _, _ = evolved(store, sandbox_pool, CONFIG)
    again, evolver, answerer = evolved(store, sandbox_pool, CONFIG, run_id=result.run_id)
    assert again.decided_now == 0 and evolver.requests == answerer.requests == []
    assert again.kept == result.kept


def test_export_writes_the_kept_pairs_and_what_each_rule_removed(store, sandbox_pool, tmp_path):
    result, _, _ = evolved(store, sandbox_pool, CONFIG)
    target = tmp_path / "out" / "data.jsonl"
    summary = export(store, result.run_id, target)
    pairs = [json.loads(line) for line in target.read_text().splitlines()]
    assert summary.written == len(pairs) == 10
    assert all(set(p) >= {"instruction", "output"} and p["round"] > 0 for p in pairs)
    assert all(p["output"].startswith("```python\ndef f") for p in pairs)
    assert summary.removed == {"copies-template": 3, "fails-tests": 2}
    assert summary.by_round == {1: (4, 5), 2: (3, 5), 3: (3, 5)}
    with_seeds = export(store, result.run_id, target, with_seeds=True)
    assert with_seeds.written == 10 + 5


def test_the_seeds_only_control_matches_the_kept_evolutions_in_number(store, sandbox_pool,
                                                                      tmp_path):
    one_round = engine.EvolveConfig(seeds="toy", rounds=1, evolver="evolver:",
                                    answerer="answerer:", batch=2)
    result, _, _ = evolved(store, sandbox_pool, one_round)
    target = tmp_path / "seeds.jsonl"
    summary = export(store, result.run_id, target, seeds_only=True)
    pairs = [json.loads(line) for line in target.read_text().splitlines()]
    # toy/3 copies the template in every round: 4 of the 5 seeds kept an evolution
    assert summary.by_round == {1: (4, 5)} and summary.written == len(pairs) == 4
    assert {p["seed_id"] for p in pairs} == {"toy/0", "toy/1", "toy/2", "toy/4"}
    assert all(p["round"] == 0 and p["output"] == f"def f{p['seed_id'][-1]}(x): return x + "
               f"{p['seed_id'][-1]}" for p in pairs)
    three_rounds, _, _ = evolved(store, sandbox_pool, CONFIG)
    # 10 kept evolutions of 5 seeds: the control cannot outgrow the seeds
    assert export(store, three_rounds.run_id, target, seeds_only=True).written == 5
    with pytest.raises(ValueError, match="exclude each other"):
        export(store, three_rounds.run_id, target, with_seeds=True, seeds_only=True)


def test_resuming_a_run_of_another_kind_is_refused(store):
    run_id = store.create_run("generate", "humaneval", "k", {}, {})
    with pytest.raises(StoreError, match="not an Evol-Instruct run"):
        engine.resumed_config(store, run_id)
