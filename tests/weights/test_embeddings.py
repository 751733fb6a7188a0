"""One tiny real embedding run on SmolLM2-135M (skipped where its extra is not installed):
mean-pooled vectors, cached by model and text, so a second pass needs no model."""

from __future__ import annotations

import numpy as np
import pytest
from support import embedded_installed

from codecrucible.models import ModelError
from codecrucible.weights.embeddings import EmbeddingCache, Encoder, embed_all, missing_count

pytestmark = pytest.mark.skipif(not embedded_installed("smollm2-135m"),
                                reason="the smollm2 extra is not installed")

TEXTS = ["def add(a, b):\n    return a + b", "def add(a, b):\n    return a - b",
         "def first(xs):\n    return xs[0]"]


def test_smollm2_embeddings_are_cached_by_model_and_text(tmp_path):
    encoder = Encoder("embedded:smollm2-135m", threads=1, context=256)
    cache = EmbeddingCache(encoder.sha256, 256, root=tmp_path)
    try:
        vectors = embed_all(TEXTS, encoder, cache)
    finally:
        encoder.close()
    assert vectors.shape == (3, 576) and np.all(np.isfinite(vectors))
    assert not np.allclose(vectors[0], vectors[1])   # one operator apart, still different
    assert missing_count(TEXTS, cache) == 0
    again = embed_all(TEXTS[::-1], None, cache)      # no model needed now
    assert np.array_equal(again, vectors[::-1])
    with pytest.raises(ModelError):
        embed_all(["def new(): pass"], None, cache)
