"""``crucible classify study`` as a user meets it: the help's reduced run, one-line errors,
a tiny run on a user file that writes the report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CRUCIBLE = str(Path(sys.executable).with_name("crucible"))


def crucible(*args) -> subprocess.CompletedProcess:
    return subprocess.run([CRUCIBLE, "classify", "study", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_help_shows_a_reduced_run():
    result = crucible("--help")
    assert result.returncode == 0
    assert "--scheme task_only --scheme few_shot --max-test 40" in " ".join(result.stdout.split())


def test_a_malformed_row_gets_one_line_naming_it(tmp_path):
    data = tmp_path / "stance.jsonl"
    data.write_text('{"text": "yes", "label": "favor"}\n{"text": "no"}\n')
    result = crucible("--task", "file", "--file", data, "--out-dir", tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr == f"error: {data}: row 2: no 'label' value (a non-empty string)\n"


def test_a_tiny_run_on_a_user_file(tmp_path):
    rows = [{"text": f"{'good great' if n % 2 else 'bad awful'} thing {n}",
             "label": "pos" if n % 2 else "neg", "target": f"t{n // 4}"} for n in range(24)]
    data = tmp_path / "data.csv"
    data.write_text("text,label,target\n" + "".join(
        f"{r['text']},{r['label']},{r['target']}\n" for r in rows))
    result = crucible("--task", "file", "--file", data, "--group-column", "target",
                      "--baseline", "tfidf-lr", "--out-dir", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "tfidf-lr" in result.stdout
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["test_problems"] == 2 and results["arms"][0]["validity"] == 1.0
