"""The Code Evol-Instruct prompt, its five heuristics drawn uniformly and reproducibly, and
reading the evolver's answer."""

from __future__ import annotations

from collections import Counter

from codecrucible.training import heuristics
from codecrucible.training.asserts import parse_tests
from codecrucible.training.heuristics import HEURISTICS, choose, evolve_prompt, parse_evolved, shown


def test_the_five_heuristics_of_code_evol_instruct():
    assert [h.name for h in HEURISTICS] == ["add-constraints", "rarer-requirement",
                                            "more-reasoning", "erroneous-code", "complexity"]
    methods = " ".join(h.method for h in HEURISTICS).lower()
    for words in ("ten words", "less common", "reasoning steps", "incorrect code",
                  "time or space complexity", "only now and then"):
        assert words in methods


def test_the_prompt_holds_the_method_the_question_and_asks_for_tests():
    heuristic = HEURISTICS[3]
    prompt = evolve_prompt(heuristic, "  Write a function to add two numbers.\n")
    assert "a little harder" in prompt
    assert heuristic.method in prompt
    assert "#Given Question#\nWrite a function to add two numbers.\n" in prompt
    assert heuristics.QUESTION_MARK in prompt and heuristics.TESTS_MARK in prompt
    assert "assert statements" in prompt


def test_heuristics_are_drawn_uniformly_and_reproducibly():
    draws = [choose(7, f"Mbpp/{task}", round_)[0].name
             for task in range(600, 1100) for round_ in (1, 2, 3)]
    counts = Counter(draws)
    assert set(counts) == {h.name for h in HEURISTICS}
    assert all(240 < n < 360 for n in counts.values()), counts   # 1500 draws, 300 expected
    again = [choose(7, f"Mbpp/{task}", round_)[0].name
             for task in range(600, 1100) for round_ in (1, 2, 3)]
    assert draws == again
    assert draws != [choose(8, f"Mbpp/{task}", round_)[0].name
                     for task in range(600, 1100) for round_ in (1, 2, 3)]


def test_a_chat_model_gets_a_message_and_a_completion_model_the_alpaca_prompt():
    chat = heuristics.request("Do it.", True, max_tokens=5, temperature=1.0, seed=3)
    assert chat.messages == (("user", "Do it."),) and chat.seed == 3
    plain = heuristics.request("Do it.", False, max_tokens=5)
    assert plain.prompt == "### Instruction:\nDo it.\n\n### Response:\n"


def test_the_evolver_answer_is_split_at_its_headings():
    text = ("Sure!\n#Rewritten Question#\nWrite f(x) returning x squared, for negative x too."
            "\n\n#Tests#\n```python\nassert f(2) == 4\nassert f(-3) == 9\n```\nDone.")
    evolved = parse_evolved(text)
    assert evolved.instruction == "Write f(x) returning x squared, for negative x too."
    assert evolved.tests.startswith("assert f(2) == 4\nassert f(-3) == 9")


def test_without_headings_the_asserts_are_the_tests():
    evolved = parse_evolved("Write f(x) returning 2x.\nassert f(1) == 2\nassert f(0) == 0")
    assert evolved.instruction == "Write f(x) returning 2x."
    assert evolved.tests == "assert f(1) == 2\nassert f(0) == 0"
    assert parse_evolved("Just a question.").tests == ""


def test_headings_written_as_labels_are_read_like_the_marks():
    # The shapes Qwen2.5-Coder-0.5B wrote in a real run: labels with colons, the mark repeated
    # after the label, "Rewritten Test:" for the tests. Left in the question, a heading would
    # have the copies-template rule drop an evolution that followed the format.
    first = parse_evolved("Rewritten Question:\nWrite min_cost(cost, m, n) using dynamic "
                          "programming.\n\nTests:\nassert min_cost([[1]], 0, 0) == 1\n")
    assert first.instruction == "Write min_cost(cost, m, n) using dynamic programming."
    assert first.tests == "assert min_cost([[1]], 0, 0) == 1"
    second = parse_evolved("Rewritten Question: #Rewritten Question#\nWrite count_ways(n).\n\n"
                           "Rewritten Test:\nassert count_ways(2) == 3")
    assert second.instruction == "Write count_ways(n)."
    assert second.tests == "assert count_ways(2) == 3"
    third = parse_evolved("**Rewritten Question:** Write f(x) for x > 0.\n**Tests:**\n"
                          "```python\nassert f(1) == 2\n```")
    assert third.instruction == "Write f(x) for x > 0."
    assert third.tests == "assert f(1) == 2"


def test_asserts_in_a_list_of_inline_code_are_the_tests_without_a_heading():
    evolved = parse_evolved("Write radix_sort(xs).\n\n**Expected Outputs**\n"
                            "1. `assert radix_sort([3, 1]) == [1, 3]`")
    assert evolved.instruction == "Write radix_sort(xs).\n\n**Expected Outputs**"
    assert parse_tests(evolved.tests).entry == "radix_sort"


def test_a_question_that_does_not_name_the_function_is_shown_with_a_test():
    # Qwen2.5-Coder-0.5B named its answer find_largest_negative for a question that never
    # said largest_neg: a right answer eliminated for a name (MBPP's prompts show a test).
    tests = parse_tests("assert largest_neg([-3, 7]) == -3\nassert largest_neg([1]) is None")
    question = "Write a Python function to find the largest negative number in a list."
    assert shown(question, tests) == (f"{question}\nYour code should pass this test:\n"
                                      "assert largest_neg([-3, 7]) == -3")
    named = "Write largest_neg(xs), the largest negative number in xs."
    assert shown(named, tests) == named


def test_the_evolvers_own_lead_to_tests_it_moved_away_is_not_repeated():
    tests = parse_tests("assert cube_area(5) == 150")
    for question in ("Write a function for the surface area of a cube.\n"
                     "Your code should pass these tests:",
                     "Write a function for the surface area of a cube. Your code should pass "
                     "these tests:"):
        assert shown(question, tests) == ("Write a function for the surface area of a cube."
                                          "\nYour code should pass this test:\n"
                                          "assert cube_area(5) == 150")
