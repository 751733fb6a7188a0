"""Fixtures of the fine-tuning tests: SmolLM2-135M's tokenizer (read from its GGUF file) and a
tiny random llama checkpoint with that tokenizer, whose training steps take milliseconds."""

from __future__ import annotations

import pytest

from codecrucible.models import ModelError
from codecrucible.models.llama import resolve_embedded


@pytest.fixture(scope="session")
def train_extra():
    """Skips a test where the train extra is missing (a fixture, not a module-level skip: the
    other training tests in this folder need none of it)."""
    for module in ("torch", "transformers", "peft", "gguf"):
        pytest.importorskip(module, reason="the train extra is not installed")


@pytest.fixture(scope="session")
def smollm2_gguf(train_extra):
    try:
        return resolve_embedded("smollm2-135m")[1]
    except ModelError as err:
        pytest.skip(f"SmolLM2-135M is not available ({err})")


@pytest.fixture(scope="session")
def smollm2_tokenizer(smollm2_gguf):
    import transformers
    return transformers.AutoTokenizer.from_pretrained(smollm2_gguf.parent,
                                                      gguf_file=smollm2_gguf.name)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory, smollm2_tokenizer):
    """Two layers of width 64 on SmolLM2's vocabulary and chat template, saved as a
    transformers checkpoint."""
    import torch
    import transformers
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=len(smollm2_tokenizer), hidden_size=64, intermediate_size=128,
        num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        tie_word_embeddings=True, bos_token_id=smollm2_tokenizer.bos_token_id,
        eos_token_id=smollm2_tokenizer.eos_token_id)
    model = transformers.LlamaForCausalLM(config)
    path = tmp_path_factory.mktemp("tiny-llama")
    model.save_pretrained(path)
    smollm2_tokenizer.save_pretrained(path)
    return path
