"""Data-science values on the wire: what a DS-1000 program's ``result`` is, as tagged JSON.

A candidate's result leaves its process in this form and is rebuilt in the checker's process
(``checked.py``), which never ran the candidate. Nothing in it can run code when decoded: no
pickle, no class named by the sender. Each tag names one of a fixed set of constructors of
numpy, pandas, scipy.sparse, torch or TensorFlow, which the decoder calls on parts it has
checked first: dtypes from an allow-list, raw bytes whose length matches shape and dtype,
nesting and total size bounded. Encoding checks exact types, so a subclass or an object with
its own ``__eq__`` cannot cross (``Unserializable``). Builtin values use ``wire``'s tags:

    {"t": [...]} tuple  {"s": [...]} set  {"f": [...]} frozenset  {"d": [[k, v], ...]} dict
    {"b": "hex"} bytes  {"c": [re, im]} complex  {"x": "hex"} a big integer

and the libraries' values one tag each, holding an object of named parts:

    nd  numpy array: dtype, shape, data (base64; object arrays: items)     ng  numpy scalar
    nm  numpy matrix      df  DataFrame      se  Series       ix  Index (and its kinds)
    mi  MultiIndex        ri  RangeIndex     ca  Categorical  ea  other pandas array
    ts  Timestamp  td  Timedelta  nat  NaT  na  NA  pe  Period  iv  Interval
    sp  scipy.sparse matrix or array   sb  a scipy.stats result (a named tuple)
    pt  torch tensor   po  torch optimizer   tf  TensorFlow tensor or variable
    dt  datetime, date, time or timedelta   dec  Decimal   fr  Fraction
"""

from __future__ import annotations

import base64
import collections
import datetime
import decimal
import fractions
import json
import re
import sys

from codecrucible.sandbox import datawire_libraries, datawire_pandas
from codecrucible.sandbox.datawire_errors import Malformed, Unserializable

MAX_TEXT = 32 << 20       # characters of one encoded value
MAX_DEPTH = 48            # nesting of containers and library values
MAX_ITEMS = 4_000_000     # decoded objects (and array bytes / 64) over a whole value
# Dtypes that carry nothing but numbers, booleans, times or fixed-width text.
_DTYPE = re.compile(r"[<>|=](b1|[iu][1248]|f(2|4|8|16)|c(8|16|32)"
                    r"|[Mm]8(\[(ns|us|ms|s|m|h|D|W|M|Y)\])?|U\d{1,5}|S\d{1,5})|\|O")


# ------------------------------------------------------------------ encoding (sender's side)
def dumps(value: object) -> str:
    return json.dumps(tree(value), separators=(",", ":"), allow_nan=True)


def tree(value: object) -> object:
    """``value`` as a JSON-ready tree (what ``dumps`` writes)."""
    return _Encoder().encode(value, 0)


class _Encoder:
    def encode(self, value: object, depth: int) -> object:
        kind = type(value)
        if kind in (type(None), bool, str):
            return value
        if kind is int:
            return {"x": format(value, "x")} if value.bit_length() > 8192 else value
        if kind is float:
            return value
        if depth > MAX_DEPTH:
            raise Unserializable(f"value nested deeper than {MAX_DEPTH} levels")
        depth += 1
        if kind is list:
            return [self.encode(v, depth) for v in value]
        if kind is tuple:
            return {"t": [self.encode(v, depth) for v in value]}
        if kind is dict:
            return {"d": [[self.encode(k, depth), self.encode(v, depth)]
                          for k, v in dict.items(value)]}
        if kind in (set, frozenset):
            return {"s" if kind is set else "f": [self.encode(v, depth) for v in value]}
        if kind is bytes:
            return {"b": value.hex()}
        if kind is complex:
            return {"c": [value.real, value.imag]}
        module = kind.__module__.split(".")[0]
        encoder = getattr(self, f"_{module}", None)
        encoded = encoder(value, kind, depth) if encoder else None
        if encoded is None:
            raise Unserializable(f"{kind.__module__}.{kind.__qualname__}")
        return encoded

    def _numpy(self, value, kind, depth):
        np = sys.modules["numpy"]
        if kind is np.ndarray or kind is np.matrix:
            return {"nm" if kind is np.matrix else "nd": self.array(value, depth)}
        if isinstance(value, np.generic) and kind.__module__ == "numpy" \
                and kind is np.dtype(kind).type:
            if kind is np.object_:
                return None
            return {"ng": {"dtype": value.dtype.str,
                           "data": base64.b64encode(value.tobytes()).decode()}}
        return None

    def array(self, value, depth: int) -> dict:
        """A numpy array: raw bytes for plain dtypes, element by element for objects."""
        np = sys.modules["numpy"]
        value = np.asarray(value) if type(value) is np.matrix else value
        dtype = value.dtype
        if dtype.hasobject:
            if dtype != np.dtype(object):
                raise Unserializable(f"numpy dtype {dtype}")
            items = [self.encode(v, depth) for v in value.ravel(order="C").tolist()]
            return {"dtype": "|O", "shape": list(value.shape), "items": items}
        if not _DTYPE.fullmatch(dtype.str):
            raise Unserializable(f"numpy dtype {dtype}")
        data = np.ascontiguousarray(value).tobytes()
        return {"dtype": dtype.str, "shape": list(value.shape),
                "data": base64.b64encode(data).decode()}

    def _pandas(self, value, kind, depth):
        return datawire_pandas.encode(self, value, kind, depth)

    def _scipy(self, value, kind, depth):
        return datawire_libraries.encode_scipy(self, value, kind, depth)

    def _torch(self, value, kind, depth):
        return datawire_libraries.encode_torch(self, value, kind, depth)

    def _tensorflow(self, value, kind, depth):
        return datawire_libraries.encode_tensorflow(self, value, kind, depth)

    def _datetime(self, value, kind, depth):
        if kind in (datetime.datetime, datetime.time) and value.tzinfo is not None:
            offset = value.utcoffset()
            if offset is None or value.tzinfo is not datetime.timezone(offset) \
                    and value.tzinfo is not datetime.timezone.utc:
                raise Unserializable(f"{kind.__name__} with time zone {value.tzinfo!r}")
        if kind in (datetime.datetime, datetime.date, datetime.time):
            return {"dt": [kind.__name__, value.isoformat()]}
        if kind is datetime.timedelta:
            return {"dt": ["timedelta", [value.days, value.seconds, value.microseconds]]}
        return None

    def _collections(self, value, kind, depth):
        # Counter, OrderedDict, defaultdict: compared as the dicts they are (decoded as dict).
        if kind in (collections.Counter, collections.OrderedDict, collections.defaultdict):
            return {"d": [[self.encode(k, depth), self.encode(v, depth)]
                          for k, v in dict.items(value)]}
        return None

    def _decimal(self, value, kind, depth):
        return {"dec": str(value)} if kind is decimal.Decimal else None

    def _fractions(self, value, kind, depth):
        if kind is fractions.Fraction:
            return {"fr": [self.encode(value.numerator, depth),
                           self.encode(value.denominator, depth)]}
        return None

# ------------------------------------------------------------------ decoding (checker's side)
def loads(text: str) -> object:
    """The value ``text`` encodes; ``Malformed`` for anything else, whatever was sent."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise Malformed("the encoded value is not text or longer than the limit")
    try:
        tree = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise Malformed(f"not JSON: {str(err)[:200]}") from None
    return decode(tree)


def decode(tree: object) -> object:
    """The value of an already parsed JSON tree (see ``loads``)."""
    try:
        return _Decoder().decode(tree, 0)
    except Malformed:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError,
            RecursionError, MemoryError, ArithmeticError, LookupError) as err:
        raise Malformed(f"{type(err).__name__}: {str(err)[:200]}") from None


class _Decoder:
    def __init__(self):
        self.items = 0

    def count(self, n: int) -> None:
        self.items += n
        if self.items > MAX_ITEMS:
            raise Malformed(f"more than {MAX_ITEMS} elements")

    def decode(self, node: object, depth: int) -> object:
        if depth > MAX_DEPTH:
            raise Malformed(f"nested deeper than {MAX_DEPTH} levels")
        self.count(1)
        kind = type(node)
        if kind in (type(None), bool, int, float, str):
            return node
        depth += 1
        if kind is list:
            return [self.decode(v, depth) for v in node]
        if kind is not dict or len(node) != 1:
            raise Malformed("an object on the wire has exactly one tag")
        (tag, body), = node.items()
        if tag in ("t", "s", "f", "d"):
            items = self.parts(body, list)
            if tag == "t":
                return tuple(self.decode(v, depth) for v in items)
            if tag == "d":
                pairs = [self.parts(p, list) for p in items]
                if any(len(p) != 2 for p in pairs):
                    raise Malformed("a dict item is not a pair")
                return {self.key(self.decode(k, depth)): self.decode(v, depth)
                        for k, v in pairs}
            members = [self.key(self.decode(v, depth)) for v in items]
            return set(members) if tag == "s" else frozenset(members)
        if tag == "b":
            self.count(len(self.parts(body, str)) // 16)
            return bytes.fromhex(body)
        if tag == "c":
            re_, im = self.parts(body, list)
            return complex(float(re_), float(im))
        if tag == "x":
            if len(self.parts(body, str)) > 100_000:
                raise Malformed("integer too long")
            return int(body, 16)
        if tag in _PANDAS_TAGS:
            body = self.parts(body, dict) if tag not in ("nat", "na") else body
            return getattr(datawire_pandas, f"decode_{tag}")(self, body, depth)
        if tag not in _TAGS:
            raise Malformed(f"unknown tag {tag!r}")
        body = self.parts(body, _TAGS[tag])
        own = getattr(self, f"_{tag}", None)
        if own is not None:
            return own(body, depth)
        return getattr(datawire_libraries, f"decode_{tag}")(self, body, depth)

    @staticmethod
    def parts(body: object, kind: type):
        if type(body) is not kind:
            raise Malformed(f"expected {kind.__name__}, got {type(body).__name__}")
        return body

    @staticmethod
    def key(value: object) -> object:
        hash(value)  # TypeError (malformed) for a list or dict sent as a key
        return value

    def field(self, body: dict, name: str, kind: type):
        return self.parts(body.get(name), kind)

    def array(self, body: object, depth: int):
        """A numpy array from checked parts: allowed dtype, sizes that agree."""
        np = sys.modules["numpy"]
        body = self.parts(body, dict)
        dtype_name = self.field(body, "dtype", str)
        if not _DTYPE.fullmatch(dtype_name):
            raise Malformed(f"dtype {dtype_name!r} is not allowed")
        shape = self.field(body, "shape", list)
        if len(shape) > 32 or any(type(n) is not int or n < 0 for n in shape):
            raise Malformed("bad shape")
        size = 1
        for n in shape:
            size *= n
        dtype = np.dtype(dtype_name)
        if dtype == np.dtype(object):
            self.count(size)
            items = self.field(body, "items", list)
            if len(items) != size:
                raise Malformed("object array items do not match its shape")
            out = np.empty(size, dtype=object)
            for i, item in enumerate(items):
                out[i] = self.decode(item, depth + 1)
            return out.reshape(shape)
        data = self.field(body, "data", str)
        if len(data) > 4 * (size * dtype.itemsize + 2) // 3 + 4:
            raise Malformed("array data longer than its shape")
        if dtype.itemsize == 0 and size > MAX_ITEMS:  # nothing to send, yet a huge array
            raise Malformed("an empty-width array too large")
        raw = base64.b64decode(data, validate=True)
        if len(raw) != size * dtype.itemsize:
            raise Malformed("array data does not match its shape and dtype")
        self.count(len(raw) // 64)  # bounded by the text already; counted for the total
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()

    def _nd(self, body: dict, depth: int):
        return self.array(body, depth)

    def _nm(self, body: dict, depth: int):
        return sys.modules["numpy"].asmatrix(self.array(body, depth))

    def _ng(self, body: dict, depth: int):
        np = sys.modules["numpy"]
        dtype_name = self.field(body, "dtype", str)
        if not _DTYPE.fullmatch(dtype_name) or dtype_name == "|O":
            raise Malformed(f"scalar dtype {dtype_name!r} is not allowed")
        raw = base64.b64decode(self.field(body, "data", str), validate=True)
        dtype = np.dtype(dtype_name)
        if len(raw) != dtype.itemsize:
            raise Malformed("scalar data does not match its dtype")
        return np.frombuffer(raw, dtype=dtype)[0]

    def _dt(self, body: list, depth: int):
        name, value = body
        if name == "timedelta":
            days, seconds, micros = (self.parts(v, int) for v in self.parts(value, list))
            return datetime.timedelta(days, seconds, micros)
        if name not in ("datetime", "date", "time"):
            raise Malformed(f"unknown time kind {name!r}")
        return getattr(datetime, name).fromisoformat(self.parts(value, str)[:64])

    def _dec(self, body: str, depth: int):
        return decimal.Decimal(body[:400])

    def _fr(self, body: list, depth: int):
        numerator, denominator = (self.decode(v, depth) for v in body)
        return fractions.Fraction(self.parts(numerator, int), self.parts(denominator, int))

# Each tag of the libraries' values, with the JSON type of its body.
_TAGS = {"nd": dict, "nm": dict, "ng": dict, "sp": dict, "sb": dict, "pt": dict, "po": dict,
         "pdt": str, "tf": dict, "dt": list, "dec": str, "fr": list}
_PANDAS_TAGS = ("df", "se", "ix", "mi", "ri", "ca", "ts", "td", "nat", "na", "pe", "iv")
