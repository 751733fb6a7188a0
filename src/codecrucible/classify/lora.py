"""The LoRA arm: the training wing's fine-tuning (``training.finetune``) on the training items,
the context_analyse prompt as the instruction and the label word as the whole answer (the loss
is on the answer's tokens only: the paper's completion-only collator); then the tuned model,
run by llama.cpp with its GGUF adapter, answers the same prompt for each test item.
"""

from __future__ import annotations

import json
from pathlib import Path

from codecrucible.classify import ClassifyError
from codecrucible.classify.items import Item
from codecrucible.classify.prompts import Frame, render
from codecrucible.training.finetune import FinetuneConfig, FinetuneError, finetune

SCHEME = "context_analyse"   # the prompt the paper fine-tuned with


def write_pairs(train: list[Item], frame: Frame, path: Path) -> Path:
    """The training pairs as ``crucible finetune`` reads them (instruction, output)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"instruction": render(SCHEME, frame, item).prompt,
                         "output": item.label}) for item in train]
    path.write_text("\n".join(lines) + "\n")
    return path


def train(source: str, train_items: list[Item], frame: Frame, out: Path, *, epochs: int = 1,
          max_steps: int | None = None, seed: int = 0, threads: int = 1):
    """Fine-tune ``source`` (resuming a run the folder holds); the ``training.finetune``
    result, whose ``spec`` opens the tuned model in llama.cpp."""
    data = write_pairs(train_items, frame, out / "train.jsonl")
    config = FinetuneConfig(source, data, out / "adapter", epochs=epochs, max_steps=max_steps,
                            seed=seed, threads=threads, max_length=1024)
    try:
        result = finetune(config, resume=True)
    except FinetuneError as err:
        raise ClassifyError(f"LoRA arm: {err}") from None
    if result.spec is None:
        raise ClassifyError(f"LoRA arm: {source} has no llama.cpp form to run the adapter on")
    return result
