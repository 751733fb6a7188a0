"""One real prompting call on SmolLM2-135M through the cache and meter: the answer maps to a
label or counts as invalid. Skipped where the smollm2 extra is not installed."""

from __future__ import annotations

import pytest
from support import embedded_installed

from codecrucible.classify.items import Item
from codecrucible.classify.prompting import classify_item
from codecrucible.classify.prompts import PASS_FRAME
from codecrucible.models import ModelOptions, open_model

pytestmark = pytest.mark.skipif(not embedded_installed("smollm2-135m"),
                                reason="the smollm2 extra is not installed")


def test_a_real_model_answers_a_task_only_prompt():
    model = open_model("embedded:smollm2-135m", ModelOptions(threads=1, context=2048))
    try:
        item = Item("T/0:0", "T/0", "def add(a, b):\n    return a + b", "all", "T/0")
        prediction = classify_item(model, "task_only", PASS_FRAME, item)
    finally:
        model.close()
    assert prediction.tokens_in > 0 and prediction.tokens_out > 0
    assert prediction.label in (*PASS_FRAME.labels, None)
    assert prediction.cpu_s > 0 or prediction.cached
