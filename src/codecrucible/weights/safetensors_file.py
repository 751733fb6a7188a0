"""The safetensors format, read with numpy alone (the ``safetensors`` package is not a core
dependency): an 8-byte little-endian header length, a JSON header mapping each tensor's name
to its dtype, shape and byte range, then the raw little-endian buffers. Tensors are
memory-mapped, so only the layer the scan needs is ever read from disk."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

from codecrucible.weights import WeightsError

# Stored dtype -> numpy dtype (little-endian). BF16 has no numpy dtype: it is the top half of a
# float32, widened below.
DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2",
    "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?",
}
# A header larger than this is not a checkpoint's index but damage (the format itself caps it
# at 100 MB).
MAX_HEADER_BYTES = 100_000_000


class SafetensorsFile:
    """One safetensors file: its tensors' shapes at once, any tensor's values on demand."""

    def __init__(self, path: Path):
        self.path = path
        try:
            with open(path, "rb") as handle:
                head = handle.read(8)
                if len(head) < 8:
                    raise WeightsError(f"{path}: not a safetensors file (shorter than its "
                                       "8-byte header length)")
                (length,) = struct.unpack("<Q", head)
                if length > MAX_HEADER_BYTES:
                    raise WeightsError(f"{path}: not a safetensors file (header length "
                                       f"{length} bytes is implausible)")
                raw = handle.read(length)
        except OSError as error:
            raise WeightsError(f"{path}: cannot read ({error.strerror or error})") from None
        if len(raw) < length:
            raise WeightsError(f"{path}: truncated safetensors file (header of {length} "
                               f"bytes, {len(raw)} present)")
        try:
            header = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise WeightsError(f"{path}: corrupt safetensors header (not JSON: "
                               f"{error})") from None
        if not isinstance(header, dict):
            raise WeightsError(f"{path}: corrupt safetensors header (not a JSON object)")
        header.pop("__metadata__", None)
        self.data_start = 8 + length
        size = path.stat().st_size
        self.entries: dict[str, tuple[str, tuple[int, ...], int, int]] = {}
        for name, entry in header.items():
            self.entries[name] = self._checked(name, entry, size)

    def _checked(self, name: str, entry, size: int) -> tuple[str, tuple[int, ...], int, int]:
        try:
            dtype, shape = entry["dtype"], tuple(int(d) for d in entry["shape"])
            begin, end = (int(o) for o in entry["data_offsets"])
        except (TypeError, KeyError, ValueError):
            raise WeightsError(f"{self.path}: corrupt safetensors header (tensor {name!r} "
                               "lacks dtype, shape or data_offsets)") from None
        if dtype not in DTYPES:
            raise WeightsError(f"{self.path}: tensor {name!r} has dtype {dtype}, which this "
                               f"reader does not know ({', '.join(DTYPES)})")
        expected = int(np.prod(shape, dtype=np.int64)) * np.dtype(DTYPES[dtype]).itemsize
        if end - begin != expected or begin < 0:
            raise WeightsError(f"{self.path}: corrupt safetensors header (tensor {name!r}: "
                               f"{end - begin} bytes for shape {list(shape)} {dtype})")
        if self.data_start + end > size:
            raise WeightsError(f"{self.path}: truncated safetensors file (tensor {name!r} "
                               f"ends at byte {self.data_start + end}, the file has {size})")
        return dtype, shape, begin, end

    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {name: shape for name, (_, shape, _, _) in self.entries.items()}

    def array(self, name: str) -> np.ndarray:
        """The tensor as float64 (the statistics need no more, and every dtype fits)."""
        dtype, shape, begin, end = self.entries[name]
        count = int(np.prod(shape, dtype=np.int64))
        values = np.memmap(self.path, dtype=DTYPES[dtype], mode="r",
                           offset=self.data_start + begin, shape=(count,)) if count else \
            np.zeros(0, DTYPES[dtype])
        if dtype == "BF16":
            values = (values.astype(np.uint32) << 16).view(np.float32)
        return np.asarray(values, dtype=np.float64).reshape(shape)


def write_safetensors(path: Path, tensors: dict[str, np.ndarray]) -> None:
    """The inverse, for numpy dtypes (not BF16): tests and small tools write checkpoints with it."""
    codes = {np.dtype(v): k for k, v in DTYPES.items() if k != "BF16"}
    header, offset, buffers = {}, 0, []
    for name, value in tensors.items():
        data = np.ascontiguousarray(value).astype(np.dtype(value.dtype).newbyteorder("<"))
        blob = data.tobytes()
        header[name] = {"dtype": codes[np.dtype(data.dtype)], "shape": list(data.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        buffers.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)  # the format aligns the buffers to 8 bytes
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(text)) + text)
        for blob in buffers:
            handle.write(blob)
