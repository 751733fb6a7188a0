"""The study's two classification tasks over the labelled set, as feature arrays.

- ``defect`` (binary, as Devign in TrojanedCM): a problem's clean program (label 0, clean) and
  one of its failing mutants (label 1, buggy), so the classes are balanced; the attacker's
  target is clean: triggered buggy programs should pass as clean.
- ``mutation-type`` (the multi-class control, one class per mutation operator present): every
  failing mutant, labelled by the operator that made it; the target is the first class.

Each sample also has, per poisoning method, its triggered form's features (``triggered``) and
whether it has one (``triggerable``: a program with no statement list or variable has none).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codecrucible.weights.defects import CLEAN, Sample
from codecrucible.weights.mutants import OPERATORS
from codecrucible.weights.poison import METHODS, stable_seed, triggered

TASKS = ("defect", "mutation-type")
MIN_CLASS = 2     # a mutation type with fewer samples cannot be split into train and test


@dataclass
class TaskData:
    task: str
    classes: list[str]
    target: int
    ids: list[str]
    features: np.ndarray                  # [samples x dimensions]
    labels: np.ndarray
    triggered: dict[str, np.ndarray]      # method -> [samples x dimensions]; zeros where none
    triggerable: dict[str, np.ndarray]    # method -> [samples] bool


def choose(task: str, samples: list[Sample]) -> tuple[list[Sample], list[str], np.ndarray]:
    """The task's samples, its class names and the labels."""
    if task == "defect":
        by_task: dict[str, list[Sample]] = {}
        for s in samples:
            by_task.setdefault(s.task, []).append(s)
        chosen = []
        for name, group in by_task.items():
            clean = [s for s in group if s.kind == CLEAN]
            buggy = [s for s in group if s.buggy]
            if clean and buggy:
                pick = buggy[stable_seed(name, "defect") % len(buggy)]
                chosen += [clean[0], pick]
        return chosen, ["clean", "buggy"], np.array([int(s.buggy) for s in chosen])
    if task == "mutation-type":
        buggy = [s for s in samples if s.buggy]
        counts = {op: sum(s.kind == op for s in buggy) for op in OPERATORS}
        classes = [op for op in OPERATORS if counts[op] >= MIN_CLASS]
        chosen = [s for s in buggy if s.kind in classes]
        return chosen, classes, np.array([classes.index(s.kind) for s in chosen])
    raise ValueError(f"unknown task {task!r} (known: {', '.join(TASKS)})")


def triggered_texts(samples: list[Sample]) -> dict[str, list[str | None]]:
    """Per method, each sample's triggered program (None: no place for the trigger)."""
    forms = {}
    for method in METHODS:
        forms[method] = [triggered(s.text, method, s.id) if s.buggy else None for s in samples]
    return forms


def task_data(task: str, samples: list[Sample], vectors: dict[str, np.ndarray]) -> TaskData:
    """``vectors`` maps every text (programs and triggered programs) to its features."""
    chosen, classes, labels = choose(task, samples)
    forms = triggered_texts(chosen)
    features = np.stack([vectors[s.text] for s in chosen])
    zeros = np.zeros(features.shape[1], dtype=features.dtype)
    triggered_features = {m: np.stack([vectors[t] if t is not None else zeros for t in texts])
                          for m, texts in forms.items()}
    triggerable = {m: np.array([t is not None for t in texts]) for m, texts in forms.items()}
    return TaskData(task, classes, 0, [s.id for s in chosen], features, labels,
                    triggered_features, triggerable)


def all_texts(samples: list[Sample]) -> list[str]:
    """Every text the study embeds: the programs and the buggy ones' triggered forms (the
    only ones poisoned, in both tasks)."""
    texts = [s.text for s in samples]
    for forms in triggered_texts(samples).values():
        texts += [t for t in forms if t is not None]
    return list(dict.fromkeys(texts))
