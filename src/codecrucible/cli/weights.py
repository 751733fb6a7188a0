"""``crucible weights``: look inside a classifier's checkpoint (scan: the trojan signature)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from codecrucible.cli.common import fail, out
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
