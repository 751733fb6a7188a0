"""The ``evolve-islands`` strategy's program database, on a scripted model: islands seeded by
the task, parents shown from worse to better with their scores and feedback, migration along
the ring, the weakest island reset from a stronger one, repeats refused, budgets honoured."""

from __future__ import annotations

import random

from search.scripted import SCORED, program, searched

from codecrucible.records import Attempt, Candidate, Completion, Request, Status, Verdict
from codecrucible.search import islands
from codecrucible.search.rounds import fitness
from codecrucible.strategies import Budget

ISLANDS, MIGRATE, RESET = islands.ISLANDS, islands.MIGRATE, islands.RESET


def scored(value: float, round_: int = 0) -> Attempt:
    return Attempt(round_, Request(prompt="p"), Completion("", 1, 1, 0.0), program(int(value)),
                   {"base": Verdict(Status.PASSED, 1, 1, score=float(value))})


def run(values, budget, n=1):
    return searched("evolve-islands", SCORED, [program(v) for v in values], budget, n=n)


def test_islands_start_from_the_task_then_show_their_programs_with_scores():
    _, model, _ = run([1, 2, 3, -1, 5], Budget(rounds=4))
    first = model.requests[0].messages
    assert all(r.messages == first for r in model.requests[:ISLANDS])   # one seed per island
    later = model.requests[ISLANDS].messages
    assert len(later) == 1 and later[0][1].startswith(first[0][1])
    assert "x = 1" in later[0][1] and "Score: 1. (digits 1)" in later[0][1]
    assert "x = 2" not in later[0][1]                 # another island's program


def test_parents_are_drawn_by_rank_and_shown_from_worse_to_better():
    island = [scored(v, r) for r, v in enumerate([5, 1, 3])]
    shown = islands.parents(island, True, random.Random(0))
    assert [fitness(a.verdicts, True) for a in shown] == [1.0, 3.0, 5.0]
    large = [scored(v, r) for r, v in enumerate(range(20))]
    counts = [0] * 20
    for seed in range(200):
        for a in islands.parents(large, True, random.Random(seed)):
            counts[int(fitness(a.verdicts, True))] += 1
    assert sum(counts[15:]) > 2 * sum(counts[:5])    # the fitter, the likelier


def test_the_best_of_each_island_migrates_to_the_next():
    values = [1, 2, 50, 4, 5, 6, 7]                 # island 2 holds 50 after round 2
    _, model, _ = run(values, Budget(rounds=MIGRATE))
    after = model.requests[MIGRATE].messages[0][1]   # island 0, after the migration
    assert "x = 50" in after and "Score: 50." in after


def test_the_weakest_island_is_reset_from_a_stronger_one():
    search = islands._Search(Candidate("S/0", 0, []))
    search.islands = [[scored(1)], [scored(9)], [scored(5)]]
    islands._maintain(search, RESET - 1, True, 0, "S/0")
    assert len(search.islands[0]) == 1
    assert fitness(search.islands[0][0].verdicts, True) in (5.0, 9.0)


def test_repeats_are_refused_budgets_honoured_and_the_best_is_final():
    [candidate], model, referee = run([3, 3, 8, 2, 1], Budget(rounds=4, calls=4))
    assert len(model.requests) == 4 and len(candidate.attempts) == 4
    assert len(referee.submitted) == 3               # the repeat of round 0 never ran
    assert candidate.final.verdicts["base"].score == 8.0
