"""Models' names for people: the spec without backend, path or pin; an adapter adds the name
of the folder ``crucible finetune`` wrote it to."""

from __future__ import annotations

import pytest

from codecrucible.report.names import model_name


@pytest.mark.parametrize("spec, name", [
    ("embedded:qwen2.5-coder-0.5b", "qwen2.5-coder-0.5b"),
    ("gguf:/models/tiny.gguf", "tiny"),
    ("gguf:/models/tiny.gguf#sha256=abc", "tiny"),
    ("openai:http://127.0.0.1:8000/v1#small", "small"),
    ("hf:/ckpt/my-model/", "my-model"),
    ("embedded:smollm2-135m+lora=/runs/tuned/adapter.gguf", "smollm2-135m+tuned"),
    ("gguf:/models/tiny.gguf#sha256=abc+lora=/x/evolved.gguf", "tiny+evolved"),
])
def test_model_names(spec, name):
    assert model_name(spec) == name
