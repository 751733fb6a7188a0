import collections
import math

import pytest

from codecrucible.sandbox import wire


@pytest.mark.parametrize("value", [
    None, True, 0, -7, 10 ** 40, 1.5, float("inf"), "text", [1, [2, "x"]], (1, (2, 3)), (),
    {1: "a", (2, 3): [4]}, {1, 2}, frozenset({"a"}), b"\x00\xff", 2 + 3j, [(1.0, {"k": {5}})],
])
def test_plain_values_round_trip_exactly(value):
    back = wire.loads(wire.dumps(value))
    assert back == value and type(back) is type(value)


def test_nan_round_trips():
    assert math.isnan(wire.loads(wire.dumps(float("nan"))))


class AlwaysEqual(int):
    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


@pytest.mark.parametrize("value", [AlwaysEqual(3), [AlwaysEqual(3)], object(), (x for x in ()),
                                   type("L", (list,), {})([1])])
def test_anything_but_plain_data_is_refused(value):
    with pytest.raises(wire.Unserializable):
        wire.to_plain(value)


def test_stdlib_mappings_become_dicts_without_calling_their_methods():
    counter = collections.Counter("abca")
    assert wire.loads(wire.dumps(counter)) == {"a": 2, "b": 1, "c": 1}
    assert wire.loads(wire.dumps(collections.deque([1, 2]))) == [1, 2]


def test_numpy_values_become_python_values():
    numpy = pytest.importorskip("numpy")
    assert wire.loads(wire.dumps(numpy.int64(3))) == 3
    assert wire.loads(wire.dumps(numpy.array([[1.5, 2.0]]))) == [[1.5, 2.0]]


@pytest.mark.parametrize("text", ['{"t":[1],"s":[2]}', '{"zz":1}', '{"s":[[1]]}'])
def test_malformed_wire_objects_are_rejected(text):
    with pytest.raises((ValueError, TypeError)):
        wire.loads(text)


def test_huge_integers_travel_as_hex_and_decimal_ones_are_capped():
    big = 7 ** 100_000
    assert wire.loads(wire.dumps(big)) == big
    assert wire.loads(wire.dumps(-big)) == -big
    with pytest.raises(ValueError):  # Python's own cap: quadratic decimal parsing never starts
        wire.loads("9" * 1_000_000)


def test_large_answers_travel_as_digests_that_only_equal_themselves():
    from codecrucible.correctness import oracle
    big = "x" * (wire.DIGEST_ABOVE + 1)
    digest = wire.loads(wire.answer(big))
    assert type(digest) is wire.Digest
    assert digest == wire.loads(wire.answer(big))
    assert digest != wire.loads(wire.answer(big + "y"))
    assert digest != str(digest)  # a plain string of the same hex is not the digest
    # an order-free oracle must not compare a digest's characters as a set
    other = wire.loads(wire.answer(big[::-1] + "z"))
    assert not oracle.matches("set", (), other, digest, 0)
    assert wire.answer([1, 2]) == "[1,2]"


def test_equal_sets_encode_equally_whatever_their_history():
    first = {10 ** 6 + i * 8 for i in range(50)}
    second = set(sorted(first, reverse=True))
    assert wire.answer(first) == wire.answer(second)
