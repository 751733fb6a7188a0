"""pandas values for ``datawire``: frames, series, indexes and the scalars inside them.

A frame travels as its index, its columns (an index) and one array per column; a column's
array is a numpy array or one of the extension arrays below, so dtypes survive the trip
(``assert_frame_equal`` compares them). Decoding rebuilds each value with pandas' own
constructors, from parts the decoder checked (lengths, codes, dtype names), never from a
class named by the sender.
"""

from __future__ import annotations

import re
import sys

from codecrucible.sandbox.datawire_errors import Unserializable

_TZ = re.compile(r"[A-Za-z][A-Za-z0-9_+\-/]{0,63}|[+-]\d\d:\d\d")
_FREQ = re.compile(r"[A-Za-z0-9\-]{1,24}")
_MASKED = ("Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64",
           "Float32", "Float64", "boolean")
_INDEX_KINDS = ("Index", "Int64Index", "UInt64Index", "Float64Index", "NumericIndex",
                "DatetimeIndex", "TimedeltaIndex", "CategoricalIndex", "PeriodIndex",
                "IntervalIndex")
_CLOSED = ("left", "right", "both", "neither")


def _pd():
    return sys.modules["pandas"]


# ------------------------------------------------------------------ encoding
def encode(enc, value, kind, depth):
    """``value``'s tagged form, or None when it is not a pandas value this module carries."""
    pd = _pd()
    if kind is pd.DataFrame:
        columns = [column_array(enc, value.iloc[:, j], depth) for j in range(value.shape[1])]
        return {"df": {"index": enc.encode(value.index, depth),
                       "columns": enc.encode(value.columns, depth), "data": columns}}
    if kind is pd.Series:
        return {"se": {"index": enc.encode(value.index, depth),
                       "name": enc.encode(value.name, depth),
                       "values": column_array(enc, value, depth)}}
    if kind is pd.RangeIndex:
        return {"ri": {"start": value.start, "stop": value.stop, "step": value.step,
                       "name": enc.encode(value.name, depth)}}
    if kind is pd.MultiIndex:
        return {"mi": {"levels": [enc.encode(level, depth) for level in value.levels],
                       "codes": [enc.array(codes, depth) for codes in value.codes],
                       "names": [enc.encode(n, depth) for n in value.names]}}
    if kind.__name__ in _INDEX_KINDS and kind.__module__.startswith("pandas.core.indexes."):
        return {"ix": {"kind": kind.__name__, "name": enc.encode(value.name, depth),
                       "values": array_parts(enc, value._values, depth),
                       "freq": getattr(value, "freqstr", None)}}
    if kind is pd.Categorical:
        return {"ca": categorical(enc, value, depth)}
    if kind is pd.Timestamp:
        return {"ts": {"value": value.value, "tz": _tz_name(value.tz)}}
    if kind is pd.Timedelta:
        return {"td": {"value": value.value}}
    if value is pd.NaT:
        return {"nat": None}
    if value is pd.NA:
        return {"na": None}
    if kind is pd.Period:
        return {"pe": {"ordinal": value.ordinal, "freq": value.freqstr}}
    if kind is pd.Interval:
        return {"iv": {"left": enc.encode(value.left, depth),
                       "right": enc.encode(value.right, depth), "closed": value.closed}}
    return None


def column_array(enc, series, depth) -> dict:
    """A column's (or series') values with their dtype: numpy array or extension array."""
    return array_parts(enc, series._values, depth)


def array_parts(enc, values, depth) -> dict:
    pd, np = _pd(), sys.modules["numpy"]
    if type(values) is np.ndarray:
        return {"nd": enc.array(values, depth)}
    if type(values) is pd.Categorical:
        return {"ca": categorical(enc, values, depth)}
    name = type(values).__name__
    if name in ("DatetimeArray", "TimedeltaArray"):
        tz = getattr(values.dtype, "tz", None)
        return {"ea": {"kind": name, "values": enc.array(values._ndarray, depth),
                       "tz": _tz_name(tz), "freq": getattr(values, "freqstr", None)}}
    if name in ("IntegerArray", "FloatingArray", "BooleanArray"):
        return {"ea": {"kind": values.dtype.name, "values": enc.array(values._data, depth),
                       "mask": enc.array(values._mask, depth)}}
    if name == "StringArray":
        items = [None if v is pd.NA else v for v in values.to_numpy(dtype=object)]
        return {"ea": {"kind": "string", "values": enc.array(np.asarray(items, dtype=object),
                                                             depth)}}
    if name == "PeriodArray":
        return {"ea": {"kind": "period", "values": enc.array(values.asi8, depth),
                       "freq": values.freqstr}}
    if name == "IntervalArray":
        return {"ea": {"kind": "interval", "values": array_parts(enc, values.left._values, depth),
                       "right": array_parts(enc, values.right._values, depth),
                       "closed": values.closed}}
    if name == "PandasArray":
        return {"nd": enc.array(values.to_numpy(), depth)}
    raise Unserializable(f"pandas array {name}")


def categorical(enc, value, depth) -> dict:
    return {"categories": enc.encode(value.categories, depth),
            "codes": enc.array(value.codes, depth), "ordered": bool(value.ordered)}


def _tz_name(tz) -> str | None:
    return None if tz is None else str(tz)


# ------------------------------------------------------------------ decoding
def decode_df(dec, body, depth):
    pd = _pd()
    index = _index(dec, body.get("index"), depth)
    columns = _index(dec, body.get("columns"), depth)
    data = dec.field(body, "data", list)
    if len(data) != len(columns):
        raise ValueError("a frame's columns and data differ in number")
    arrays = [_array(dec, part, depth) for part in data]
    if any(len(a) != len(index) for a in arrays):
        raise ValueError("a column's length differs from the index's")
    frame = pd.DataFrame({j: a for j, a in enumerate(arrays)}, index=index) if arrays \
        else pd.DataFrame(index=index)
    frame.columns = columns
    return frame


def decode_se(dec, body, depth):
    pd = _pd()
    index = _index(dec, body.get("index"), depth)
    values = _array(dec, body.get("values"), depth)
    if len(values) != len(index):
        raise ValueError("a series' length differs from its index's")
    return pd.Series(values, index=index, name=_name(dec, body, depth), dtype=values.dtype,
                     copy=False)


def decode_ri(dec, body, depth):
    start, stop, step = (dec.field(body, k, int) for k in ("start", "stop", "step"))
    if step == 0 or any(abs(n) > 1 << 53 for n in (start, stop, step)):
        raise ValueError("bad range")
    dec.count(max(0, (stop - start) // step))
    return _pd().RangeIndex(start, stop, step, name=_name(dec, body, depth))


def decode_mi(dec, body, depth):
    levels = [_index(dec, level, depth) for level in dec.field(body, "levels", list)]
    codes = [dec.array(c, depth) for c in dec.field(body, "codes", list)]
    names = [_hashable(dec.decode(n, depth)) for n in dec.field(body, "names", list)]
    if not (len(levels) == len(codes) == len(names)) or not levels:
        raise ValueError("a MultiIndex's levels, codes and names differ in number")
    return _pd().MultiIndex(levels=levels, codes=codes, names=names, verify_integrity=True)


def decode_ix(dec, body, depth):
    pd = _pd()
    kind = dec.field(body, "kind", str)
    if kind not in _INDEX_KINDS:
        raise ValueError(f"index kind {kind!r} is not allowed")
    values = _array(dec, body.get("values"), depth)
    name = _name(dec, body, depth)
    if kind == "CategoricalIndex":
        return pd.CategoricalIndex(values, name=name)
    if kind == "IntervalIndex":
        return pd.IntervalIndex(values, name=name)
    if kind in ("DatetimeIndex", "TimedeltaIndex", "PeriodIndex"):
        index = getattr(pd, kind)(values, name=name)
        freq = body.get("freq")
        if freq is not None and kind != "PeriodIndex":
            index = getattr(pd, kind)(index, freq=_checked(_FREQ, freq), name=name)
        return index
    return pd.Index(values, dtype=values.dtype, name=name)


def decode_ca(dec, body, depth):
    categories = _index(dec, body.get("categories"), depth)
    codes = dec.array(body.get("codes"), depth)
    return _pd().Categorical.from_codes(codes, categories=categories,
                                        ordered=body.get("ordered") is True)


def decode_ts(dec, body, depth):
    pd = _pd()
    stamp = pd.Timestamp(dec.field(body, "value", int))
    tz = body.get("tz")
    return stamp if tz is None else stamp.tz_localize("UTC").tz_convert(_checked(_TZ, tz))


def decode_td(dec, body, depth):
    return _pd().Timedelta(dec.field(body, "value", int))


def decode_nat(dec, body, depth):
    return _pd().NaT


def decode_na(dec, body, depth):
    return _pd().NA


def decode_pe(dec, body, depth):
    return _pd().Period(ordinal=dec.field(body, "ordinal", int),
                        freq=_checked(_FREQ, dec.field(body, "freq", str)))


def decode_iv(dec, body, depth):
    closed = dec.field(body, "closed", str)
    if closed not in _CLOSED:
        raise ValueError("bad interval side")
    return _pd().Interval(dec.decode(body.get("left"), depth), dec.decode(body.get("right"), depth),
                          closed=closed)


def _index(dec, node, depth):
    pd = _pd()
    value = dec.decode(node, depth)
    if not isinstance(value, pd.Index):
        raise ValueError("expected an index")
    return value


def _array(dec, node, depth):
    """A column's values: a numpy array or an extension array, from ``array_parts``."""
    pd = _pd()
    node = dec.parts(node, dict)
    if len(node) != 1:
        raise ValueError("an array has one tag")
    (tag, body), = node.items()
    if tag == "nd":
        return dec.array(body, depth)
    if tag == "ca":
        return decode_ca(dec, dec.parts(body, dict), depth)
    if tag != "ea":
        raise ValueError(f"unknown array tag {tag!r}")
    body = dec.parts(body, dict)
    kind = dec.field(body, "kind", str)
    if kind == "interval":
        closed = dec.field(body, "closed", str)
        if closed not in _CLOSED:
            raise ValueError("bad interval side")
        return pd.arrays.IntervalArray.from_arrays(
            _array(dec, body.get("values"), depth), _array(dec, body.get("right"), depth),
            closed=closed)
    values = dec.array(body.get("values"), depth)
    if kind in ("DatetimeArray", "TimedeltaArray"):
        tz = body.get("tz")
        if kind == "DatetimeArray":
            index = pd.DatetimeIndex(values)
            if tz is not None:
                index = index.tz_localize("UTC").tz_convert(_checked(_TZ, tz))
        else:
            index = pd.TimedeltaIndex(values)
        return index.array
    if kind in _MASKED:
        mask = dec.array(body.get("mask"), depth)
        if mask.dtype != bool or mask.shape != values.shape or values.ndim != 1:
            raise ValueError("a masked array's mask does not fit its values")
        cls = (pd.arrays.BooleanArray if kind == "boolean" else
               pd.arrays.FloatingArray if kind.startswith("Float") else pd.arrays.IntegerArray)
        array = cls(values, mask)
        if array.dtype.name != kind:
            raise ValueError("a masked array's values do not have its dtype")
        return array
    if kind == "string":
        if values.dtype != object or any(v is not None and type(v) is not str for v in values):
            raise ValueError("a string array holds something else")
        return pd.array(values, dtype="string")
    if kind == "period":
        freq = _checked(_FREQ, dec.field(body, "freq", str))
        return pd.arrays.PeriodArray(values.astype("int64"), freq=freq)
    raise ValueError(f"array kind {kind!r} is not allowed")


def _name(dec, body, depth):
    return _hashable(dec.decode(body.get("name"), depth))


def _hashable(value):
    hash(value)
    return value


def _checked(pattern, text):
    if type(text) is not str or not pattern.fullmatch(text):
        raise ValueError(f"{str(text)[:40]!r} is not an allowed name")
    return text
