"""Every format the scanner reads, written here by its own library."""

import json

import numpy as np
import pytest

from codecrucible.weights import WeightsError
from codecrucible.weights.head import find_head
from codecrucible.weights.readers import open_checkpoint
from codecrucible.weights.safetensors_file import write_safetensors


@pytest.fixture
def weight(make_head):
    return make_head(5, 32, planted=2)


@pytest.mark.parametrize("zip_format", [True, False])
def test_pytorch_state_dict_even_inside_a_training_checkpoint(tmp_path, weight, zip_format):
    """Both of torch's file formats: the zip one is memory-mapped, the legacy one cannot be."""
    torch = pytest.importorskip("torch")
    state = {"encoder.weight": torch.randn(32, 48), "classifier.weight": torch.tensor(weight),
             "classifier.bias": torch.zeros(5)}
    torch.save({"epoch": 3, "state_dict": state}, tmp_path / "model.pt",
               _use_new_zipfile_serialization=zip_format)
    checkpoint = open_checkpoint(tmp_path / "model.pt")
    head = find_head(checkpoint)
    assert checkpoint.format == "pytorch" and head.name == "classifier.weight"
    assert np.array_equal(head.weight, weight) and head.bias.shape == (5,)


def test_pytorch_file_that_is_not_a_state_dict(tmp_path):
    pytest.importorskip("torch")
    path = tmp_path / "notes.pth"
    path.write_text("not a pickle")
    with pytest.raises(WeightsError, match="notes.pth: not a readable PyTorch state dict"):
        open_checkpoint(path)


def test_hugging_face_directory_with_labels(tmp_path, weight):
    (tmp_path / "config.json").write_text(json.dumps(
        {"id2label": {str(i): name for i, name in enumerate("abcde")}}))
    write_safetensors(tmp_path / "model.safetensors",
                      {"bert.pooler.dense.weight": np.zeros((32, 32), np.float32),
                       "classifier.weight": weight})
    checkpoint = open_checkpoint(tmp_path)
    assert checkpoint.format == "hf-safetensors" and checkpoint.labels == list("abcde")
    assert np.array_equal(find_head(checkpoint).weight, weight)


def test_hugging_face_directory_with_a_pytorch_bin(tmp_path, weight):
    torch = pytest.importorskip("torch")
    torch.save({"score.weight": torch.tensor(weight)}, tmp_path / "pytorch_model.bin")
    checkpoint = open_checkpoint(tmp_path)
    assert checkpoint.format == "hf-pytorch" and checkpoint.labels is None
    assert find_head(checkpoint).name == "score.weight"


def test_sharded_safetensors_directory(tmp_path, weight):
    write_safetensors(tmp_path / "a.safetensors", {"body.weight": np.ones((40, 32), "f4")})
    write_safetensors(tmp_path / "b.safetensors", {"score.weight": weight})
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(
        {"weight_map": {"body.weight": "a.safetensors", "score.weight": "b.safetensors"}}))
    assert np.array_equal(find_head(open_checkpoint(tmp_path)).weight, weight)


def test_directory_without_weights(tmp_path):
    with pytest.raises(WeightsError, match="a directory without model.safetensors"):
        open_checkpoint(tmp_path)


@pytest.mark.parametrize("quantised", [False, True])
def test_gguf_file(tmp_path, weight, quantised):
    gguf = pytest.importorskip("gguf")
    path = tmp_path / "classifier.gguf"
    writer = gguf.GGUFWriter(str(path), "bert")
    writer.add_tensor("token_embd.weight", np.zeros((100, 32), np.float32))
    if quantised:
        data = gguf.quants.quantize(weight, gguf.GGMLQuantizationType.Q8_0)
        writer.add_tensor("cls.output.weight", data, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    else:
        writer.add_tensor("cls.output.weight", weight.astype(np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    head = find_head(open_checkpoint(path))
    assert head.name == "cls.output.weight" and head.weight.shape == (5, 32)
    assert np.allclose(head.weight, weight, atol=2e-3)


def test_not_a_gguf_file(tmp_path):
    pytest.importorskip("gguf")
    path = tmp_path / "junk.gguf"
    path.write_bytes(b"GGUX" + bytes(60))
    with pytest.raises(WeightsError, match="junk.gguf: not a readable GGUF file"):
        open_checkpoint(path)


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(WeightsError, match="absent.safetensors: no such file"):
        open_checkpoint(tmp_path / "absent.safetensors")
    (tmp_path / "weights.npz").write_bytes(b"PK")
    with pytest.raises(WeightsError, match="weights.npz: unknown checkpoint format '.npz'"):
        open_checkpoint(tmp_path / "weights.npz")
