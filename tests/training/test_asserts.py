"""The evolver's asserts, read without running them: literal calls and literal results."""

from __future__ import annotations

import json

from codecrucible.training.asserts import MAX_TESTS, parse_tests


def test_usable_shapes_become_calls_and_expected_values():
    tests = parse_tests("\n".join([
        "assert f(1, 'a') == [1, 'a']",
        "assert (2, 3) == f(2, 3)",
        "assert f(0) is None",
        "assert f(5)",
        "assert not f(-5)",
        "assert set(f([3, 1])) == set((1, 3))",
        "assert sorted(f([2, 1])) == [1, 2]",
        "assert math.isclose(f(0.5), 0.25, rel_tol=0.001)",
    ]))
    assert tests.entry == "f" and tests.skipped == 0
    got = [(c.args, c.expected, c.oracle) for c in tests.checks]
    assert got == [((1, "a"), [1, "a"], None), ((2, 3), (2, 3), None), ((0,), None, None),
                   ((5,), True, None), ((-5,), False, None), (([3, 1],), {1, 3}, "set"),
                   (([2, 1],), [1, 2], "sorted"), ((0.5,), 0.25, "isclose:0.001")]


def test_unusable_asserts_are_skipped_and_the_most_called_function_chosen():
    tests = parse_tests("x = 3\nassert f(x) == 1\nassert f(1, k=2) == 3\nassert g(1) == 1\n"
                        "assert f(1) == f(1)\nassert f(2) == 4\nassert f(3) == 9\n"
                        "assert len(f(3)) > 2\nthis line does not parse (\n")
    assert tests.entry == "f"
    assert [c.args for c in tests.checks] == [(2,), (3,)]
    assert tests.skipped == 5


def test_no_usable_assert_is_none():
    assert parse_tests("") is None
    assert parse_tests("print(f(1))\nassert f(x) == 2") is None
    assert parse_tests("assert __import__('os').system('rm -rf /') == 0") is None


def test_tests_beyond_the_cap_are_dropped():
    tests = parse_tests("\n".join(f"assert f({i}) == {i}" for i in range(MAX_TESTS + 5)))
    assert len(tests.checks) == MAX_TESTS and tests.skipped == 5


def test_the_task_is_what_calibration_would_have_made():
    tests = parse_tests("assert f(1) == 2\nassert sorted(f(2)) == [1, 2]")
    problem, task_tests = tests.task("Mbpp/601@1", "Write f.")
    assert problem.entry_point == "f" and problem.inputs == {"base": [(1,), (2,)]}
    assert task_tests.suites == {"base": 2}
    assert [json.loads(e) for e in task_tests.expected] == [[2, None], [[1, 2], None]]
    assert task_tests.oracles == [None, "sorted"]


def test_asserts_written_as_a_numbered_list_are_read():
    # As Qwen2.5-Coder-0.5B wrote them in a real run.
    tests = parse_tests("1. assert double(2) == 4\n2. assert double(0) == 0\n"
                        "- assert double(1) == 2")
    assert tests is not None and tests.entry == "double" and len(tests.checks) == 3


def test_asserts_in_inline_code_are_read():
    # Qwen2.5-Coder-0.5B in the study's run: "1. `assert radix_sort([15, 79]) == [15, 79]`".
    tests = parse_tests("1. `assert radix_sort([15, 79, 25]) == [15, 25, 79]`\n"
                        "2. `assert radix_sort([9, 2]) == [2, 9]`")
    assert tests is not None and tests.entry == "radix_sort"
    assert [c.args for c in tests.checks] == [([15, 79, 25],), ([9, 2],)]


def test_the_example_is_the_first_plain_equality():
    tests = parse_tests("assert set(pairs(3)) == {1, 2}\nassert pairs(0) == []\n")
    assert tests.example() == "assert pairs(0) == []"
    assert parse_tests("assert set(pairs(3)) == {1, 2}").example().startswith("assert pairs(3)")
