"""A search continues from its finished programs: every judged program goes to the journal
(a real store) as it is produced, and a resumed search replays what is there, asking the
model and the referee only for the rounds that were never finished."""

from __future__ import annotations

from dataclasses import replace

import pytest
from search.scripted import SCORED, TESTED, _ByValue, _Scripted, edit, program, searched

from codecrucible import strategies
from codecrucible.models import CachedModel
from codecrucible.runs.journal import StoreJournal
from codecrucible.store import Store
from codecrucible.strategies import Budget, Context, NoJournal, Sampling


def _search(strategy, problem, programs, budget, journal, n=1):
    model, referee = _Scripted(programs), _ByValue(problem.check == "score")
    ctx = Context(CachedModel(model, None), referee, Sampling(n=n, temperature=0.5), budget,
                  journal)
    return strategies.get(strategy)(problem, list(range(n)), ctx), model, referee


@pytest.fixture
def journal(tmp_path):
    store = Store(tmp_path / "s.db")
    run_id = store.create_run("run", "toy", "key", {}, {})
    yield StoreJournal(store, run_id)
    store.close()


@pytest.mark.parametrize("strategy", ["evolve", "evolve-islands"])
@pytest.mark.parametrize("problem", [SCORED, TESTED], ids=["score", "pass-fail"])
def test_a_killed_search_resumes_from_its_finished_programs(journal, strategy, problem):
    # Two trials of five rounds; the third program repeats the first (refused, not judged).
    script = [program(2), program(5), program(2, name="y"), program(4), program(6),
              program(1), program(7), program(8), program(0), program(9)]
    whole, whole_model, _ = _search(strategy, problem, script, Budget(rounds=4), NoJournal(),
                                    n=2)
    # The run is killed after two rounds: what they produced is in the journal.
    _search(strategy, problem, script[:4], Budget(rounds=1), journal, n=2)
    stored = {s: journal.stored(problem.task_id, s) for s in (0, 1)}
    assert [[a.round for a in stored[s]] for s in (0, 1)] == [[0, 1], [0, 1]]

    resumed, model, referee = _search(strategy, problem, script[4:], Budget(rounds=4),
                                      journal, n=2)
    assert model.requests == whole_model.requests[4:]         # only the unfinished rounds ...
    assert referee.submitted == script[4:]                     # ... are asked for and judged
    for before, after, same in zip(stored.values(), resumed, whole, strict=True):
        replayed = {a.round: a for a in after.attempts if a.round < 2}
        assert [replayed[a.round] for a in before] == before   # the same programs and verdicts
        assert [(a.round, a.code) for a in after.attempts] == \
            [(a.round, a.code) for a in same.attempts]         # as if it had never stopped
    assert sorted(a.round for a in journal.stored(problem.task_id, 0)) == [0, 1, 2, 3, 4]


def test_a_stored_program_is_not_replayed_for_another_request(journal):
    _search("evolve", SCORED, [program(2)], Budget(rounds=0), journal)
    other = replace(SCORED, prompt="def best():\n    \"\"\"A larger number.\"\"\"\n")
    [candidate], model, referee = _search("evolve", other, [program(3)], Budget(rounds=0),
                                          journal)
    assert len(model.requests) == 1 and referee.submitted == [program(3)]
    assert candidate.final.code == program(3)


def test_stored_attempts_read_back_equal_to_what_was_written(journal):
    [candidate], _, _ = _search("evolve", SCORED, [program(2), program(-1), program(2, "z")],
                                Budget(rounds=2), journal)
    assert journal.stored(SCORED.task_id, 0) == sorted(candidate.attempts, key=lambda a: a.round)



@pytest.mark.parametrize("strategy", ["evolve", "evolve-islands"])
def test_a_killed_diff_search_resumes_replaying_its_edits(journal, strategy):
    # Two trials: edits that apply, edits that find nothing, whole programs.
    script = [program(2), program(5), edit("    x = 2\n", "    x = 4\n"),
              edit("    y = 1\n", "    y = 2\n"), edit("return x\n", "return x + 1\n"),
              f"```python\n{program(6)}", edit("    z = 0\n", "    z = 1\n"),
              edit("    x = 5\n", "    x = 8\n"), program(7), program(1)]
    budget = Budget(rounds=4)
    whole, whole_model, whole_referee = searched(strategy, SCORED, script, budget, n=2,
                                                 diffs=True)
    assert None in whole_referee.submitted                     # an edit failed ...
    assert {program(4), program(8)} & set(whole_referee.submitted)   # ... and one applied
    searched(strategy, SCORED, script[:4], Budget(rounds=1), n=2, diffs=True, journal=journal)
    resumed, model, _ = searched(strategy, SCORED, script[4:], budget, n=2, diffs=True,
                                 journal=journal)
    assert model.requests == whole_model.requests[4:]         # the same prompts, failures said
    for after, same in zip(resumed, whole, strict=True):
        assert [(a.round, a.code, a.verdicts) for a in after.attempts] == \
            [(a.round, a.code, a.verdicts) for a in same.attempts]
