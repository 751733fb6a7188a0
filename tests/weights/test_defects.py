"""The labelled set: mutants differ from their reference and the sandbox labels them; a
mutant that still passes (equivalent) is dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from codecrucible.records import Status
from codecrucible.weights import defects

DATA = Path("/work/shared/datasets")
pytestmark = pytest.mark.skipif(not (DATA / "mbpp").is_dir(), reason="no shared datasets")


def test_the_sandbox_labels_references_and_mutants(tmp_path):
    path = tmp_path / "defects.jsonl"
    samples = defects.build(["humaneval", "mbpp"], DATA, 2, path, jobs=1)
    tasks = {s.task for s in samples}
    assert tasks == {"HumanEval/0", "HumanEval/1", "Mbpp/11", "Mbpp/12"}
    clean = {s.task: s for s in samples if s.kind == defects.CLEAN}
    assert set(clean) == tasks and all(s.status == "passed" for s in clean.values())
    mutants = [s for s in samples if s.buggy]
    assert len({s.kind for s in mutants}) >= 4
    for mutant in mutants:
        assert mutant.text != clean[mutant.task].text
        assert Status(mutant.status) in defects.REAL_FAILURES
    # Labelled once: a second build reads the file and runs nothing.
    lines = path.read_text()
    assert defects.build(["humaneval", "mbpp"], DATA, 2, path, jobs=1) == samples
    assert path.read_text() == lines


def test_equivalent_mutants_and_failing_references_are_dropped():
    made = [defects.Sample("t", "t", defects.CLEAN, "a", ""),
            defects.Sample("t:x", "t", "off_by_one", "b", ""),
            defects.Sample("t:y", "t", "wrong_return", "c", ""),
            defects.Sample("t:z", "t", "comparison_flip", "d", "")]
    kept = defects.labelled(made, [Status.PASSED, Status.PASSED, Status.TIMEOUT, Status.KILLED])
    assert [s.id for s in kept] == ["t", "t:y"]
    assert defects.labelled(made, [Status.FAILED] * 4) == []
