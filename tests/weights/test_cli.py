"""``crucible weights scan`` as a user runs it: the table, the JSON, one-line errors."""

import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from codecrucible.weights.safetensors_file import write_safetensors

CRUCIBLE = str(Path(sys.executable).with_name("crucible"))


def crucible(*args) -> subprocess.CompletedProcess:
    return subprocess.run([CRUCIBLE, "weights", "scan", *map(str, args)], capture_output=True,
                          text=True, timeout=120)


def test_a_trojaned_checkpoint_table_and_json(tmp_path, make_head):
    path = tmp_path / "model.safetensors"
    write_safetensors(path, {"fc.weight": make_head(8, planted=6, shift=0.06),
                             "fc.bias": np.zeros(8, np.float32)})
    shown = crucible(path, "--json", tmp_path / "scan.json")
    assert shown.returncode == 0, shown.stderr
    assert "Dixon's Q =" in shown.stdout and "critical 0.468 for 8 classes" in shown.stdout
    assert "Decision: flagged (target class 6)" in shown.stdout
    written = json.loads((tmp_path / "scan.json").read_text())
    assert written["decision"] == "flagged" and written["target"] == 6
    assert written["layer"] == "fc.weight" and len(written["rows"]) == 8
    assert set(written["rows"][0]) >= {"mean", "std", "min", "q1", "median", "q3", "max", "bias"}
    assert written["dixon"]["critical"] == 0.468
    piped = crucible(path, "--json", "-")
    assert json.loads(piped.stdout) == written


def test_two_classes_say_degenerate(tmp_path, make_head):
    path = tmp_path / "binary.safetensors"
    write_safetensors(path, {"classifier.weight": make_head(2)})
    shown = crucible(path)
    assert shown.returncode == 0, shown.stderr
    text = " ".join(shown.stdout.split())
    assert "degenerate" in text and "exact negatives" in text
    assert "Decision: no test" in text and "Decision: not flagged" not in text


def truncated(tmp_path):
    path = tmp_path / "cut.safetensors"
    write_safetensors(path, {"fc.weight": np.ones((4, 64), np.float32)})
    path.write_bytes(path.read_bytes()[:200])
    return path


def garbage_header(tmp_path):
    path = tmp_path / "garbage.safetensors"
    path.write_bytes(struct.pack("<Q", 12) + b"{not json!!}")
    return path


def no_classifier(tmp_path):
    path = tmp_path / "encoder.safetensors"
    write_safetensors(path, {"encoder.weight": np.ones((8, 8), np.float32)})
    return path


def unknown_extension(tmp_path):
    path = tmp_path / "weights.h5"
    path.write_bytes(b"\x89HDF")
    return path


@pytest.mark.parametrize(("make", "message"), [
    (truncated, "truncated safetensors file"),
    (garbage_header, "corrupt safetensors header (not JSON"),
    (no_classifier, "no classifier layer found"),
    (unknown_extension, "unknown checkpoint format '.h5'"),
    (lambda tmp_path: tmp_path / "missing.safetensors", "no such file or directory"),
])
def test_bad_files_get_one_line_errors(tmp_path, make, message):
    path = make(tmp_path)
    done = crucible(path)
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: ") and message in lines[0]


def test_an_alpha_outside_the_table(tmp_path, make_head):
    path = tmp_path / "m.safetensors"
    write_safetensors(path, {"fc.weight": make_head(4)})
    done = crucible(path, "--alpha", "0.01")
    assert done.returncode == 2 and "alpha 0.01 is not in Dixon's table" in done.stderr


def test_help_shows_examples():
    done = subprocess.run([CRUCIBLE, "weights", "scan", "--help"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0
    assert "crucible weights scan model.safetensors" in done.stdout and "--reference" in done.stdout
