"""``crucible weights study`` as a user meets it: the help's examples, one-line errors."""

import subprocess
import sys
from pathlib import Path

CRUCIBLE = str(Path(sys.executable).with_name("crucible"))


def crucible(*args) -> subprocess.CompletedProcess:
    return subprocess.run([CRUCIBLE, "weights", "study", *map(str, args)], capture_output=True,
                          text=True, timeout=120)


def test_help_shows_a_reduced_run():
    result = crucible("--help")
    assert result.returncode == 0
    # click rewraps the docstring's paragraphs: compare with the layout undone
    assert "--models-per-cell 3 --problems 20" in " ".join(result.stdout.split())


def test_a_bad_head_or_alpha_is_one_line(tmp_path):
    result = crucible("--out-dir", tmp_path, "--head", "transformer")
    assert result.returncode != 0 and result.stderr.strip().count("\n") == 0
    assert "unknown head 'transformer'" in result.stderr
    result = crucible("--out-dir", tmp_path, "--alpha", "0.2")
    assert result.returncode != 0 and "not in Dixon's table" in result.stderr
