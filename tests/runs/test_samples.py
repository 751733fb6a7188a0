import gzip
import json

import pytest

from codecrucible.runs.samples import SampleError, read_samples


def _write(path, lines):
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_both_formats_and_per_task_indices(tmp_path):
    path = _write(tmp_path / "s.jsonl", [
        json.dumps({"task_id": "A/0", "completion": "  return 1"}),
        json.dumps({"task_id": "A/1", "solution": "def f(): pass"}),
        "",
        json.dumps({"task_id": "A/0", "completion": "  return 2"}),
    ])
    samples = read_samples(path)
    assert [(s.task_id, s.index) for s in samples] == [("A/0", 0), ("A/1", 0), ("A/0", 1)]
    assert samples[1].raw() == "def f(): pass"


def test_gzip(tmp_path):
    path = tmp_path / "s.jsonl.gz"
    with gzip.open(path, "wt") as out:
        out.write(json.dumps({"task_id": "A/0", "solution": "x = 1"}) + "\n")
    assert read_samples(path)[0].raw() == "x = 1"


@pytest.mark.parametrize("line,message", [
    ("{not json", "s.jsonl:2: malformed JSON"),
    ('{"completion": "x"}', "s.jsonl:2: a sample needs a string task_id"),
    ('{"task_id": "A/0"}', "s.jsonl:2: a sample needs 'solution'"),
    ('{"task_id": "A/0", "solution": 5}', "s.jsonl:2: 'solution' and 'completion' must be"),
])
def test_bad_lines_are_named(tmp_path, line, message):
    path = _write(tmp_path / "s.jsonl", [json.dumps({"task_id": "A/0", "solution": ""}), line])
    with pytest.raises(SampleError, match=message):
        read_samples(path)


def test_empty_file(tmp_path):
    with pytest.raises(SampleError, match="holds no samples"):
        read_samples(_write(tmp_path / "s.jsonl", []))
