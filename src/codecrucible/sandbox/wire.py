"""Plain-data values on the wire: tagged JSON that only builtin types survive.

Test inputs travel to the sandboxed child and return values travel back in this encoding.
Encoding checks exact types (``type(x) is int``, not ``isinstance``), so an object whose
``__eq__`` always says yes cannot cross: it arrives as an ``Unserializable`` error instead.
Every JSON object on the wire is a one-key tag, so decoding is unambiguous:

    {"t": [...]} tuple   {"s": [...]} set   {"f": [...]} frozenset   {"d": [[k, v], ...]} dict
    {"b": "hex"} bytes   {"c": [re, im]} complex   {"x": "hex"} an integer over 8192 bits
    {"h": "sha256"} the digest of an answer over 16 KiB (see ``answer``)

Stdlib only: the fork server imports this before any untrusted code runs.
"""

from __future__ import annotations

import collections
import hashlib
import json
import sys

# Big integers are legitimate outputs (factorials, Fibonacci), but converting decimal digits is
# quadratic, so Python caps it (4,300 digits). Larger integers travel as hexadecimal, which
# converts in linear time both ways.
_HEX_BITS = 8192
DIGEST_ABOVE = 16 << 10  # bytes of JSON beyond which an answer travels as its sha256

_SCALARS = (type(None), bool, int, float, str)
# Stdlib mappings that reference solutions return; read through ``dict.items`` so that no
# method a candidate could override is called.
_MAPPINGS = (dict, collections.Counter, collections.OrderedDict, collections.defaultdict)


class Digest(str):
    """The sha256 of an answer too large to send (see ``answer``); equal only to itself."""

    def __eq__(self, other: object) -> bool:
        return type(other) is Digest and str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = str.__hash__


class Unserializable(TypeError):
    """A value of a type that cannot cross the wire (class instances, generators, ...)."""


def to_plain(value: object, _depth: int = 0) -> object:
    """Turn a plain-data value into a JSON-ready tree, refusing anything else."""
    kind = type(value)
    if kind in _SCALARS:
        if kind is int and value.bit_length() > _HEX_BITS:
            return {"x": format(value, "x")}
        return value
    if _depth > 200:
        raise Unserializable("value nested deeper than 200 levels")
    depth = _depth + 1
    if kind is list:
        return [to_plain(v, depth) for v in value]
    if kind is tuple:
        return {"t": [to_plain(v, depth) for v in value]}
    if kind in _MAPPINGS:
        return {"d": [[to_plain(k, depth), to_plain(v, depth)] for k, v in dict.items(value)]}
    if kind is collections.deque:
        return [to_plain(v, depth) for v in value]
    if kind is set:
        return {"s": [to_plain(v, depth) for v in _ordered(value)]}
    if kind is frozenset:
        return {"f": [to_plain(v, depth) for v in _ordered(value)]}
    if kind is bytes:
        return {"b": value.hex()}
    if kind is complex:
        return {"c": [value.real, value.imag]}
    item = _numpy_item(value)
    if item is not None:
        return to_plain(item, depth)
    raise Unserializable(f"{kind.__module__}.{kind.__qualname__}")


def _ordered(members) -> list:
    """Set members in sorted order when they sort, so equal sets encode equally."""
    try:
        return sorted(members)
    except TypeError:
        return list(members)


def answer(value: object) -> str:
    """The JSON text of a returned value; a large one is replaced by its digest.

    Large answers (long strings, big lists) would otherwise cross two pipes and be decoded in
    the harness. A digest is as unforgeable as the value itself, because the program never
    sees the expected answer; such answers are compared exactly, without float tolerance.
    """
    text = json.dumps(to_plain(value), separators=(",", ":"))
    if len(text) <= DIGEST_ABOVE:
        return text
    return f'{{"h":"{hashlib.sha256(text.encode()).hexdigest()}"}}'


def _numpy_item(value: object) -> object | None:
    """numpy scalars and arrays become Python values, as EvalPlus's comparisons treat them."""
    numpy = sys.modules.get("numpy")
    if numpy is None:
        return None
    if type(value) is numpy.ndarray:
        return value.tolist()
    if isinstance(value, numpy.generic) and type(value).__module__ == "numpy":
        return value.item()
    return None


def _untag(obj: dict) -> object:
    try:
        return _untag_checked(obj)
    except (IndexError, TypeError, KeyError, OverflowError) as err:
        raise ValueError(f"malformed wire object: {err}") from None


def _untag_checked(obj: dict) -> object:
    if len(obj) != 1:
        raise ValueError(f"malformed wire object with keys {sorted(obj)}")
    (tag, body), = obj.items()
    if tag == "t":
        return tuple(body)
    if tag == "d":
        return {_hashable(k): v for k, v in body}
    if tag == "s":
        return {_hashable(v) for v in body}
    if tag == "f":
        return frozenset(_hashable(v) for v in body)
    if tag == "b":
        return bytes.fromhex(body)
    if tag == "c":
        return complex(body[0], body[1])
    if tag == "x":
        return int(body, 16)
    if tag == "h":
        return Digest(body)
    raise ValueError(f"unknown wire tag {tag!r}")


def _hashable(value: object) -> object:
    # Lists only appear as dict keys or set members when a hostile writer put them there.
    if isinstance(value, list):
        raise ValueError("unhashable list inside a set or as a dict key")
    return value


def dumps(value: object) -> str:
    return json.dumps(to_plain(value), separators=(",", ":"))


def loads(text: str | bytes) -> object:
    return json.loads(text, object_hook=_untag)
