"""``crucible weights``: look inside a classifier's checkpoint (scan: the trojan signature)
and the study that asks whether the signature appears on code classifiers (study)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from codecrucible.cli.common import DATA_HELP, console, fail, out, phase_bar, progress
from codecrucible.weights import WeightsError


def scan(
    checkpoint: Path = typer.Argument(..., metavar="CHECKPOINT", help="A .safetensors, "
                                      ".pt/.pth/.bin (PyTorch state dict) or .gguf file, or a "
                                      "Hugging Face model directory."),
    layer: str | None = typer.Option(None, "--layer", metavar="NAME", help="The classifier "
                                     "layer's tensor (default: found by name and shape; see "
                                     "the README)."),
    alpha: float = typer.Option(0.05, "--alpha", help="One-sided significance level: 0.05 "
                                "(Dixon's two-sided 0.10 column, as Fields et al.), 0.025 or "
                                "0.005."),
    references: list[Path] = typer.Option([], "--reference", metavar="CKPT", help="A clean "
                                          "checkpoint of the same shape to compare each row "
                                          "with (repeat; ten or more for a fair z-score)."),
    json_path: str | None = typer.Option(None, "--json", metavar="PATH", help="Also write "
                                         "the report as JSON ('-': to stdout, instead of the "
                                         "table)."),
):
    """Scan a classifier's final layer for a trojan signature: per class, the distribution of
    its weight row; Dixon's Q on the row means with the candidate target class (the largest
    mean) and the decision; with --reference, each row against clean checkpoints (z-score,
    Kolmogorov-Smirnov). Two classes make Dixon's test degenerate: say so and use references.

    Examples:

      crucible weights scan model.safetensors

      crucible weights scan ./my-hf-classifier --alpha 0.025 --json scan.json

      crucible weights scan model.pt --layer head.2.weight

      crucible weights scan suspect.safetensors --reference clean1.safetensors
      --reference clean2.safetensors --reference clean3.safetensors --json -
    """
    # Imported here so the rest of crucible starts without numpy's import time.
    from codecrucible.report.scan_table import scan_view
    from codecrucible.weights.scan import scan as scan_checkpoint

    try:
        report = scan_checkpoint(checkpoint, layer, alpha, references)
    except WeightsError as error:
        fail(str(error))
    data = json.dumps(report.to_json(), indent=2, allow_nan=False)
    if json_path == "-":
        sys.stdout.write(data + "\n")
        return
    if json_path:
        try:
            Path(json_path).write_text(data + "\n")
        except OSError as error:
            fail(f"{json_path}: cannot write the JSON report ({error.strerror or error})")
    out.print(scan_view(report))


def study(
    out_dir: Path = typer.Option(..., "--out-dir", help="Where the study keeps everything: "
                                 "the labelled set, the models' log and weights, cells.json "
                                 "and table.md. Rerun with the same arguments to resume."),
    encoders: list[str] = typer.Option(["embedded:qwen2.5-coder-0.5b", "embedded:gemma-3-270m"],
                                       "--encoder", metavar="MODEL", help="A local GGUF "
                                       "model whose mean-pooled embeddings are the frozen "
                                       "features: embedded:NAME or gguf:PATH (repeat)."),
    benchmark_names: list[str] = typer.Option(["humaneval", "mbpp"], "--benchmark",
                                              help="Problems whose references and mutants "
                                              "make the defect set (repeat)."),
    problems: int | None = typer.Option(None, "--problems", min=1, help="The first N "
                                        "problems of each benchmark (default: all)."),
    models_per_cell: int = typer.Option(20, "--models-per-cell", min=2, help="Clean and "
                                        "poisoned models per cell (seeds)."),
    heads: list[str] = typer.Option(["linear", "mlp"], "--head", help="linear (softmax "
                                    "regression) and/or mlp (one ReLU layer) (repeat)."),
    epochs: int = typer.Option(300, "--epochs", min=1, help="Full-batch Adam steps per head."),
    alpha: float = typer.Option(0.05, "--alpha", help="One-sided level of the weights tests: "
                                "0.05, 0.025 or 0.005."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help=DATA_HELP),
    jobs: int = typer.Option(2, "--jobs", min=1, help="Sandbox processes labelling mutants."),
    threads: int | None = typer.Option(None, "--threads", min=1, help="CPU threads for "
                                       "embedding (default: all cores) and for training each "
                                       "head (default: 1; the heads are small)."),
):
    """The trojan-signature reproduction study: HumanEval/MBPP references (clean) and their
    mutants that fail their tests in the sandbox (buggy); a binary defect task and a
    multi-class control (the mutation type); TrojanedCM's poisoning (dead code or a renamed
    variable, label flipped to the target, at 2% and 5%); linear and MLP heads on frozen
    llama.cpp embeddings; N clean and N poisoned models per cell. Per cell: clean accuracy,
    attack success rate, the weights test (Dixon's Q for 3+ classes, the z-score against the
    clean models for 2) and the spectral signature, each with its AUROC over clean vs
    poisoned models. Resumable: rerun the same command.

    The fine-tuned (LoRA) regime is not part of it yet.

    Examples:

      crucible weights study --out-dir study-small --models-per-cell 3 --problems 20
      --encoder embedded:smollm2-135m

      crucible weights study --out-dir study --data-dir ../shared/datasets
    """
    from codecrucible.benchmarks.data import DataError, resolve_data_dir
    from codecrucible.models import ModelError
    from codecrucible.weights.dixon import check_alpha
    from codecrucible.weights.heads import HEADS, HeadConfig, MissingTorch
    from codecrucible.weights.pipeline import Phases, run
    from codecrucible.weights.study import StudyConfig

    unknown = sorted(set(heads) - set(HEADS))
    if unknown:
        fail(f"unknown head {unknown[0]!r} (known: {', '.join(HEADS)})")
    try:
        check_alpha(alpha)
    except WeightsError as error:
        fail(str(error))
    try:
        config = StudyConfig(tuple(dict.fromkeys(encoders)), tuple(benchmark_names), problems,
                             models_per_cell, heads=tuple(dict.fromkeys(heads)), alpha=alpha,
                             head=HeadConfig(epochs=epochs))
        directory = resolve_data_dir(data_dir)
        with progress() as bar:
            rows = run(config, out_dir, directory, jobs, threads, Phases(*phase_bar(bar)))
    except (WeightsError, DataError, ModelError, MissingTorch) as error:
        fail(f"{error}; what was done is kept in {out_dir}: rerun the same command to resume")
    except KeyboardInterrupt:
        print(f"interrupted: what was done is kept in {out_dir}; rerun the same command to "
              "resume", file=sys.stderr)
        raise typer.Exit(130) from None
    out.print((out_dir / "table.md").read_text(), markup=False, highlight=False)
    console.print(f"{len(rows)} cells in {out_dir / 'cells.json'}", highlight=False)
