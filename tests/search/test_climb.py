"""The ``evolve`` strategy's protocol, on a scripted model and a referee that judges programs by
the number they return: what the model is sent each round, repeats refused before they are
run, the best program kept as the final one, and budgets honoured as ``repair`` honours them."""

from __future__ import annotations

import pytest
from search.scripted import SCORED, TESTED, climbed, program

from codecrucible.records import Attempt, Completion, Request, Status, Verdict
from codecrucible.search.novelty import fingerprint
from codecrucible.search.rounds import fitness, heated
from codecrucible.strategies import Budget


def test_each_round_tells_the_model_its_score_and_the_best_so_far():
    [candidate], model, _ = climbed(SCORED, [program(2), program(5), program(4)],
                                    Budget(rounds=2))
    first, second, third = model.requests
    assert len(first.messages) == 1
    assert second.messages[0] == first.messages[0]          # one conversation: the task first
    assert second.messages[1] == ("assistant", f"```python\n{program(2)}```")
    assert "its score is 2 " in second.messages[2][1] and "best score so far is 2." \
        in second.messages[2][1]
    assert "its score is 5 " in third.messages[-1][1]
    assert "best score so far is 5." in third.messages[-1][1]
    assert "Measured: digits 1." in third.messages[-1][1]      # the scorer's components
    assert [fitness(a.verdicts, True) for a in candidate.attempts] == [2.0, 4.0, 5.0]


def test_the_best_program_is_the_final_attempt_and_every_round_is_kept():
    [candidate], _, _ = climbed(SCORED, [program(2), program(7), program(-1)], Budget(rounds=2))
    assert sorted(a.round for a in candidate.attempts) == [0, 1, 2]
    assert candidate.final.round == 1 and candidate.final.verdicts["base"].score == 7.0


def test_an_invalid_answer_sends_back_the_error():
    _, model, _ = climbed(SCORED, [program(-1), program(1)], Budget(rounds=1))
    said = model.requests[1].messages[-1][1]
    assert "Running it failed" in said and "not a valid answer: ValueError: negative" in said
    assert "Measured: digits 1." in said     # what the scorer found of an invalid answer too
    assert "best score so far" not in said   # nothing valid yet


def test_a_repeated_program_is_refused_before_it_is_run():
    # The same program with another variable name, a docstring and different spacing.
    repeat = program(2, name="total", doc='"""The best."""\n    ') + "\n\n"
    [candidate], model, referee = climbed(SCORED, [program(2), repeat, program(3)],
                                          Budget(rounds=2))
    assert referee.submitted == [program(2), program(3)]    # the repeat never reached it
    assert [a.verdicts for a in candidate.attempts][1] == {}   # stored, unjudged
    assert len(candidate.attempts) == 3 and candidate.final.verdicts["base"].score == 3.0
    assert "repeats the one you wrote in round 0" in model.requests[2].messages[-1][1]


def test_each_repeat_in_a_row_asks_again_at_a_higher_temperature():
    script = [program(2), program(2), program(2), program(3), program(4)]
    _, model, _ = climbed(SCORED, script, Budget(rounds=4))    # sampled at T = 0.5
    assert [r.temperature for r in model.requests] == pytest.approx([0.5, 0.5, 0.8, 1.1, 0.5])
    hot = [Attempt(0, Request(prompt="x"), Completion("", 1, 1, 0), program(1), {})] * 9
    assert heated(0.8, hot) == 1.5 and heated(1.7, hot) == 1.7   # capped; a hotter T is kept


def test_budgets_of_calls_and_tokens_are_honoured_per_trial():
    many = [program(i) for i in range(20)]
    candidates, model, _ = climbed(SCORED, many, Budget(rounds=5, calls=3), n=2)
    assert [len(c.attempts) for c in candidates] == [3, 3] and len(model.requests) == 6
    # 13 tokens a call: 26 spent allows a third call, 39 spent does not allow a fourth.
    candidates, _, _ = climbed(SCORED, many, Budget(rounds=5, tokens=30))
    assert [len(c.attempts) for c in candidates] == [3]
    candidates, _, _ = climbed(SCORED, many, Budget(rounds=0))
    assert [len(c.attempts) for c in candidates] == [1]


def test_a_pass_fail_problem_climbs_on_tests_passed_and_stops_once_solved():
    [candidate], model, _ = climbed(TESTED, [program(5), program(3), program(9)],
                                    Budget(rounds=4))
    said = model.requests[1].messages[-1][1]
    assert "passed 75% of the tests" in said and "expected 3" in said
    assert "best fraction of tests passed so far is 0.75" in said
    assert len(model.requests) == 2 and candidate.final.passed


def test_fitness_is_the_score_or_the_fraction_of_tests_passed():
    assert fitness({"base": Verdict(Status.PASSED, 1, 1, score=2.5)}, True) == 2.5
    assert fitness({"base": Verdict(Status.FAILED, 0, 1, "invalid")}, True) is None
    assert fitness({"base": Verdict(Status.FAILED, 2, 4), "plus": Verdict(Status.FAILED, 0, 4)},
                   False) == 0.25
    assert fitness({}, False) is None


def test_fingerprints_ignore_names_docstrings_comments_and_layout_only():
    base = "import math\ndef f(x):\n    y = math.sqrt(x)  # root\n    return y + 1\n"
    same = 'import math\n\ndef f(a):\n    """Doc."""\n    b = math.sqrt(a)\n\n    return b + 1\n'
    assert fingerprint(base, "f") == fingerprint(same, "f")
    for different in (base.replace("+ 1", "+ 2"), base.replace("sqrt", "exp"),
                      base.replace("import math", "import cmath as math"),
                      base.replace("return y + 1", "return abs(y) + 1")):
        assert fingerprint(base, "f") != fingerprint(different, "f"), different
    renamed_entry = base.replace("def f", "def g")
    assert fingerprint(base, "f") != fingerprint(renamed_entry, "f")
    assert fingerprint("def f(:\n  pass", "f") == fingerprint("def f(:\n\n    pass  ", "f")
