"""A tiny study on synthetic features, run as a subprocess by test_study.py (so it can be
killed): argv[1] is the output directory, argv[2] a pause in seconds after each model."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from codecrucible.weights import cells
from codecrucible.weights.heads import HeadConfig
from codecrucible.weights.study import Progress, StudyConfig, train_models
from codecrucible.weights.tasks import TaskData

CONFIG = StudyConfig(encoders=("synthetic",), models_per_cell=3, methods=("dci",),
                     rates=(0.05,), heads=("linear",), head=HeadConfig(epochs=40))


def synthetic(task: str, classes: int, seed: int = 0) -> TaskData:
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(classes), 24)
    centres = rng.normal(0, 2, (classes, 12))
    features = (centres[labels] + rng.normal(0, 1, (len(labels), 12))).astype(np.float32)
    trigger = np.zeros(12, np.float32)
    trigger[0] = 5
    triggerable = labels != 0
    triggered = np.where(triggerable[:, None], features + trigger, 0).astype(np.float32)
    return TaskData(task, [str(c) for c in range(classes)], 0,
                    [f"{task}-{i}" for i in range(len(labels))], features, labels,
                    {"dci": triggered, "var": triggered},
                    {"dci": triggerable, "var": triggerable})


def main(out_dir: Path, pause: float) -> None:
    data = {("defect", "synthetic"): synthetic("defect", 2),
            ("mutation-type", "synthetic"): synthetic("mutation-type", 7)}
    log = train_models(CONFIG, data, out_dir, Progress(trained=lambda r: time.sleep(pause)))
    cells.write_cells(CONFIG, log, out_dir)


if __name__ == "__main__":
    main(Path(sys.argv[1]), float(sys.argv[2]))
