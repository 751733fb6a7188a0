"""``embedded:NAME+lora=PATH`` and ``gguf:PATH+lora=PATH``: llama.cpp applies a GGUF LoRA
adapter to the base; the adapter's bytes are part of the model's identity (so the response
cache and a resumed run never mix a tuned model's answers with the base's); a missing, foreign
or damaged adapter is one line naming it. The adapters here are written from numpy arrays of
SmolLM2-135M's shapes (no torch needed)."""

from __future__ import annotations

import numpy as np
import pytest

from codecrucible.models import ModelError, ModelOptions, Request, open_model
from codecrucible.models.llama import CATALOG, resolve_embedded

gguf = pytest.importorskip("gguf", reason="the train extra is not installed")

from codecrucible.training.lora_gguf import BaseShape, write_adapter  # noqa: E402

SMOLLM2 = BaseShape("llama", layers=30, heads=9, kv_heads=3)
HIDDEN = 576


def _available() -> bool:
    try:
        resolve_embedded("smollm2-135m")
    except ModelError:
        return False
    return True


pytestmark = pytest.mark.skipif(not _available(), reason="the smollm2 extra is not installed")


def _adapter(path, scale: float, seed: int = 0, rows: int = HIDDEN, arch: str = "llama"):
    """A rank-4 adapter on layer 0's q and v projections; ``scale`` 0 leaves the model as it
    is (B = 0, as peft starts)."""
    rng = np.random.default_rng(seed)
    state = {}
    for module, out in (("q_proj", rows), ("v_proj", 192)):
        key = f"base_model.model.model.layers.0.self_attn.{module}"
        state[f"{key}.lora_A.weight"] = rng.normal(0, 0.1, (4, HIDDEN)).astype(np.float32)
        state[f"{key}.lora_B.weight"] = rng.normal(0, scale, (out, 4)).astype(np.float32)
    shape = BaseShape(arch, SMOLLM2.layers, SMOLLM2.heads, SMOLLM2.kv_heads)
    return write_adapter(path, state, shape, alpha=8.0)


REQUEST = Request(messages=(("user", "Write a Python function that adds two numbers."),),
                  max_tokens=12)
OPTIONS = ModelOptions(threads=1, context=256)


def test_a_zero_adapter_answers_as_the_base_under_another_identity(tmp_path):
    adapter = _adapter(tmp_path / "zero.gguf", scale=0.0)
    base = open_model("embedded:smollm2-135m", OPTIONS)
    tuned = open_model(f"embedded:smollm2-135m+lora={adapter}", OPTIONS)
    try:
        [plain], [same] = base.generate([REQUEST]), tuned.generate([REQUEST])
        assert same.text == plain.text and not same.cached   # no cache hit across the two
        assert tuned.identity != base.identity
        assert tuned.identity.startswith(base.identity + "+lora:")
        facts = tuned.describe()
        assert facts["lora"] == str(adapter) and len(facts["lora_sha256"]) == 64
        assert facts["sha256"] == CATALOG["smollm2-135m"].sha256
    finally:
        base.close()
        tuned.close()


def test_the_adapter_changes_the_answer_and_its_bytes_the_identity(tmp_path):
    strong = _adapter(tmp_path / "strong.gguf", scale=2.0)
    other = _adapter(tmp_path / "other.gguf", scale=2.0, seed=1)
    base = open_model("embedded:smollm2-135m", OPTIONS)
    tuned = open_model(f"embedded:smollm2-135m+lora={strong}", OPTIONS)
    try:
        assert tuned.generate([REQUEST])[0].text != base.generate([REQUEST])[0].text
        identity = tuned.identity
    finally:
        base.close()
        tuned.close()
    strong.write_bytes(other.read_bytes())   # same path, other bytes: another model
    again = open_model(f"embedded:smollm2-135m+lora={strong}", OPTIONS)
    try:
        assert again.identity != identity
    finally:
        again.close()


def test_a_gguf_path_takes_an_adapter_after_its_pin(tmp_path):
    adapter = _adapter(tmp_path / "zero.gguf", scale=0.0)
    path, sha = CATALOG["smollm2-135m"].path, CATALOG["smollm2-135m"].sha256
    model = open_model(f"gguf:{path}#sha256={sha}+lora={adapter}", OPTIONS)
    try:
        assert model.identity.startswith(f"gguf:{sha}+lora:")
        assert model.spec == f"gguf:{path}#sha256={sha}+lora={adapter}"
    finally:
        model.close()


def test_a_missing_adapter_is_named(tmp_path):
    missing = tmp_path / "nope.gguf"
    with pytest.raises(ModelError, match=f"LoRA adapter '{missing}': no such file"):
        open_model(f"embedded:smollm2-135m+lora={missing}", OPTIONS)


def test_a_file_that_is_not_gguf_is_named(tmp_path):
    bad = tmp_path / "adapter.safetensors"
    bad.write_bytes(b"{not gguf at all}")
    with pytest.raises(ModelError, match=f"{bad}: not a GGUF LoRA adapter"):
        open_model(f"embedded:smollm2-135m+lora={bad}", OPTIONS)


@pytest.mark.parametrize("cut", [0.3, 0.5, 0.99])
def test_a_truncated_adapter_is_named_before_llama_cpp_reads_it(tmp_path, cut):
    full = _adapter(tmp_path / "full.gguf", scale=0.1)
    path = tmp_path / "adapter.gguf"
    path.write_bytes(full.read_bytes()[: int(full.stat().st_size * cut)])
    with pytest.raises(ModelError, match=f"^{path}: a damaged GGUF LoRA adapter"):
        open_model(f"embedded:smollm2-135m+lora={path}", OPTIONS)


def test_a_model_file_given_as_the_adapter_is_named():
    path = CATALOG["smollm2-135m"].path
    with pytest.raises(ModelError, match=f"^{path}: a GGUF file but not a LoRA adapter"):
        open_model(f"embedded:smollm2-135m+lora={path}", OPTIONS)


@pytest.mark.parametrize("damage", ["foreign architecture", "wrong shapes"])
def test_an_adapter_llama_cpp_refuses_is_one_line_naming_it(tmp_path, damage):
    path = tmp_path / "adapter.gguf"
    if damage == "foreign architecture":
        _adapter(path, scale=0.1, arch="qwen2")
    else:
        _adapter(path, scale=0.1, rows=HIDDEN // 2)
    with pytest.raises(ModelError) as error:
        open_model(f"embedded:smollm2-135m+lora={path}", OPTIONS)
    message = str(error.value)
    assert message.startswith(f"{path}: llama.cpp cannot apply this LoRA adapter")
    assert "\n" not in message
