"""Hostile programs: frames the harness judges (malformed, huge, many)."""

from __future__ import annotations

import sys
import time

import pytest
from sandbox.hostile import (
    LINUX_ONLY,
    calls,
    judged,
    not_a_pass,
    run_calls,
    run_hostile,
    write_frame_code,
)

pytestmark = LINUX_ONLY

# ---------------------------------------------------------------- frames judged in the harness
# The result channel is the candidate's to write: the harness must turn anything written there
# into a verdict ("bad frame", never a crash or a pass), quickly, and the pool must carry on.
MALFORMED_FRAMES = [
    '[0,{"c":[1%s,0]},null,null]' % ("0" * 400),     # complex overflow
    '[0,{"x":1},null,null]',                         # unknown tag
    '[0,{"t":[1],"s":[2]},null,null]',               # two tags
    '[0,{"t":1},null,null]',                         # a tuple of a number
    '[0,{"s":[[1]]},null,null]',                     # an unhashable set member
    '[0,{"d":[[[1],2]]},null,null]',                 # an unhashable dict key
    '[0,{"b":"zz"},null,null]',                      # bytes that are not hex
    '[0,3,null]',                                    # too few fields
    '[0,3,null,null,null]',                          # too many fields
    '[1,3,null,null]',                               # another test's index
    '"ok"',
    'null',
    '',
    'not json at all',
    b'\xff\xfe',                                     # not UTF-8
    '[' * 100_000,                                   # nesting deeper than any recursion limit
    '[0,' + '[' * 5_000 + ']' * 5_000 + ',null,null]',
    '[0,' + '9' * (sys.get_int_max_str_digits() + 1) + ',null,null]',  # over the cap
    '[0,{"x":"zz"},null,null]',                      # a hex int that is not hex
    '[0,{"x":5},null,null]',                         # a hex int that is not a string
    '[0,null,{"x":"%s"},null]' % ("f" * 20_000),     # an exception no one can print
]


@pytest.mark.parametrize("frame", MALFORMED_FRAMES,
                         ids=[str(i) for i in range(len(MALFORMED_FRAMES))])
def test_malformed_frame_is_a_bad_frame(pool, frame):
    result, outcomes = run_calls(pool, write_frame_code(frame))
    assert outcomes[0] == "bad frame", (outcomes, result)
    assert not_a_pass(outcomes), outcomes


def _digit_cap() -> int:
    cap = sys.get_int_max_str_digits()
    if cap == 0:
        pytest.skip("PYTHONINTMAXSTRDIGITS=0 lifts Python's decimal cap in this harness")
    return cap


def test_huge_integer_frame_is_judged_quickly(pool):
    """Decoding a decimal int is quadratic in its digits: a 1.1-million-digit frame would stall
    the harness for many seconds without Python's cap on decimal conversions."""
    assert len("9" * 1_100_000) > _digit_cap()
    big = "9" * 1_100_000
    # Over the default line cap, which would stop it in the server: let it reach the judge.
    result = run_hostile(pool, calls(write_frame_code(f"[0,{big},null,null]"), wall_s=1,
                                     line_bytes=16 << 20))
    assert len(result["frames"][0]) > 1_100_000, "the frame did not arrive whole"
    started = time.monotonic()
    outcomes = judged(result)
    assert time.monotonic() - started < 1.0, "judging a huge integer stalled the harness"
    assert outcomes[0] == "bad frame", outcomes
    assert not_a_pass(outcomes), outcomes


def test_big_but_allowed_numbers_are_judged_quickly(pool):
    """Decimal ints up to the cap still decode, hex-tagged ints of any size decode in linear
    time, and a long float is linear: each is judged (wrong here) in well under a second."""
    values = ["9" * _digit_cap(), '{"x":"%s"}' % ("f" * (8 << 20)),
              '{"x":"-%s"}' % ("f" * (8 << 20)), "1" * 1_000_000 + ".5"]
    for value in values:
        result = run_hostile(pool, calls(write_frame_code(f"[0,{value},null,null]"),
                                         line_bytes=16 << 20))  # (over the default cap)
        assert len(result["frames"][0]) > len(value), "the frame did not arrive whole"
        started = time.monotonic()
        outcomes = judged(result)
        assert time.monotonic() - started < 1.0, value[:20]
        assert outcomes[0] == "wrong", (value[:20], outcomes)
