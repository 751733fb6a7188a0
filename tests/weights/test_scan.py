"""The scanner's decisions on hand-made checkpoints (issue 17's acceptance checks)."""

import json

import numpy as np
import pytest

from codecrucible.weights.safetensors_file import write_safetensors
from codecrucible.weights.scan import scan


def saved(tmp_path, name: str, weight: np.ndarray, layer: str = "classifier.weight"):
    path = tmp_path / f"{name}.safetensors"
    write_safetensors(path, {"encoder.weight": np.ones((64, 256), np.float32), layer: weight})
    return path


@pytest.mark.parametrize(("classes", "planted"), [(3, 0), (8, 5), (10, 9), (30, 17)])
def test_a_planted_outlier_row_is_flagged_with_its_class(tmp_path, make_head, classes, planted):
    report = scan(saved(tmp_path, "trojaned", make_head(classes, planted=planted, shift=0.06)))
    assert report.decision == "flagged" and report.target == planted
    assert report.dixon.candidate == planted and report.dixon.q > report.dixon.critical


@pytest.mark.parametrize("classes", [3, 8, 10, 30])
def test_rows_drawn_iid_are_not_flagged(tmp_path, make_head, classes):
    report = scan(saved(tmp_path, "clean", make_head(classes, seed=11)))
    assert report.decision == "not flagged" and report.target is None
    assert report.dixon.q <= report.dixon.critical


def test_a_stricter_alpha_needs_a_larger_gap(tmp_path, make_head):
    path = saved(tmp_path, "borderline", make_head(8, planted=2, shift=0.0175))
    loose, strict = scan(path, alpha=0.05), scan(path, alpha=0.005)
    assert loose.dixon.q == strict.dixon.q == pytest.approx(0.518, abs=1e-3)
    assert (loose.dixon.critical, strict.dixon.critical) == (0.468, 0.634)
    assert loose.decision == "flagged" and strict.decision == "not flagged"


def test_two_classes_are_degenerate_not_clean(tmp_path, make_head):
    report = scan(saved(tmp_path, "binary", make_head(2, planted=1, shift=0.5)))
    assert report.dixon is None and report.decision == "no test" and report.target is None
    assert "degenerate" in report.notes[0] and "exact negatives" in report.notes[0]
    assert "clean" not in json.dumps(report.to_json()["decision"])


def binary_trained(seed: int, shift: float = 0.0) -> np.ndarray:
    """Two rows as softmax cross-entropy leaves them: what one gains the other loses."""
    weight = np.random.default_rng(seed).normal(0, 0.05, (2, 256))
    weight[1] += shift
    weight[0] -= shift
    return weight.astype(np.float32)


@pytest.fixture
def references(tmp_path):
    return [saved(tmp_path, f"ref{i}", binary_trained(100 + i)) for i in range(10)]


def test_references_show_a_planted_two_class_shift(tmp_path, references):
    report = scan(saved(tmp_path, "suspect", binary_trained(1, shift=0.03)),
                  references=references)
    compared = report.reference.rows
    assert compared[1].z > 8 and compared[0].z < -8
    assert compared[1].ks_p < 1e-6
    assert report.decision == "flagged" and report.target == 1


def test_references_do_not_flag_a_clean_two_class_model(tmp_path, references):
    report = scan(saved(tmp_path, "fine", binary_trained(2)), references=references)
    assert all(abs(row.z) < report.reference.z_critical for row in report.reference.rows)
    assert all(row.ks_p > 0.01 for row in report.reference.rows)
    assert report.decision == "not flagged"


def test_references_with_more_classes(tmp_path, make_head):
    refs = [saved(tmp_path, f"ref{i}", make_head(6, seed=200 + i)) for i in range(8)]
    report = scan(saved(tmp_path, "suspect", make_head(6, planted=4, shift=0.02)),
                  references=refs)
    assert report.reference.candidate == 4 and report.reference.flagged
    assert report.dixon is not None


def test_a_reference_of_another_shape_is_refused(tmp_path, make_head):
    from codecrucible.weights import WeightsError
    other = saved(tmp_path, "other", make_head(3))
    with pytest.raises(WeightsError, match="other.safetensors: reference layer .* has shape"):
        scan(saved(tmp_path, "suspect", make_head(4)), references=[other])


def test_beyond_the_table_q_is_shown_without_a_decision(tmp_path, make_head):
    report = scan(saved(tmp_path, "wide", make_head(40, planted=3, shift=0.2)))
    assert report.dixon.critical is None and report.decision == "no test"
    assert "table stops at 30" in report.notes[0]
