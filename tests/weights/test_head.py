"""The rule that finds the classifier layer (weights/head.py's docstring)."""

import numpy as np
import pytest

from codecrucible.weights import WeightsError
from codecrucible.weights.head import find_head, is_classifier
from codecrucible.weights.readers import open_checkpoint
from codecrucible.weights.safetensors_file import write_safetensors


def checkpoint(tmp_path, shapes: dict):
    path = tmp_path / "m.safetensors"
    write_safetensors(path, {name: np.full(shape, 0.5, np.float32)
                             for name, shape in shapes.items()})
    return open_checkpoint(path)


def test_a_roberta_head_gives_its_out_proj(tmp_path):
    head = find_head(checkpoint(tmp_path, {
        "roberta.encoder.layer.0.attention.self.query.weight": (64, 64),
        "classifier.dense.weight": (64, 64), "classifier.dense.bias": (64,),
        "classifier.out_proj.weight": (2, 64), "classifier.out_proj.bias": (2,)}))
    assert head.name == "classifier.out_proj.weight" and head.bias.shape == (2,)
    assert head.alternatives == ["classifier.dense.weight"]


def test_an_mlp_head_gives_its_last_layer(tmp_path):
    head = find_head(checkpoint(tmp_path, {"head.0.weight": (16, 64), "head.2.weight": (7, 16),
                                           "head.10.weight": (16, 16)}))
    assert head.name == "head.2.weight"


def test_among_equals_the_last_in_natural_order(tmp_path):
    assert find_head(checkpoint(tmp_path, {"fc.2.weight": (3, 8), "fc.10.weight": (3, 8)}))\
        .name == "fc.10.weight"


@pytest.mark.parametrize(("name", "shape", "expected"), [
    ("lm_head.weight", (3, 64), False),        # a language model's head, even a small one
    ("output.weight", (3, 64), False),         # GGUF's language model head
    ("score.weight", (32000, 512), False),     # a vocabulary's rows, not classes
    ("score.weight", (1000, 512), True),       # ImageNet-sized: still a classifier
    ("score.bias", (3,), False),
    ("model.fc1.weight", (3, 64), False),      # an MLP block, not a classifier's name
    ("fc.weight", (1, 64), False),             # one row: nothing to compare
    ("model.score.weight", (5, 64), True),
])
def test_the_rule(name, shape, expected):
    assert is_classifier(name, shape) is expected


def test_no_classifier_layer_is_a_one_line_error(tmp_path):
    with pytest.raises(WeightsError, match="no classifier layer found .*encoder.weight "
                       "\\[8, 8\\].*--layer NAME") as error:
        find_head(checkpoint(tmp_path, {"encoder.weight": (8, 8), "lm_head.weight": (50, 8)}))
    assert "m.safetensors" in str(error.value) and "\n" not in str(error.value)


def test_a_named_layer(tmp_path):
    ckpt = checkpoint(tmp_path, {"encoder.weight": (8, 8), "proj.weight": (4, 8)})
    assert find_head(ckpt, "proj").name == "proj.weight"
    assert find_head(ckpt, "encoder.weight").weight.shape == (8, 8)
    with pytest.raises(WeightsError, match="no tensor named 'nope'"):
        find_head(ckpt, "nope")


def test_a_named_layer_must_be_a_matrix(tmp_path):
    with pytest.raises(WeightsError, match="'fc.bias' has shape \\[4\\]"):
        find_head(checkpoint(tmp_path, {"fc.bias": (4,)}), "fc.bias")
