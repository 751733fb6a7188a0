"""The data-science encoding: what DS-1000's results are crosses and comes back with its types,
and whatever else is sent is refused as ``Malformed``, never decoded into something that runs."""

from __future__ import annotations

import datetime
import decimal
import json

import numpy as np
import pandas as pd
import pytest

from codecrucible.sandbox import datawire
from codecrucible.sandbox.datawire import Malformed, Unserializable


def back(value):
    return datawire.loads(datawire.dumps(value))


@pytest.mark.parametrize("value", [
    np.arange(6, dtype=np.int32).reshape(2, 3), np.array([1.5, np.nan]), np.array(["a", "bc"]),
    np.array([b"x"]), np.array([True, False]), np.array([1 + 2j], dtype=np.complex64),
    np.array(["2020-01-01"], dtype="datetime64[ns]"), np.array([5], dtype="timedelta64[s]"),
    np.zeros((0, 3)), np.array(3.0),
])
def test_numpy_arrays_keep_dtype_shape_and_values(value):
    got = back(value)
    assert type(got) is np.ndarray and got.dtype == value.dtype and got.shape == value.shape
    np.testing.assert_array_equal(got, value)


def test_object_arrays_go_element_by_element():
    value = np.empty(2, dtype=object)
    value[0], value[1] = np.arange(2), pd.Timestamp("2020-01-01")
    got = back(value)
    assert got.dtype == object and type(got[1]) is pd.Timestamp
    np.testing.assert_array_equal(got[0], np.arange(2))


@pytest.mark.parametrize("value", [np.float64(1.5), np.int64(-3), np.bool_(True),
                                   np.complex128(1 - 1j), np.float32(0.25), np.str_("a")])
def test_numpy_scalars_keep_their_type(value):
    got = back(value)
    assert type(got) is type(value) and got == value


def test_frames_keep_dtypes_indexes_and_names():
    frames = [
        pd.DataFrame({"a": [1, 2], "b": ["x", None], "c": pd.to_datetime(["2020", "2021"]),
                      "d": pd.to_timedelta([1, 2], unit="s"), "e": [1.5, np.nan],
                      "f": pd.Series([1, None], dtype="Int64"),
                      "g": pd.Series(["p", "q"], dtype="category"),
                      "h": pd.date_range("2020", periods=2, tz="US/Eastern")},
                     index=pd.Index([10, 20], name="key")),
        pd.DataFrame({"v": [1.0, 2.0]},
                     index=pd.MultiIndex.from_tuples([(1, "a"), (2, "b")], names=["n", "s"])),
        pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("a", "b"), ("a", "c")])),
        pd.DataFrame([[1, 2]], columns=pd.CategoricalIndex(["p", "q"])),
        pd.DataFrame([[1, 2], [3, 4]], columns=["x", "x"]),  # duplicate names
        pd.DataFrame({"v": [1, 2, 3]}, index=pd.date_range("2020", periods=3, freq="D")),
        pd.DataFrame(index=pd.RangeIndex(2, 8, 3)),
        # pd.cut's bins as columns (DS1000/229): categories that are intervals
        pd.DataFrame([[1, 2]], columns=pd.cut([3, 23], [1, 10, 25]).categories[:2]),
        pd.DataFrame({"bin": pd.cut([3, 23], [1, 10, 25])}),
        pd.DataFrame({"span": pd.arrays.IntervalArray.from_breaks([0.0, 1.5, 3.0])}),
    ]
    for frame in frames:
        got = back(frame)
        pd.testing.assert_frame_equal(got, frame, check_exact=True, check_freq=True)
        assert type(got.index) is type(frame.index)
        assert type(got.columns) is type(frame.columns)


def test_series_indexes_and_scalars():
    series = pd.Series([1.0, 2.0], index=pd.Index(["a", "b"], name="n"), name=("s", 1))
    pd.testing.assert_series_equal(back(series), series, check_exact=True)
    index = pd.Index(["a", "b"], name="x")
    pd.testing.assert_index_equal(back(index), index, exact=True)
    for scalar in (pd.Timestamp("2020-01-01 10:00"), pd.Timestamp("2020-01-01", tz="Europe/Paris"),
                   pd.Timedelta("3h"), pd.Period("2020-01", freq="M"), pd.Interval(0, 1.5)):
        assert back(scalar) == scalar and type(back(scalar)) is type(scalar)
    assert back(pd.NaT) is pd.NaT and back(pd.NA) is pd.NA


def test_sparse_torch_tensorflow_and_library_results():
    import scipy.sparse as sparse
    import tensorflow as tf
    import torch
    from scipy import stats
    for matrix in (sparse.csr_matrix(np.eye(3)), sparse.coo_matrix([[0, 2]]),
                   sparse.lil_matrix(np.eye(2)), sparse.csc_matrix([[1, 0]]),
                   sparse.dok_matrix(np.eye(2)), sparse.csr_array([[0, 1.5]])):
        got = back(matrix)
        assert type(got) is type(matrix) and got.dtype == matrix.dtype
        assert (got != matrix).nnz == 0
    for tensor in (torch.arange(3), torch.ones(2, dtype=torch.bfloat16),
                   torch.zeros(2, requires_grad=True)):
        got = back(tensor)
        assert got.dtype == tensor.dtype and torch.equal(got.detach(), tensor.detach())
        assert got.requires_grad == tensor.requires_grad
    assert type(back(torch.nn.Parameter(torch.ones(1)))) is torch.nn.Parameter
    for tensor in (tf.constant([[1, 2]]), tf.constant(["a", "b"]), tf.constant(2.5)):
        got = back(tensor)
        assert type(got) is type(tensor) and got.dtype == tensor.dtype
        assert bool(tf.reduce_all(got == tensor))
    variable = back(tf.Variable([1.0, 2.0]))
    assert isinstance(variable, tf.Variable) and variable.numpy().tolist() == [1.0, 2.0]
    result = stats.kstest([0.1, 0.5, 0.9], "uniform")
    assert back(result) == result and type(back(result)) is type(result)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.01, momentum=0.9)
    got = back(optimizer)
    assert type(got) is torch.optim.SGD and got.defaults == optimizer.defaults


def test_plain_python_values():
    for value in ({"a": {"b": (1, 2.5)}}, [None, True, "x"], {1, 2}, frozenset({3}), b"\x00",
                  1 + 2j, 10 ** 3000, datetime.date(2020, 1, 2), datetime.timedelta(3, 4),
                  datetime.datetime(2020, 1, 2, 3, 4, tzinfo=datetime.timezone.utc),
                  decimal.Decimal("1.25")):
        assert back(value) == value and type(back(value)) is type(value)


class AlwaysEqual:
    def __eq__(self, other):
        return True


class Frame(pd.DataFrame):
    pass


class Array(np.ndarray):
    pass


@pytest.mark.parametrize("value", [
    AlwaysEqual(), [AlwaysEqual()], Frame({"a": [1]}), np.zeros(2).view(Array),
    np.array([AlwaysEqual()], dtype=object), pd.Series([AlwaysEqual()]), (x for x in ()),
    type("S", (str,), {})("x"), type("I", (int,), {})(1), np.dtype([("a", "i4")]).type,
    np.zeros(1, dtype=[("a", "i4")]),
])
def test_what_is_not_exactly_a_known_type_cannot_cross(value):
    with pytest.raises(Unserializable):
        datawire.dumps(value)


def test_a_value_that_contains_itself_cannot_cross():
    loop: list = []
    loop.append(loop)
    with pytest.raises(Unserializable):
        datawire.dumps(loop)


@pytest.mark.parametrize("text", [
    "not json", "[" * 100_000 + "]" * 100_000, '{"pickle": "gASVAAAAAA=="}', '{"t": 1}',
    '{"a": 1, "b": 2}', '{"nd": {"dtype": "<f8", "shape": [1000000000000], "data": ""}}',
    '{"nd": {"dtype": "<f8", "shape": [2], "data": "AAAA"}}',
    '{"nd": {"dtype": "|V8", "shape": [1], "data": "AAAAAAAAAAA="}}',
    '{"nd": {"dtype": "[(\'a\', \'O\')]", "shape": [1], "data": ""}}',
    '{"nd": {"dtype": "|O", "shape": [3], "items": [1]}}',
    '{"df": {"index": {"ri": {"start": 0, "stop": 2, "step": 1, "name": null}},'
    ' "columns": {"ix": {"kind": "Index", "name": null, "values": {"nd": {"dtype": "|O",'
    ' "shape": [1], "items": ["a"]}}}}, "data": [{"nd": {"dtype": "<i8", "shape": [5],'
    ' "data": "' + "A" * 56 + '"}}]}}',
    '{"ri": {"start": 0, "stop": 100000000000000, "step": 1, "name": null}}',
    '{"sb": {"module": "os", "kind": "system", "items": ["id"], "extra": []}}',
    '{"sb": {"module": "scipy.stats._stats_py", "kind": "__class__", "items": [], "extra": []}}',
    '{"pt": {"dtype": "__class__", "array": null}}', '{"tf": {"dtype": "resource"}}',
    '{"po": {"kind": "Optimizer", "defaults": {}, "groups": []}}',
    '{"ix": {"kind": "MultiIndex", "values": null}}', '{"mi": {"levels": [], "codes": [],'
    ' "names": []}}', '{"ca": {"categories": {"t": []}, "codes": null, "ordered": true}}',
    '{"ts": {"value": 0, "tz": "../../etc/passwd"}}', '{"d": [[[1], 2]]}', '{"s": [{"d": []}]}',
    '{"x": "' + "f" * 200_000 + '"}', '{"dt": ["datetime", "nope"]}', '{"dec": 1}',
])
def test_anything_malformed_is_refused(text):
    with pytest.raises(Malformed):
        datawire.loads(text)


def test_sizes_are_bounded_before_anything_is_built():
    with pytest.raises(Malformed):
        datawire.loads("[" + ",".join(["0"] * (datawire.MAX_ITEMS + 1)) + "]")
    with pytest.raises(Malformed):
        datawire.loads(" " * (datawire.MAX_TEXT + 1))
    nested = {"t": []}
    for _ in range(datawire.MAX_DEPTH + 2):
        nested = {"t": [nested]}
    with pytest.raises(Malformed):
        datawire.loads(json.dumps(nested))
