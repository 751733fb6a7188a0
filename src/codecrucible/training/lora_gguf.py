"""A peft LoRA adapter written as a GGUF LoRA adapter, which llama.cpp applies to the quantised
base model (``Llama(model_path=BASE, lora_path=ADAPTER)``).

The file is a GGUF of ``general.type`` ``adapter``: ``adapter.type`` ``lora``, the scale's
numerator in ``adapter.lora.alpha`` (llama.cpp scales by alpha / rank, as peft does), and for
each adapted projection two tensors named after the base tensor, ``blk.N.attn_q.weight.lora_a``
(rank x in) and ``...lora_b`` (out x rank), names taken from ``gguf``'s own tensor name map.

**The q/k permutation.** For llama-architecture models (SmolLM2) the GGUF file stores the rows
of the query and key projections in another order than the HF checkpoint: each head's rows are
interleaved (the halves rotary embedding pairs up are woven together). transformers undoes that
when it loads a GGUF file, so an adapter trained there is in HF order, and its q/k ``lora_b``
rows (the output side) must be reordered the same way, or llama.cpp adds each head's update to
the wrong rows: the model still runs and its output is silently wrong. Qwen2 and Gemma3 files
keep HF's order.

Only numpy and ``gguf`` are needed here (a state dict of torch tensors is converted).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# The HF model types handled, and the GGUF architecture each is written for.
ARCHITECTURES = {"llama": "llama", "qwen2": "qwen2", "gemma3": "gemma3",
                 "gemma3_text": "gemma3"}
PERMUTED = {"llama"}   # GGUF architectures whose q/k rows are stored permuted
# The projections llama.cpp applies an adapter to (every one goes through its LoRA matmul).
PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
_KEY = re.compile(r"^(?:base_model\.model\.)?(?P<module>.+)\.lora_(?P<side>[AB])"
                  r"(?:\.[^.]+)?\.weight$")


class AdapterError(ValueError):
    """An adapter that cannot be written for llama.cpp, named with what is wrong."""


@dataclass(frozen=True)
class BaseShape:
    """What the conversion needs to know of the base model."""

    arch: str          # the GGUF architecture: llama, qwen2, gemma3
    layers: int
    heads: int
    kv_heads: int

    @classmethod
    def from_config(cls, config) -> BaseShape:
        """From a transformers config (``model.config``)."""
        text = getattr(config, "text_config", None) or config
        model_type = getattr(text, "model_type", None) or getattr(config, "model_type", None)
        if model_type not in ARCHITECTURES:
            raise AdapterError(f"model type {model_type!r} has no GGUF adapter writer here "
                               f"(supported: {', '.join(sorted(ARCHITECTURES))})")
        heads = text.num_attention_heads
        return cls(ARCHITECTURES[model_type], text.num_hidden_layers, heads,
                   getattr(text, "num_key_value_heads", None) or heads)


def permute_rows(weight: np.ndarray, heads: int) -> np.ndarray:
    """HF row order -> llama.cpp's for a llama q or k projection (or its ``lora_b``): within
    each head, the first and second halves of the rows are interleaved."""
    rows = weight.shape[0]
    if rows % (2 * heads):
        raise AdapterError(f"{rows} rows do not split into {heads} heads of paired halves")
    return (weight.reshape(heads, 2, rows // heads // 2, *weight.shape[1:])
            .swapaxes(1, 2).reshape(weight.shape))


def _array(value) -> np.ndarray:
    if hasattr(value, "detach"):   # a torch tensor
        value = value.detach().to("cpu").float().numpy()
    return np.ascontiguousarray(np.asarray(value, dtype=np.float32))


def gguf_tensors(state: Mapping[str, object], shape: BaseShape, *, permute: bool = True
                 ) -> dict[str, np.ndarray]:
    """The adapter's tensors under their GGUF names, q/k ``lora_b`` permuted where the
    architecture needs it (``permute=False`` leaves them in HF order: only for showing what
    goes wrong)."""
    import gguf

    arch = next(a for a, name in gguf.MODEL_ARCH_NAMES.items() if name == shape.arch)
    names = gguf.get_tensor_name_map(arch, shape.layers)
    pairs: dict[str, dict[str, np.ndarray]] = {}
    for key, value in state.items():
        match = _KEY.match(key)
        if not match:
            raise AdapterError(f"{key}: not a LoRA A/B weight (only LoRA on linear "
                               f"projections can be written; no biases, DoRA or embeddings)")
        pairs.setdefault(match["module"], {})[match["side"]] = _array(value)
    tensors: dict[str, np.ndarray] = {}
    for module, sides in sorted(pairs.items()):
        if set(sides) != {"A", "B"}:
            raise AdapterError(f"{module}: has lora_{''.join(sides)} without its pair")
        projection = module.rsplit(".", 1)[-1]
        base = names.get_name(module)
        if projection not in PROJECTIONS or base is None:
            raise AdapterError(f"{module}: llama.cpp applies adapters to the projections "
                               f"{', '.join(PROJECTIONS)} only")
        a, b = sides["A"], sides["B"]
        if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[1]:
            raise AdapterError(f"{module}: lora_A {a.shape} and lora_B {b.shape} do not pair")
        if permute and shape.arch in PERMUTED and projection in ("q_proj", "k_proj"):
            b = permute_rows(b, shape.heads if projection == "q_proj" else shape.kv_heads)
        tensors[f"{base}.weight.lora_a"] = a
        tensors[f"{base}.weight.lora_b"] = np.ascontiguousarray(b)
    if not tensors:
        raise AdapterError("the adapter holds no LoRA weights")
    return tensors


def write_adapter(path: Path, state: Mapping[str, object], shape: BaseShape, alpha: float, *,
                  permute: bool = True) -> Path:
    """Write ``state`` (peft's adapter state dict) as a GGUF LoRA adapter at ``path``,
    atomically: a crash never leaves a half file under the name."""
    import gguf

    tensors = gguf_tensors(state, shape, permute=permute)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.partial-{os.getpid()}")
    try:
        writer = gguf.GGUFWriter(str(partial), shape.arch)
        writer.add_type(gguf.GGUFType.ADAPTER)
        writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
        writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(alpha))
        for name, tensor in tensors.items():
            writer.add_tensor(name, tensor)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def peft_alpha(config) -> float:
    """The alpha llama.cpp needs to scale as peft does (peft: alpha / r, or alpha / sqrt(r)
    with rsLoRA; llama.cpp: alpha / r). Per-module ranks or alphas cannot be written."""
    if getattr(config, "rank_pattern", None) or getattr(config, "alpha_pattern", None):
        raise AdapterError("per-module ranks or alphas (rank_pattern, alpha_pattern) cannot "
                           "be written as one GGUF adapter")
    if getattr(config, "use_dora", False):
        raise AdapterError("a DoRA adapter cannot be written as a GGUF LoRA adapter")
    if getattr(config, "use_rslora", False):
        return config.lora_alpha * math.sqrt(config.r)
    return float(config.lora_alpha)


def write_peft_adapter(model, path: Path, *, permute: bool = True) -> Path:
    """Write a peft model's (default) LoRA adapter as a GGUF adapter for its base."""
    from peft import get_peft_model_state_dict

    config = model.peft_config["default"]
    shape = BaseShape.from_config(model.get_base_model().config)
    state = get_peft_model_state_dict(model, save_embedding_layers=False)
    return write_adapter(path, state, shape, peft_alpha(config),
                         permute=permute)
