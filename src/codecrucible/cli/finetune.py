"""``crucible finetune``: LoRA fine-tuning, checkpointed and resumable, ending in an adapter
every command can run (``embedded:NAME+lora=OUT/adapter.gguf``)."""

from __future__ import annotations

from pathlib import Path

import typer

from codecrucible.cli.common import console, fail, out, progress
from codecrucible.models.base import ModelError


def finetune(
    source: str = typer.Argument(..., metavar="MODEL",
                                 help="embedded:NAME, gguf:PATH (transformers dequantises it), "
                                      "or a transformers checkpoint directory (hf:PATH)."),
    data: Path = typer.Option(..., "--data", "-d",
                              help="JSON Lines of {instruction, output} pairs ('crucible "
                                   "instruct export' writes them; Code Alpaca's "
                                   "{instruction, input, output} works too)."),
    out_dir: Path = typer.Option(..., "--out", "-o", help="Folder for checkpoints and the "
                                 "adapters (adapter/ for peft, adapter.gguf for llama.cpp)."),
    rank: int = typer.Option(16, "--rank", "-r", min=1, help="LoRA rank."),
    alpha: float = typer.Option(32.0, "--alpha", help="LoRA alpha (the update is scaled by "
                                "alpha / rank)."),
    dropout: float = typer.Option(0.05, "--dropout", min=0.0, max=0.9, help="LoRA dropout."),
    lr: float = typer.Option(2e-4, "--lr", min=0.0, help="Peak learning rate (AdamW; linear "
                             "warm-up, then linear decay to 0)."),
    warmup: int = typer.Option(0, "--warmup", min=0, help="Warm-up steps."),
    epochs: int = typer.Option(1, "--epochs", min=1, help="Passes over the data."),
    max_steps: int | None = typer.Option(None, "--max-steps", min=1, help="Steps (one "
                                         "example each) instead of --epochs."),
    max_length: int = typer.Option(512, "--max-length", min=8, help="Tokens per example; "
                                   "longer answers are cut."),
    seed: int = typer.Option(0, "--seed", help="Seeds the LoRA init, data order and dropout."),
    threads: int = typer.Option(1, "--threads", min=1, help="CPU threads for this process "
                                "(one is fastest per core on a shared machine)."),
    checkpoint_every: int = typer.Option(50, "--checkpoint-every", min=1,
                                         help="Steps between checkpoints."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out from its "
                                "last checkpoint (same model, data and settings); with no "
                                "checkpoint yet, start it."),
):
    """LoRA fine-tuning on instruction/answer pairs (loss on the answers only).

    Examples:

      crucible finetune embedded:smollm2-135m -d pairs.jsonl -o tuned --max-steps 200

      crucible finetune embedded:smollm2-135m -d pairs.jsonl -o tuned --resume

      crucible run -m embedded:smollm2-135m+lora=tuned/adapter.gguf -b humaneval+
    """
    from codecrucible.training.finetune import FinetuneConfig, FinetuneError
    from codecrucible.training.finetune import finetune as train
    from codecrucible.training.lora_gguf import AdapterError
    from codecrucible.training.sft_data import DataError

    config = FinetuneConfig(source, data, out_dir, rank, alpha, dropout, lr, epochs,
                            max_steps, max_length, seed, threads, checkpoint_every, warmup)
    with progress() as bars:
        task = None

        def loaded(done: int, total: int) -> None:
            nonlocal task
            task = bars.add_task("fine-tuning", total=total, completed=done, rate="")

        def stepped(p) -> None:
            bars.update(task, advance=1, rate=f"{p.tokens_per_s:,.0f} tokens/s, "
                                              f"loss {p.loss:.3f}")

        def loading(base) -> None:
            how = " (transformers dequantises it to float32)" if base.gguf_file else ""
            console.print(f"loading {source}{how} ...", soft_wrap=True)

        try:
            result = train(config, resume=resume, on_step=stepped, on_load=loaded,
                           on_loading=loading)
        except (FinetuneError, DataError, AdapterError, ModelError) as err:
            fail(str(err))
    skipped = f", {result.skipped} left out (the prompt fills --max-length)" \
        if result.skipped else ""
    skipped += f", {result.cut} with answers cut at --max-length" if result.cut else ""
    speed = f", {result.tokens / result.seconds:,.0f} tokens/s" if result.seconds else ""
    out.print(f"{result.steps} steps on {result.examples} examples{skipped}{speed}; "
              f"last loss {result.losses[-1]:.4f}" if result.losses else "no steps")
    out.print(f"adapters: {result.out / 'adapter'} (peft), {result.adapter_gguf} (llama.cpp)",
              soft_wrap=True)
    if result.spec:
        out.print(f"model spec: {result.spec}", soft_wrap=True)
    else:
        out.print("model spec: convert the checkpoint to GGUF, then gguf:PATH+lora="
                  f"{result.adapter_gguf}", soft_wrap=True)
