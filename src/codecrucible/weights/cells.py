"""Per cell of the study: clean and poisoned models side by side, and each detector's AUROC.

The weights test is the scanner's (``dixon``, ``reference``): with three or more classes,
Dixon's Q on the final layer's row means; with two, where Q says nothing, each model's rows
against the cell's clean population, leave-one-out (a clean model is compared with the other
clean models), the score being the largest row z-score. Neither detector is told the target
class. The activation detector is the spectral signature's concentration (``detectors``).
Each score's AUROC over clean vs poisoned models is 0.5 when it cannot tell them apart.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from codecrucible.weights.detectors import auroc
from codecrucible.weights.reference import compare_rows
from codecrucible.weights.study import Cell, ModelLog, StudyConfig, cells, model_id


def _mean(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def _weights_scores(cell: Cell, clean: list[dict], poisoned: list[dict], log: ModelLog,
                    alpha: float) -> tuple[str, list, list, list, list]:
    """(test name, clean scores, poisoned scores, clean flags, poisoned flags)."""
    if clean and clean[0]["classes"] >= 3:
        scores = [[r["dixon"]["q"] for r in group] for group in (clean, poisoned)]
        flags = [[r["dixon"]["flagged"] for r in group] for group in (clean, poisoned)]
        return "dixon-q", scores[0], scores[1], flags[0], flags[1]
    weights = {r["id"]: log.weight(r["id"]) for r in clean + poisoned}
    results = {}
    for record in clean + poisoned:
        references = {r["id"]: weights[r["id"]] for r in clean if r["id"] != record["id"]}
        if len(references) < 2:
            results[record["id"]] = (None, False)
            continue
        compared = compare_rows(weights[record["id"]], references, alpha)
        top = max((row.z for row in compared.rows if row.z is not None), default=None)
        results[record["id"]] = (top, compared.flagged)
    pick = [[results[r["id"]] for r in group] for group in (clean, poisoned)]
    return ("reference-z", [s for s, _ in pick[0] if s is not None],
            [s for s, _ in pick[1] if s is not None], [f for _, f in pick[0]],
            [f for _, f in pick[1]])


def summarise(cell: Cell, config: StudyConfig, log: ModelLog) -> dict:
    seeds = range(config.models_per_cell)
    clean = [log.records[i] for i in (model_id(cell, False, s) for s in seeds)
             if i in log.records]
    poisoned = [log.records[i] for i in (model_id(cell, True, s) for s in seeds)
                if i in log.records]
    test, clean_scores, poisoned_scores, clean_flags, poisoned_flags = _weights_scores(
        cell, clean, poisoned, log, config.alpha)
    spectral = [[r["spectral"]["concentration"] for r in g] for g in (clean, poisoned)]
    return {
        "cell": cell.name, "task": cell.task, "method": cell.method, "rate": cell.rate,
        "head": cell.head, "encoder": cell.encoder, "clean_models": len(clean),
        "poisoned_models": len(poisoned),
        "classes": clean[0]["classes"] if clean else None,
        "clean_accuracy_clean": _mean([r["clean_accuracy"] for r in clean]),
        "clean_accuracy_poisoned": _mean([r["clean_accuracy"] for r in poisoned]),
        "attack_success_clean": _mean([r["attack_success"][cell.method] for r in clean]),
        "attack_success_poisoned": _mean([r["attack_success"][cell.method] for r in poisoned]),
        "weights_test": test,
        "weights_flagged_clean": _mean([float(f) for f in clean_flags]),
        "weights_flagged_poisoned": _mean([float(f) for f in poisoned_flags]),
        "target_top_poisoned": _mean([float(int(np.argmax(r["row_means"])) == r["target"])
                                      for r in poisoned]),
        "weights_auroc": auroc(clean_scores, poisoned_scores),
        "spectral_auroc": auroc(spectral[0], spectral[1]),
    }


def _cellstr(value) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


COLUMNS = (("task", "task"), ("method", "method"), ("rate", "rate"), ("head", "head"),
           ("encoder", "encoder"), ("clean/poisoned", None), ("acc clean", "clean_accuracy_clean"),
           ("acc poisoned", "clean_accuracy_poisoned"), ("ASR clean", "attack_success_clean"),
           ("ASR poisoned", "attack_success_poisoned"), ("weights test", "weights_test"),
           ("flagged clean", "weights_flagged_clean"),
           ("flagged poisoned", "weights_flagged_poisoned"),
           ("target top", "target_top_poisoned"), ("weights AUROC", "weights_auroc"),
           ("spectral AUROC", "spectral_auroc"))


def table(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(name for name, _ in COLUMNS) + " |",
             "|" + "---|" * len(COLUMNS)]
    for row in rows:
        values = [f"{row['clean_models']}/{row['poisoned_models']}" if key is None
                  else _cellstr(row[key]) for _, key in COLUMNS]
        lines.append("| " + " | ".join(values) + " |")
    return "\n".join(lines) + "\n"


def write_cells(config: StudyConfig, log: ModelLog, out_dir: Path) -> list[dict]:
    rows = [summarise(cell, config, log) for cell in cells(config)]
    (out_dir / "cells.json").write_text(json.dumps(rows, indent=2) + "\n")
    (out_dir / "table.md").write_text(
        "# Trojan-signature study\n\nPer cell: mean clean accuracy and attack success rate "
        "(ASR) of the clean and poisoned models; the weights test's flag rate and AUROC over "
        "clean vs poisoned models (Dixon's Q for 3+ classes, the row z-score against the "
        "clean models for 2); 'target top': the share of poisoned models whose largest row "
        "mean is the target's; the spectral signature's AUROC.\n\n" + table(rows))
    return rows
