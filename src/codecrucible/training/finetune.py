"""LoRA supervised fine-tuning on one CPU thread, checkpointed so a killed run resumes exactly.

The base is an embedded model or any GGUF file (transformers dequantises it into a float
model) or a transformers checkpoint directory. peft adds LoRA to the attention and MLP
projections; the loss covers answer tokens only (``sft_data``); one example per step.

Every ``checkpoint_every`` steps, ``OUT/checkpoint.pt`` is replaced atomically (written aside,
synced, renamed) with all a resume needs: the adapter's weights, the optimizer's state, the
step, the data order and the random generator's state, plus the settings it was made with. A
resumed run goes on from that step and ends with the same weights as a run never interrupted;
a kill loses at most the steps since the last checkpoint.

At the end ``OUT/adapter/`` holds peft's adapter (``save_pretrained``: the adapter only) and
``OUT/adapter.gguf`` the same weights for llama.cpp (``lora_gguf``), and ``OUT/finetune.json``
what was done. torch, transformers and peft come with the ``train`` extra and are imported
only here, when a run starts.
"""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import time
import warnings
from collections.abc import Callable
from contextlib import contextmanager, redirect_stderr
from dataclasses import asdict, dataclass, field
from pathlib import Path

from codecrucible.files import sha256_of
from codecrucible.models.hf import checkpoint_files, checkpoint_sha256
from codecrucible.models.llama import CATALOG, resolve_embedded
from codecrucible.training.lora_gguf import PROJECTIONS, BaseShape, write_peft_adapter
from codecrucible.training.sft_data import Encoded, Pair, encode, read_pairs

HINT = "pip install 'codecrucible[train]'"
CHECKPOINT = "checkpoint.pt"
ADAPTER_DIR, ADAPTER_GGUF, SUMMARY = "adapter", "adapter.gguf", "finetune.json"


class FinetuneError(RuntimeError):
    """A fine-tuning run that cannot start or go on, named with what is wrong."""


@dataclass(frozen=True)
class FinetuneConfig:
    source: str              # embedded:NAME, gguf:PATH, hf:PATH, or a .gguf file or directory
    data: Path
    out: Path
    rank: int = 16
    alpha: float = 32.0
    dropout: float = 0.05
    lr: float = 2e-4
    epochs: int = 1
    max_steps: int | None = None   # overrides epochs
    max_length: int = 512
    seed: int = 0
    threads: int = 1
    checkpoint_every: int = 50
    warmup: int = 0                # steps of linear warm-up; then linear decay to 0
    targets: tuple[str, ...] = PROJECTIONS

    def settings(self) -> dict:
        """What decides the trained weights (the output folder and threads do not)."""
        facts = asdict(self)
        for name in ("out", "threads", "checkpoint_every", "source", "data"):
            facts.pop(name)
        facts["targets"] = list(self.targets)
        return facts


@dataclass(frozen=True)
class Base:
    """The model to tune: where transformers reads it from, and the llama.cpp spec of the
    quantised model the GGUF adapter applies to (None for a transformers checkpoint)."""

    directory: Path
    gguf_file: str | None
    sha256: str
    spec: str | None


@dataclass
class Progress:
    step: int                 # steps done
    total: int
    tokens: int               # tokens processed in this process (a resume starts at 0)
    seconds: float            # seconds spent on steps in this process
    loss: float

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


@dataclass
class Result:
    out: Path
    steps: int
    examples: int
    skipped: int              # examples whose prompt alone fills max_length
    cut: int                  # examples whose answer max_length cuts short
    tokens: int
    seconds: float
    losses: list[float] = field(default_factory=list)
    spec: str | None = None   # the model spec that runs the tuned model in llama.cpp

    @property
    def adapter_gguf(self) -> Path:
        return self.out / ADAPTER_GGUF


def require_extra() -> None:
    """A clear error when the ``train`` extra is missing."""
    for module in ("torch", "transformers", "peft", "gguf"):
        try:
            __import__(module)
        except ImportError as err:
            raise FinetuneError(f"crucible finetune needs the train extra: {HINT} "
                                f"({err})") from None


def resolve_base(source: str) -> Base:
    scheme, _, rest = source.partition(":")
    if scheme == "embedded":
        model, path = resolve_embedded(rest)
        return Base(path.parent, path.name, model.sha256, source)
    pin = ""
    if scheme in ("gguf", "hf"):
        location, _, pin = rest.partition("#")
        path = Path(location).expanduser()
    else:
        path = Path(source).expanduser()
    if path.is_file():
        with open(path, "rb") as handle:
            if handle.read(4) != b"GGUF":
                raise FinetuneError(f"{path}: not a GGUF file (bad magic bytes)")
        actual, expected = sha256_of(path), pin.removeprefix("sha256=").strip().lower()
        if expected and actual != expected:
            raise FinetuneError(f"{path}: sha256 {actual} does not match the expected "
                                f"{expected}; the file was changed or damaged")
        return Base(path.parent, path.name, actual, f"gguf:{path.resolve()}")
    if path.is_dir():
        try:
            return Base(path, None, checkpoint_sha256(checkpoint_files(path)), None)
        except Exception as err:   # ModelError: not a checkpoint
            raise FinetuneError(str(err)) from None
    known = ", ".join(f"embedded:{name}" for name in CATALOG)
    raise FinetuneError(f"{source}: no such model (an embedded model ({known}), a GGUF file "
                        f"or a transformers checkpoint directory)")


def load(base: Base, threads: int):
    """The float model and its tokenizer, on ``threads`` CPU threads."""
    import torch
    import transformers

    torch.set_num_threads(threads)
    transformers.logging.set_verbosity_error()
    where = {"gguf_file": base.gguf_file} if base.gguf_file else {}
    name = base.directory / (base.gguf_file or "")
    try:
        with _quiet():
            tokenizer = transformers.AutoTokenizer.from_pretrained(
                base.directory, local_files_only=True, **where)
            model = transformers.AutoModelForCausalLM.from_pretrained(
                base.directory, local_files_only=True, dtype=torch.float32, **where)
    except (OSError, ValueError, KeyError) as err:
        raise FinetuneError(f"{name}: transformers cannot load this model "
                            f"({str(err).splitlines()[0]})") from None
    model.config.name_or_path = str(name)   # what peft's adapter_config.json names as base
    return model, tokenizer


@contextmanager
def _quiet():
    """No dequantisation bars (transformers' tqdm writes to stderr) or library warnings over
    the run's own progress; errors still arrive as exceptions."""
    with warnings.catch_warnings(), redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def attach_lora(model, config: FinetuneConfig):
    from peft import LoraConfig, get_peft_model

    present = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    targets = [t for t in config.targets if t in present]
    if not targets:
        raise FinetuneError(f"the model has none of the projections {', '.join(config.targets)}")
    lora = LoraConfig(r=config.rank, lora_alpha=config.alpha, lora_dropout=config.dropout,
                      target_modules=targets, task_type="CAUSAL_LM", bias="none")
    return get_peft_model(model, lora)


def data_order(seed: int, epoch: int, examples: int) -> list[int]:
    """The order of one epoch: a permutation fixed by the seed and the epoch."""
    import numpy as np

    return np.random.default_rng([seed, epoch]).permutation(examples).tolist()


def learning_rate(config: FinetuneConfig, step: int, total: int) -> float:
    if config.warmup and step < config.warmup:
        return config.lr * (step + 1) / config.warmup
    left = max(1, total - config.warmup)
    return config.lr * max(0.0, 1 - (step - config.warmup) / left)


def fingerprint(config: FinetuneConfig, base: Base, data_sha256: str) -> dict:
    return {"base_sha256": base.sha256, "data_sha256": data_sha256, **config.settings()}


def _save_atomically(state: dict, path: Path) -> None:
    import torch

    partial = path.with_name(f"{path.name}.partial-{os.getpid()}")
    try:
        with open(partial, "wb") as handle:
            torch.save(state, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _encode_all(tokenizer, pairs: list[Pair], config: FinetuneConfig
                ) -> tuple[list[Encoded], int]:
    encoded = [encode(tokenizer, pair, config.max_length) for pair in pairs]
    kept = [e for e in encoded if e is not None]
    if not kept:
        raise FinetuneError(f"{config.data}: every prompt fills --max-length "
                            f"{config.max_length}; raise it")
    return kept, len(encoded) - len(kept)


def total_steps(config: FinetuneConfig, examples: int) -> int:
    return config.max_steps if config.max_steps is not None else config.epochs * examples


def finetune(config: FinetuneConfig, *, resume: bool = False,
             on_step: Callable[[Progress], None] | None = None,
             on_load: Callable[[int, int], None] | None = None,
             on_loading: Callable[[Base], None] | None = None) -> Result:
    """Train, checkpointing as it goes, and write the adapters; ``resume`` continues from
    ``OUT/checkpoint.pt``. ``on_loading(base)`` is called once the data and settings are
    checked, before the model loads; ``on_load(steps_done, total)`` before the first step;
    ``on_step`` after each."""
    require_extra()
    import torch
    from peft import get_peft_model_state_dict, set_peft_model_state_dict

    out = config.out
    checkpoint = out / CHECKPOINT
    if not resume and (checkpoint.exists() or (out / ADAPTER_GGUF).exists()):
        raise FinetuneError(f"{out} already holds a fine-tuning run; add --resume to continue "
                            f"it, or choose another --out")
    base = resolve_base(config.source)
    data_sha256 = sha256_of(config.data) if Path(config.data).is_file() else ""
    expected = fingerprint(config, base, data_sha256)
    if resume and (out / SUMMARY).exists() and not checkpoint.exists():
        return _finished(out, expected)

    pairs = read_pairs(config.data)   # a bad line stops the run before the model loads
    if on_loading:
        on_loading(base)
    model, tokenizer = load(base, config.threads)
    BaseShape.from_config(model.config)   # a model the GGUF adapter cannot be written for
    examples, skipped = _encode_all(tokenizer, pairs, config)
    total = total_steps(config, len(examples))
    torch.manual_seed(config.seed)
    with _quiet():
        model = attach_lora(model, config)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=config.lr, weight_decay=0.0)
    epochs = math.ceil(total / len(examples))
    orders = [data_order(config.seed, epoch, len(examples)) for epoch in range(epochs)]
    step, losses = 0, []
    if resume and checkpoint.exists():   # else killed before its first checkpoint: start
        state = torch.load(checkpoint, weights_only=True)
        _check_same_run(state["fingerprint"], expected, checkpoint)
        set_peft_model_state_dict(model, state["adapter"])
        optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["torch_rng"])
        step, losses, orders = state["step"], state["losses"], state["orders"]
    out.mkdir(parents=True, exist_ok=True)
    if on_load:
        on_load(step, total)

    model.train()
    tokens, seconds = 0, 0.0
    while step < total:
        started = time.perf_counter()
        example = examples[orders[step // len(examples)][step % len(examples)]]
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(config, step, total)
        ids = torch.tensor([example.input_ids])
        loss = model(input_ids=ids, labels=torch.tensor([example.labels])).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        losses.append(round(loss.item(), 5))
        tokens += len(example.input_ids)
        if step % config.checkpoint_every == 0 or step == total:
            _save_atomically({"fingerprint": expected, "step": step, "losses": losses,
                              "orders": orders, "adapter": get_peft_model_state_dict(
                                  model, save_embedding_layers=False),
                              "optimizer": optimizer.state_dict(),
                              "torch_rng": torch.get_rng_state()}, checkpoint)
        seconds += time.perf_counter() - started   # checkpoints count: they are the run's cost
        if on_step:
            on_step(Progress(step, total, tokens, seconds, losses[-1]))

    cut = sum(e.cut for e in examples)
    result = Result(out, step, len(examples), skipped, cut, tokens, seconds, losses,
                    f"{base.spec}+lora={(out / ADAPTER_GGUF).resolve()}" if base.spec else None)
    _write_adapters(model, out)
    summary = {"fingerprint": expected, "source": config.source, "data": str(config.data),
               "steps": step, "examples": len(examples), "skipped": skipped, "cut": cut,
               "losses": losses, "spec": result.spec,
               "last_process": {"tokens": tokens, "seconds": round(seconds, 3)}}
    (out / SUMMARY).write_text(json.dumps(summary, indent=1) + "\n")
    checkpoint.unlink()   # the adapters hold it all now; a resume reads the summary
    return result


def _check_same_run(found: dict, expected: dict, checkpoint: Path) -> None:
    differs = sorted(k for k in found.keys() | expected.keys() if found.get(k) != expected.get(k))
    if differs:
        raise FinetuneError(f"{checkpoint} was made with other settings or data "
                            f"({', '.join(differs)} differ); resume with the same ones")


def _finished(out: Path, expected: dict) -> Result:
    summary = json.loads((out / SUMMARY).read_text())
    _check_same_run(summary["fingerprint"], expected, out / SUMMARY)
    return Result(out, summary["steps"], summary["examples"], summary["skipped"],
                  summary["cut"], 0, 0.0,
                  summary["losses"], summary["spec"])


def _write_adapters(model, out: Path) -> None:
    """peft's adapter folder (replaced whole) and the GGUF adapter, each written aside first."""
    partial = out / f"{ADAPTER_DIR}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    with _quiet():
        model.save_pretrained(partial, save_embedding_layers=False)
    shutil.rmtree(out / ADAPTER_DIR, ignore_errors=True)
    os.replace(partial, out / ADAPTER_DIR)
    write_peft_adapter(model, out / ADAPTER_GGUF)

