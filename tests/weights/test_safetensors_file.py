import json
import struct

import numpy as np
import pytest

from codecrucible.weights import WeightsError
from codecrucible.weights.safetensors_file import SafetensorsFile, write_safetensors


def test_reads_what_the_safetensors_package_writes(tmp_path):
    numpy_writer = pytest.importorskip("safetensors.numpy")
    tensors = {"a": np.arange(6, dtype=np.float32).reshape(2, 3),
               "b": np.array([1.5, -2.25], dtype=np.float16),
               "c": np.linspace(0, 1, 4).reshape(2, 2)}
    path = tmp_path / "m.safetensors"
    numpy_writer.save_file(tensors, str(path), metadata={"format": "np"})
    read = SafetensorsFile(path)
    assert read.shapes() == {"a": (2, 3), "b": (2,), "c": (2, 2)}
    for name, value in tensors.items():
        assert np.array_equal(read.array(name), value.astype(np.float64))


def test_reads_bfloat16(tmp_path):
    torch = pytest.importorskip("torch")
    torch_writer = pytest.importorskip("safetensors.torch")
    value = torch.tensor([[0.5, -3.0, 1e-3], [7.0, 0.0, -0.125]], dtype=torch.bfloat16)
    path = tmp_path / "bf16.safetensors"
    torch_writer.save_file({"w": value}, str(path))
    assert np.array_equal(SafetensorsFile(path).array("w"), value.double().numpy())


def test_own_writer_round_trips(tmp_path):
    path = tmp_path / "own.safetensors"
    value = np.random.default_rng(0).normal(size=(3, 5)).astype(np.float32)
    write_safetensors(path, {"fc.weight": value})
    assert np.array_equal(SafetensorsFile(path).array("fc.weight"), value)


def damaged(tmp_path, name: str, payload: bytes):
    path = tmp_path / name
    path.write_bytes(payload)
    return path


@pytest.mark.parametrize(("payload", "message"), [
    (b"\x01\x02", "shorter than its 8-byte header length"),
    (struct.pack("<Q", 10**12) + b"{}", "implausible"),
    (struct.pack("<Q", 40) + b'{"a": 1', "truncated safetensors file"),
    (struct.pack("<Q", 8) + b"\x00garbage", "not JSON"),
    (struct.pack("<Q", 2) + b"[]", "not a JSON object"),
    (struct.pack("<Q", 17) + b'{"w": {"x": 1}}  ', "lacks dtype, shape or data_offsets"),
])
def test_damaged_headers_are_one_line_errors(tmp_path, payload, message):
    path = damaged(tmp_path, "bad.safetensors", payload)
    with pytest.raises(WeightsError, match=message) as error:
        SafetensorsFile(path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_truncated_data_is_found_before_reading(tmp_path):
    path = tmp_path / "cut.safetensors"
    write_safetensors(path, {"fc.weight": np.ones((4, 64), np.float32)})
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(WeightsError, match="truncated safetensors file .*'fc.weight'"):
        SafetensorsFile(path)


def test_byte_count_must_match_the_shape(tmp_path):
    header = json.dumps({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 8]}})
    path = damaged(tmp_path, "short.safetensors",
                   struct.pack("<Q", len(header)) + header.encode() + bytes(8))
    with pytest.raises(WeightsError, match="8 bytes for shape \\[2, 2\\] F32"):
        SafetensorsFile(path)
