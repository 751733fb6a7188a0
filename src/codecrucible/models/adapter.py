"""A GGUF LoRA adapter named in a model spec (``embedded:NAME+lora=PATH``), checked before
llama.cpp reads it.

llama.cpp refuses an adapter of another architecture or shape, but reads a truncated file's
missing tensor data as whatever follows, so the file's structure is walked here (header, keys,
tensor table) and every tensor must lie inside the file. Only the standard library is used: the
``gguf`` package is part of the ``train`` extra, not of the core.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

from codecrucible.files import sha256_of
from codecrucible.models.base import ModelError

MARK = "+lora="
# Fixed sizes of GGUF's scalar value types (8 is a string, 9 an array).
_SCALARS = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
# Bytes per block and elements per block of the tensor types an adapter is written in.
_TENSOR_TYPES = {0: (4, 1), 1: (2, 1), 30: (2, 1), 8: (34, 32)}   # F32, F16, BF16, Q8_0


@dataclass(frozen=True)
class Adapter:
    """A GGUF LoRA adapter file llama.cpp applies to the base, and its bytes' sha256."""

    path: Path
    sha256: str
    architecture: str


def split_adapter(rest: str) -> tuple[str, Adapter | None]:
    """``WHAT+lora=PATH`` -> ``WHAT`` and the checked adapter; ``WHAT`` alone -> no adapter."""
    rest, mark, location = rest.partition(MARK)
    if not mark:
        return rest, None
    path = Path(location).expanduser()
    if not location or not path.is_file():
        raise ModelError(f"LoRA adapter {location!r}: no such file")
    return rest, Adapter(path, sha256_of(path), _architecture(path))


class _Reader:
    def __init__(self, data: bytes, path: Path):
        self.data, self.at, self.path = data, 0, path

    def take(self, size: int) -> bytes:
        if self.at + size > len(self.data):
            raise ModelError(f"{self.path}: a damaged GGUF LoRA adapter (it ends early)")
        chunk = self.data[self.at:self.at + size]
        self.at += size
        return chunk

    def number(self, fmt: str):
        return struct.unpack("<" + fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        return self.take(self.number("Q")).decode("utf-8", "replace")

    def value(self, kind: int):
        if kind == 8:
            return self.string()
        if kind == 9:
            item, count = self.number("I"), self.number("Q")
            return [self.value(item) for _ in range(count)]
        if kind not in _SCALARS:
            raise ModelError(f"{self.path}: a damaged GGUF LoRA adapter (value type {kind})")
        return self.take(_SCALARS[kind])


def _architecture(path: Path) -> str:
    """The adapter's architecture, after checking it is a whole GGUF adapter file."""
    with open(path, "rb") as handle:
        if handle.read(4) != b"GGUF" or path.stat().st_size < 24:
            raise ModelError(f"{path}: not a GGUF LoRA adapter (bad magic bytes; "
                             f"'crucible finetune' writes one as adapter.gguf)")
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return _walk(data, path)


def _walk(data, path: Path) -> str:
    if data[:4] != b"GGUF":
        raise ModelError(f"{path}: not a GGUF LoRA adapter (bad magic bytes; "
                         f"'crucible finetune' writes one as adapter.gguf)")
    reader = _Reader(data, path)
    reader.take(4)
    reader.number("I")   # version
    tensors, keys = reader.number("Q"), reader.number("Q")
    if tensors > len(data) or keys > len(data):
        raise ModelError(f"{path}: a damaged GGUF LoRA adapter (impossible counts)")
    meta = {}
    for _ in range(keys):
        key = reader.string()
        meta[key] = reader.value(reader.number("I"))
    if meta.get("general.type") != "adapter" or meta.get("adapter.type") != "lora":
        raise ModelError(f"{path}: a GGUF file but not a LoRA adapter (general.type "
                         f"{meta.get('general.type')!r}, adapter.type "
                         f"{meta.get('adapter.type')!r})")
    extents = []
    for _ in range(tensors):
        reader.string()
        dims = [reader.number("Q") for _ in range(reader.number("I"))]
        kind, offset = reader.number("I"), reader.number("Q")
        elements = 1
        for dim in dims:
            elements *= dim
        block_bytes, block = _TENSOR_TYPES.get(kind, (0, 1))
        extents.append(offset + elements // block * block_bytes)
    alignment = meta.get("general.alignment")
    alignment = struct.unpack("<I", alignment)[0] if isinstance(alignment, bytes) else 32
    start = -(-reader.at // alignment) * alignment
    if start + max(extents, default=0) > len(data):
        raise ModelError(f"{path}: a damaged GGUF LoRA adapter (its tensor data ends early)")
    return str(meta.get("general.architecture", ""))
