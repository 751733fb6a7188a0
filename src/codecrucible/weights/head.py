"""Which tensor of a checkpoint is the classifier layer.

The rule, applied to every tensor whose name ends in ``weight``:

1. it is 2-D, [classes x features], with at least 2 rows and fewer than four rows per column
   (a classifier maps many features to few classes; a vocabulary projection maps few features
   to many tokens);
2. a part of its dotted name is a classifier's usual name: ``classifier``, ``score``,
   ``head``, ``fc``, ``out_proj``, ``cls``, ... (``CLASSIFIER_NAMES``);
3. it is not a language model's head or an embedding (``lm_head``, GGUF's ``output.weight``,
   ``embed*``, ``wte``, ``token_embd``): those rows are tokens, not classes.

Among the tensors that pass, the one with the fewest rows is the final layer (an MLP head's
hidden layer, a RoBERTa head's dense layer, have more rows than classes); among equals, the
last in name order, numbers compared as numbers (``head.2`` after ``head.0``). ``--layer``
names any 2-D tensor instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from codecrucible.weights import WeightsError
from codecrucible.weights.readers import Checkpoint

CLASSIFIER_NAMES = frozenset({
    "classifier", "classification_head", "cls", "score", "scores", "head", "heads", "fc",
    "out_proj", "output_layer", "logits", "pred", "prediction", "predictions", "linear_head",
})
NOT_CLASSIFIERS = re.compile(r"(^|\.)(lm_head|embed\w*|wte|wpe|token_embd)(\.|$)|^output\.weight$")
MAX_ROWS_PER_COLUMN = 4


@dataclass
class ClassifierHead:
    name: str
    weight: np.ndarray            # [classes x features]
    bias: np.ndarray | None
    # The other tensors that passed the rule, so a user can see what was not chosen.
    alternatives: list[str]


def natural_key(name: str) -> list:
    return [(0, int(part), "") if part.isdigit() else (1, 0, part)
            for part in re.split(r"(\d+)", name)]


def is_classifier(name: str, shape: tuple[int, ...]) -> bool:
    parts = name.split(".")
    if parts[-1] != "weight" or len(shape) != 2 or NOT_CLASSIFIERS.search(name):
        return False
    rows, columns = shape
    return 2 <= rows < MAX_ROWS_PER_COLUMN * columns and bool(CLASSIFIER_NAMES & set(parts))


def find_head(checkpoint: Checkpoint, layer: str | None = None) -> ClassifierHead:
    shapes = checkpoint.tensors.shapes()
    if layer is not None:
        return _named(checkpoint, shapes, layer)
    found = sorted((name for name, shape in shapes.items() if is_classifier(name, shape)),
                   key=lambda name: (-shapes[name][0], natural_key(name)))
    if not found:
        matrices = [f"{n} {list(s)}" for n, s in shapes.items() if len(s) == 2][:4]
        seen = f"; 2-D tensors: {', '.join(matrices)}" if matrices else "; no 2-D tensors"
        raise WeightsError(f"{checkpoint.path}: no classifier layer found (a 2-D weight named "
                           f"like classifier/score/head/fc/out_proj{seen}); name one with "
                           "--layer NAME")
    return _loaded(checkpoint, shapes, found[-1], found[:-1])


def _named(checkpoint: Checkpoint, shapes: dict, layer: str) -> ClassifierHead:
    name = layer if layer in shapes else f"{layer}.weight"
    if name not in shapes:
        raise WeightsError(f"{checkpoint.path}: no tensor named {layer!r} (nor "
                           f"{layer + '.weight'!r})")
    if len(shapes[name]) != 2 or shapes[name][0] < 2:
        raise WeightsError(f"{checkpoint.path}: tensor {name!r} has shape "
                           f"{list(shapes[name])}; a classifier layer is 2-D with a row per "
                           "class (at least 2)")
    return _loaded(checkpoint, shapes, name, [])


def _loaded(checkpoint: Checkpoint, shapes: dict, name: str,
            alternatives: list[str]) -> ClassifierHead:
    weight = checkpoint.tensors.array(name)
    bias_name = name[: -len("weight")] + "bias" if name.endswith("weight") else None
    bias = None
    if bias_name in shapes and shapes[bias_name] == (weight.shape[0],):
        bias = checkpoint.tensors.array(bias_name)
    if not np.all(np.isfinite(weight)):
        raise WeightsError(f"{checkpoint.path}: layer {name!r} holds NaN or infinite weights")
    return ClassifierHead(name, weight, bias, alternatives)
