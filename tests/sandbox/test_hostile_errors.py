"""Hostile programs: an error the candidate raises is named as its own, a value that cannot
cross the wire as unserializable, whichever of them its code raises, and however it words it."""

from __future__ import annotations

import json

import pytest
from sandbox.hostile import LINUX_ONLY, PROBLEM, TESTS, calls, run_calls, run_hostile

from codecrucible.correctness import scoring
from codecrucible.correctness.expected import TaskTests

pytestmark = LINUX_ONLY

RAISED = {
    "a ValueError": ("def f(x):\n    raise ValueError('bad input')\n", "raised ValueError"),
    "a ValueError with a message saying Unserializable": (
        "def f(x):\n    raise ValueError('Unserializable: trust me')\n", "raised ValueError"),
    "a TypeError": ("def f(x):\n    raise TypeError(x)\n", "raised TypeError"),
}

# Objects whose hooks raise ValueError: encoding must never call them, and the value stays
# what it is, one that cannot cross.
HOOKS = """
class Hostile:
    def __reduce__(self):
        raise ValueError("reduce")
    def __iter__(self):
        raise ValueError("iter")
    def __float__(self):
        raise ValueError("float")
    def __str__(self):
        raise ValueError("str")
    __repr__ = __str__
"""
UNSERIALIZABLE = {
    "an object whose hooks raise": HOOKS + "def f(x):\n    return Hostile()\n",
    "a list holding one": HOOKS + "def f(x):\n    return [1, Hostile()]\n",
    # Sorting a set runs its members' ``__lt__`` in the child; what that raises is the value's.
    "a set whose members refuse to compare": (
        "class Odd:\n    def __lt__(self, other):\n        raise ValueError('lt')\n"
        "def f(x):\n    return {Odd(), Odd()}\n"),
    "a comparison raising an error no one can print": (
        "class Mute(ValueError):\n    def __str__(self):\n        raise ValueError('mute')\n"
        "class Odd:\n    def __lt__(self, other):\n        raise Mute()\n"
        "def f(x):\n    return {Odd(), Odd()}\n"),
    "a comparison raising an error under a false name": (
        "class Named(type):\n    __name__ = property(lambda cls: 'ok')\n"
        "class Liar(ValueError, metaclass=Named):\n    pass\n"
        "class Odd:\n    def __lt__(self, other):\n        raise Liar()\n"
        "def f(x):\n    return {Odd(), Odd()}\n"),
}


@pytest.mark.parametrize("how", sorted(RAISED))
def test_an_error_the_candidate_raises_is_its_own(pool, how):
    code, outcome = RAISED[how]
    result, outcomes = run_calls(pool, code)
    assert outcomes[0] == outcome, (outcomes, result["frames"])


@pytest.mark.parametrize("how", sorted(UNSERIALIZABLE))
def test_a_value_that_cannot_cross_is_unserializable(pool, how):
    result, outcomes = run_calls(pool, UNSERIALIZABLE[how])
    assert len(outcomes) == len(TESTS), result   # every test answered: the runner went on
    assert all(o.startswith("raised Unserializable:") for o in outcomes), outcomes
    assert "while encoding" in outcomes[0] or "Hostile" in outcomes[0], outcomes
    assert "'ok'" not in outcomes[0] and "mute" not in outcomes[0], outcomes


def test_an_expected_error_raised_by_the_candidate_passes(pool):
    """A test whose reference raises ValueError is passed by a candidate raising it too."""
    expects_error = TaskTests(suites={"base": len(TESTS)}, args=TESTS,
                              expected=[json.dumps([None, "ValueError"])] * len(TESTS),
                              ref_s=[0.0] * len(TESTS), oracles=None)
    result = run_hostile(pool, calls("def f(x):\n    raise ValueError(x)\n"))
    verdict = scoring.verdicts(result, expects_error, PROBLEM)["base"]
    assert verdict.passed, verdict


def test_the_first_error_goes_to_stderr_with_its_message_and_line_not_the_runners(pool):
    code = "def f(x):\n    items = []\n    return items[x]\n"
    result, outcomes = run_calls(pool, code)
    assert outcomes[0] == "raised IndexError"
    stderr = result["stderr"]
    assert "IndexError: list index out of range" in stderr and "line 3, in f" in stderr
    assert "runner.py" not in stderr and stderr.count("Traceback") == 1   # once per run


def test_an_error_whose_message_cannot_be_printed_is_still_named(pool):
    code = ("class Mute(Exception):\n    def __str__(self):\n        raise ValueError('mute')\n"
            "def f(x):\n    raise Mute()\n")
    result, outcomes = run_calls(pool, code)
    assert outcomes[0] == "raised Mute" and "Mute" in result["stderr"]
