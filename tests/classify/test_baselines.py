"""The supervised baselines train on a tiny set and predict its labels back."""

from __future__ import annotations

import numpy as np
import pytest

from codecrucible.classify import ClassifyError
from codecrucible.classify.baselines import NODE_TYPES, ast_features, make

TEXTS = ["def f(x):\n    return x + 1", "def g(y):\n    return y * 2",
         "for i in range(3):\n    print(i)", "while n > 0:\n    n -= 1",
         "def h(z):\n    return z - 3", "for k in items:\n    total += k"]
LABELS = ["function", "function", "loop", "loop", "function", "loop"]


@pytest.mark.parametrize("name", ["tfidf-lr", "hashed-sgd", "ast-gb"])
def test_a_baseline_fits_and_predicts(name):
    model = make(name, seed=0).fit(TEXTS, LABELS)
    assert model.predict(TEXTS) == LABELS


def test_embed_lr_uses_the_frozen_features_it_is_given():
    vectors = {t: np.array([1.0, 0.0]) if lab == "function" else np.array([0.0, 1.0])
               for t, lab in zip(TEXTS, LABELS, strict=True)}
    model = make("embed-lr", embed=lambda texts: np.stack([vectors[t] for t in texts]))
    assert model.fit(TEXTS, LABELS).predict(TEXTS) == LABELS
    with pytest.raises(ClassifyError, match="needs an encoder"):
        make("embed-lr")


def test_one_label_in_training_predicts_it():
    assert make("tfidf-lr").fit(TEXTS[:2], ["a", "a"]).predict(TEXTS) == ["a"] * 6


def test_ast_features_count_node_types_and_flag_what_does_not_parse():
    features = ast_features("def f():\n    return 1")
    assert features[NODE_TYPES.index("FunctionDef")] == 1 and features[-1] == 0.0
    assert ast_features("def (:")[-1] == 1.0
