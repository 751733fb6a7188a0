"""The trojan-signature reproduction study: many small classifiers, clean and poisoned, and
whether their weights (or their activations) tell them apart.

A cell is (task, poisoning method, rate, head, encoder). For each seed it has one poisoned
model, and the clean model of its (task, head, encoder) for that seed: clean models do not
depend on the method or the rate, so the four cells that share them share one clean
population, trained once. A seed fixes the train/test split (shared by the seed's clean and
poisoned models), which training samples are poisoned, and the head's initial weights.

Each model's result is appended to ``models.jsonl`` as soon as it is trained, and its final
layer saved under ``heads/``; a resumed study reads the file and trains only what is missing.
The cells' statistics (``cells``) are computed from those files at the end.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from codecrucible.weights.detectors import spectral_concentration
from codecrucible.weights.dixon import dixon_q
from codecrucible.weights.heads import HEADS, HeadConfig, train_head
from codecrucible.weights.poison import METHODS, poisoned_indices, stable_seed
from codecrucible.weights.tasks import TASKS, TaskData

TEST_SHARE = 0.3


@dataclass(frozen=True)
class StudyConfig:
    encoders: tuple[str, ...] = ("embedded:qwen2.5-coder-0.5b", "embedded:gemma-3-270m")
    benchmarks: tuple[str, ...] = ("humaneval", "mbpp")
    problems: int | None = None            # per benchmark; None: all
    models_per_cell: int = 20
    tasks: tuple[str, ...] = TASKS
    methods: tuple[str, ...] = METHODS
    rates: tuple[float, ...] = (0.02, 0.05)
    heads: tuple[str, ...] = HEADS
    alpha: float = 0.05
    head: HeadConfig = field(default_factory=HeadConfig)

    # What a resumed study must share with the one it resumes (more seeds may be asked for).
    def identity(self) -> dict:
        data = asdict(self)
        data.pop("models_per_cell")
        return json.loads(json.dumps(data))


@dataclass(frozen=True)
class Cell:
    task: str
    method: str
    rate: float
    head: str
    encoder: str

    @property
    def name(self) -> str:
        return f"{self.task}/{self.method}/{self.rate:g}/{self.head}/{self.encoder}"

    @property
    def clean_group(self) -> str:
        return f"{self.task}/{self.head}/{self.encoder}"


def cells(config: StudyConfig) -> list[Cell]:
    return [Cell(t, m, r, h, e) for e in config.encoders for t in config.tasks
            for h in config.heads for m in config.methods for r in config.rates]


def model_id(cell: Cell, poisoned: bool, seed: int) -> str:
    return f"{cell.name}/poisoned/{seed}" if poisoned else f"{cell.clean_group}/clean/{seed}"


@dataclass
class Progress:
    """Callbacks for a progress display: the models in all and those done before, then each
    model's record as it is stored."""

    started: Callable[[int, int], None] = lambda total, before: None
    trained: Callable[[dict], None] = lambda record: None


def split(task: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(stable_seed(task, "split", str(seed))).permutation(n)
    cut = int(round(TEST_SHARE * n))
    return np.sort(order[cut:]), np.sort(order[:cut])


def attack_success(head, data: TaskData, test: np.ndarray, method: str) -> float | None:
    """The share of triggered test samples, not of the target class, classified as it."""
    chosen = test[(data.labels[test] != data.target) & data.triggerable[method][test]]
    if not len(chosen):
        return None
    return float(np.mean(head.predict(data.triggered[method][chosen]) == data.target))


def train_one(data: TaskData, cell: Cell, poisoned: bool, seed: int, config: StudyConfig,
              threads: int = 1) -> tuple[dict, np.ndarray]:
    """One model's record and its final layer's weights."""
    train, test = split(data.task, len(data.labels), seed)
    features, labels = data.features[train].copy(), data.labels[train].copy()
    flipped = np.zeros(0, dtype=int)
    if poisoned:
        rng = np.random.default_rng(stable_seed(cell.name, "poison", str(seed)))
        flipped = poisoned_indices(labels, data.triggerable[cell.method][train], data.target,
                                   cell.rate, rng)
        features[flipped] = data.triggered[cell.method][train][flipped]
        labels[flipped] = data.target
    head_seed = stable_seed(model_id(cell, poisoned, seed)) % (2 ** 31)
    started = time.perf_counter()
    head = train_head(cell.head, features, labels, len(data.classes), head_seed, config.head,
                      threads)
    record = {
        "id": model_id(cell, poisoned, seed), "task": cell.task, "head": cell.head,
        "encoder": cell.encoder, "seed": seed, "poisoned": poisoned,
        "method": cell.method if poisoned else None, "rate": cell.rate if poisoned else None,
        "classes": len(data.classes), "target": data.target, "train": len(train),
        "test": len(test), "poisoned_samples": int(len(flipped)),
        "clean_accuracy": float(np.mean(head.predict(data.features[test]) ==
                                        data.labels[test])),
        # Clean models are measured against each method's trigger: the baseline rate.
        "attack_success": {m: attack_success(head, data, test, m) for m in METHODS},
        "row_means": [float(v) for v in head.final_weight.mean(axis=1)],
        "train_s": round(time.perf_counter() - started, 3),
    }
    if len(data.classes) >= 3:
        q = dixon_q(record["row_means"], config.alpha)
        record["dixon"] = {"q": q.q, "critical": q.critical, "candidate": q.candidate,
                           "flagged": q.flagged}
    share, top = spectral_concentration(head.penultimate(features), labels)
    record["spectral"] = {"concentration": share, "class": top}
    return record, head.final_weight


class ModelLog:
    """``models.jsonl`` and ``heads/``: every model stored as it is made."""

    def __init__(self, out_dir: Path):
        self.path = out_dir / "models.jsonl"
        self.heads = out_dir / "heads"
        self.heads.mkdir(parents=True, exist_ok=True)
        self.records = {r["id"]: r for r in read_records(self.path)}

    def weight_path(self, model: str) -> Path:
        return self.heads / (model.replace("/", "__").replace(":", "_") + ".npy")

    def add(self, record: dict, weight: np.ndarray) -> None:
        # The weights first: a record in the log always has its weights on disk.
        np.save(self.weight_path(record["id"]), weight)
        with open(self.path, "a") as out:
            out.write(json.dumps(record) + "\n")
        self.records[record["id"]] = record

    def weight(self, model: str) -> np.ndarray:
        return np.load(self.weight_path(model))


def read_records(path: Path) -> list[dict]:
    """The log's records; a half-written last line (a killed study) is ignored."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def planned(config: StudyConfig) -> list[tuple[Cell, bool, int]]:
    """(cell, poisoned, seed) of every model, each clean model once, in training order."""
    plan, seen = [], set()
    for cell in cells(config):
        for seed in range(config.models_per_cell):
            if (cell.clean_group, seed) not in seen:
                seen.add((cell.clean_group, seed))
                plan.append((cell, False, seed))
            plan.append((cell, True, seed))
    return plan


def train_models(config: StudyConfig, data: dict[tuple[str, str], TaskData], out_dir: Path,
                 progress: Progress | None = None, threads: int = 1) -> ModelLog:
    """Every planned model not in the log yet; ``data`` maps (task, encoder) to features."""
    progress = progress or Progress()
    log = ModelLog(out_dir)
    plan = planned(config)
    todo = [p for p in plan if model_id(*p) not in log.records]
    progress.started(len(plan), len(plan) - len(todo))
    for cell, poisoned, seed in todo:
        record, weight = train_one(data[(cell.task, cell.encoder)], cell, poisoned, seed,
                                   config, threads)
        log.add(record, weight)
        progress.trained(record)
    return log
