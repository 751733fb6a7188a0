"""Frames between the harness and a fork server: length-prefixed JSON, or raw answer bytes.

Nothing is ever unpickled: a frame's body is a JSON object, or, with the high bit of its
length set, the answer bytes a candidate's run wrote, forwarded as they came.
"""

from __future__ import annotations

import json
import os
import struct

from codecrucible.sandbox.channel import write_all

_HEADER = struct.Struct(">I")
_RAW = 1 << 31  # set in a frame's length: the body is answer bytes as they came, not JSON


def read_frame(fd: int) -> dict | None:
    """The next message: a JSON object, or ``{"chunk": bytes}`` for answer bytes."""
    header = _read_exact(fd, _HEADER.size)
    if header is None:
        return None
    size = _HEADER.unpack(header)[0]
    body = _read_exact(fd, size & ~_RAW)
    if body is None:
        return None
    return {"chunk": body} if size & _RAW else json.loads(body)


def write_frame(fd: int, message: dict) -> None:
    write_all(fd, encode_frame(message))


def encode_frame(message: dict) -> bytes:
    """A JSON frame's bytes, for a writer that sends them as it can (``Watch``)."""
    body = json.dumps(message, separators=(",", ":")).encode()
    return _HEADER.pack(len(body)) + body


def write_chunk(fd: int, data: bytes) -> None:
    """Answer bytes travel raw: no escaping that could make them six times larger."""
    write_all(fd, _HEADER.pack(len(data) | _RAW) + data)


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
