"""Both search strategies asking for edits (``--diffs``), on a scripted model: the prompt names
the program the SEARCH/REPLACE blocks apply to and shows the format, the program they make is
judged and kept as the attempt's code, a block that cannot be applied spends the round and the
next prompt says which and why, and an answer with no blocks is taken as a whole program."""

from __future__ import annotations

from search.scripted import SCORED, edit, program, searched

from codecrucible.records import Status
from codecrucible.search import islands
from codecrucible.strategies import Budget, prompting


def evolve(script, rounds):
    return searched("evolve", SCORED, script, Budget(rounds=rounds), diffs=True)


def test_evolve_applies_an_edit_of_the_best_program_and_judges_it():
    answer = edit("    x = 2\n", "    x = 7\n")
    [candidate], model, referee = evolve([program(2), answer], 1)
    asked = model.requests[1]
    said = asked.messages[-1][1]
    assert f"Improve the best program so far:\n```python\n{program(2)}```" in said
    assert "SEARCH/REPLACE blocks that edit this program" in said and "<<<<<<< SEARCH" in said
    assert asked.prefill == "" and asked.stop == ()        # an edit is not one code block
    assert model.requests[0].prefill.endswith("```python\n")     # the first asks a program
    assert referee.submitted == [program(2), program(7)]
    assert candidate.final.code == program(7) and candidate.final.verdicts["base"].score == 7
    assert candidate.final.completion.text.startswith("<<<<<<< SEARCH")   # the answer kept


def test_several_blocks_make_one_program():
    answer = "Two changes:\n" + edit("    x = 2\n", "    x = 4\n") + \
        edit("return x\n", "return x  # four\n")
    [candidate], _, referee = evolve([program(2), answer], 1)
    assert referee.submitted[1] == "def best():\n    x = 4\n    return x  # four\n"
    assert candidate.final.code == referee.submitted[1]


def test_a_block_that_cannot_be_applied_spends_the_round_and_is_reported():
    failing = edit("    x = 3\n", "    x = 9\n")
    [candidate], model, referee = evolve([program(2), failing, edit("    x = 2\n",
                                                                     "    x = 5\n")], 2)
    spent = next(a for a in candidate.attempts if a.round == 1)
    assert spent.code is None and spent.verdicts["base"].status == Status.NO_CODE
    assert referee.submitted == [program(2), None, program(5)]
    third = model.requests[2].messages
    assert third[-2] == ("assistant", failing + "```")    # the answer as written
    assert ("Your edits could not be applied, so nothing was run: the block (SEARCH starting "
            "'x = 3'): its SEARCH text is not in the program.") in third[-1][1]
    assert f"```python\n{program(2)}```" in third[-1][1]   # still the program to edit
    assert candidate.final.code == program(5)


def test_an_answer_without_blocks_is_a_whole_program():
    [candidate], _, referee = evolve([program(2), f"```python\n{program(6)}"], 1)
    assert referee.submitted == [program(2), program(6)]
    assert candidate.final.code == program(6)


def test_islands_edit_the_best_parent_shown_and_report_a_failed_edit():
    seeds = [program(v) for v in (1, 2, 3)]
    script = seeds + [edit("    x = 1\n", "    x = 9\n"), edit("    y = 1\n", "    y = 2\n"),
                      program(4)]
    [candidate], model, referee = searched("evolve-islands", SCORED, script, Budget(rounds=5),
                                           diffs=True)
    edited = model.requests[islands.ISLANDS]              # island 0, its one parent shown
    text = edited.messages[0][1]
    assert "by editing Program 1, the best one" in text
    assert "SEARCH/REPLACE blocks that edit Program 1" in text and edited.prefill == ""
    assert referee.submitted[3] == program(9)
    assert referee.submitted[4] is None                   # island 1's edit found nothing
    after = model.requests[islands.ISLANDS + 2].messages[0][1]
    assert ("Your last answer's edits could not be applied: the block (SEARCH starting "
            "'y = 1'): its SEARCH text is not in the program.") in after
    assert candidate.final.code == program(9)


def test_without_diffs_the_requests_are_unchanged():
    script = [program(2), program(5)]
    _, plain, _ = searched("evolve", SCORED, script, Budget(rounds=1))
    assert "SEARCH" not in plain.requests[1].messages[-1][1]
    assert plain.requests[1].prefill == prompting.CODE_PREFILL
