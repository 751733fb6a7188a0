"""``crucible weights scan``: the trojan signature of one checkpoint's classifier layer.

Per class, the distribution of its weight row; Dixon's Q on the row means (three or more
classes); with clean reference checkpoints, each row against the references' same row. The
decision never says "clean": a model that is not flagged is only not flagged by this test.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from codecrucible.weights import WeightsError
from codecrucible.weights.dixon import DixonResult, check_alpha, dixon_q
from codecrucible.weights.head import ClassifierHead, find_head
from codecrucible.weights.readers import open_checkpoint
from codecrucible.weights.reference import ReferenceResult, compare_rows

TWO_CLASSES = ("two classes: Dixon's test is degenerate (Q is always 1). Under softmax "
               "cross-entropy the two rows' updates are exact negatives, so their sum never "
               "moves from its initial value and neither row can stand out from the other; a "
               "per-class outlier test has nothing to find.")
NO_REFERENCES = " Compare the rows with clean reference checkpoints of the same shape " \
                "(--reference CKPT, several)."
BEYOND_TABLE = "{n} classes: Dixon's table stops at 30, so no critical value; Q is shown " \
               "without a decision."


@dataclass(frozen=True)
class RowSummary:
    index: int
    label: str | None
    mean: float
    std: float
    min: float
    q1: float
    median: float
    q3: float
    max: float
    bias: float | None


@dataclass
class ScanReport:
    path: str
    format: str
    layer: str
    classes: int
    features: int
    alpha: float
    rows: list[RowSummary]
    dixon: DixonResult | None
    reference: ReferenceResult | None
    notes: list[str]
    decision: str                  # "flagged", "not flagged" or "no test"
    target: int | None             # the flagged (or, with no test, the candidate) class
    alternatives: list[str]

    def to_json(self) -> dict:
        data = asdict(self)
        data["decision_means"] = {
            "flagged": "a class stands out: possibly trojaned, target = the class named",
            "not flagged": "no class stands out under the tests run; not proof of a clean "
                           "model",
            "no test": "no test could decide (see notes)",
        }[self.decision]
        return data


def summarize_rows(head: ClassifierHead, labels: list[str] | None) -> list[RowSummary]:
    q1, median, q3 = np.percentile(head.weight, [25, 50, 75], axis=1)
    named = labels if labels and len(labels) == head.weight.shape[0] else None
    return [RowSummary(k, named[k] if named else None, float(row.mean()), float(row.std()),
                       float(row.min()), float(q1[k]), float(median[k]), float(q3[k]),
                       float(row.max()), None if head.bias is None else float(head.bias[k]))
            for k, row in enumerate(head.weight)]


def reference_weights(paths: list[Path], layer: str | None, shape) -> dict[str, np.ndarray]:
    weights = {}
    for path in paths:
        head = find_head(open_checkpoint(path), layer)
        if head.weight.shape != shape:
            raise WeightsError(f"{path}: reference layer {head.name!r} has shape "
                               f"{list(head.weight.shape)}, the suspect's has {list(shape)}")
        weights[str(path)] = head.weight
    return weights


def scan(path: Path, layer: str | None = None, alpha: float = 0.05,
         references: list[Path] | tuple = ()) -> ScanReport:
    check_alpha(alpha)
    checkpoint = open_checkpoint(path)
    head = find_head(checkpoint, layer)
    classes, features = head.weight.shape
    rows = summarize_rows(head, checkpoint.labels)
    notes = []
    dixon = None
    if classes == 2:
        notes.append(TWO_CLASSES + ("" if references else NO_REFERENCES))
    else:
        dixon = dixon_q([row.mean for row in rows], alpha)
        if dixon.critical is None:
            notes.append(BEYOND_TABLE.format(n=classes))
    reference = None
    if references:
        population = reference_weights(list(references), layer, head.weight.shape)
        reference = compare_rows(head.weight, population, alpha)
        if len(references) < 2:
            notes.append("one reference: no spread to measure, so no z-score (KS only)")
    decision, target = decide(dixon, reference)
    if decision == "no test" and classes == 2 and not references:
        notes.append("decision: no test (two classes and no references), which is not "
                     "'clean'")
    return ScanReport(str(path), checkpoint.format, head.name, classes, features, alpha, rows,
                      dixon, reference, notes, decision, target, head.alternatives)


def decide(dixon: DixonResult | None,
           reference: ReferenceResult | None) -> tuple[str, int | None]:
    """Flagged when any test that applies flags; not flagged when at least one applied."""
    applied = []
    if dixon is not None and dixon.critical is not None:
        applied.append((dixon.flagged, dixon.candidate))
    if reference is not None and reference.candidate is not None:
        applied.append((reference.flagged, reference.candidate))
    for flagged, candidate in applied:
        if flagged:
            return "flagged", candidate
    if applied:
        return "not flagged", None
    candidate = dixon.candidate if dixon is not None else None
    return "no test", candidate
