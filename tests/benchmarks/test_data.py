import gzip
import shutil

import pytest

from codecrucible import benchmarks
from codecrucible.benchmarks.data import DataError, resolve_data_dir


@pytest.mark.parametrize("name,size,suites", [
    ("humaneval", 164, ("base",)), ("humaneval+", 164, ("base", "plus")),
    ("mbpp", 500, ("base",)), ("mbpp-sanitized", 427, ("base",)),
    ("mbpp+", 378, ("base", "plus")),
])
def test_every_benchmark_loads_completely(data_dir, name, size, suites):
    bench = benchmarks.get(name)
    problems = bench.load(data_dir)
    assert len(problems) == bench.size == size
    assert bench.suites == suites
    assert len({p.task_id for p in problems}) == size
    assert all(p.entry_point and p.reference and (p.inputs or p.snippets) for p in problems)


def test_humaneval_plus_keeps_base_and_plus_inputs_apart(data_dir):
    problem = benchmarks.get("humaneval+").load(data_dir)[0]
    assert problem.task_id == "HumanEval/0"
    assert len(problem.inputs["base"]) == 7 and len(problem.inputs["plus"]) > 500


def test_mbpp_plus_restores_tuples_json_cannot_hold(data_dir):
    problems = {p.task_id: p for p in benchmarks.get("mbpp+").load(data_dir)}
    first_input = problems["Mbpp/2"].inputs["base"][0]
    assert all(type(arg) is tuple for arg in first_input)
    assert problems["Mbpp/2"].oracle == "set"


def _copy(data_dir, tmp_path, relpath):
    target = tmp_path / relpath
    target.parent.mkdir(parents=True)
    shutil.copy(data_dir / relpath, target)
    return target


def test_a_changed_byte_is_refused_with_the_file_named(data_dir, tmp_path):
    target = _copy(data_dir, tmp_path, "mbpp/mbpp.jsonl")
    target.chmod(0o644)
    raw = bytearray(target.read_bytes())
    raw[1000] ^= 1
    target.write_bytes(bytes(raw))
    with pytest.raises(DataError, match=r"mbpp\.jsonl: sha256 .* does not match"):
        benchmarks.get("mbpp").load(tmp_path)


def test_a_truncated_file_is_refused(data_dir, tmp_path):
    target = _copy(data_dir, tmp_path, "humanevalplus/HumanEvalPlus-v0.1.10.jsonl.gz")
    target.chmod(0o644)
    target.write_bytes(target.read_bytes()[:-5000])
    with pytest.raises(DataError, match="HumanEvalPlus-v0.1.10.jsonl.gz"):
        benchmarks.get("humaneval+").load(tmp_path)


def test_a_missing_file_names_the_data_directory(tmp_path):
    with pytest.raises(DataError, match=r"mbppplus/MbppPlus-v0.2.0.jsonl.gz is missing from the "
                                        r"data directory"):
        benchmarks.get("mbpp+").load(tmp_path)


def test_unknown_benchmark_lists_the_known_ones():
    with pytest.raises(DataError, match="unknown benchmark 'humaneval-x'.*humaneval\\+"):
        benchmarks.get("humaneval-x")


def test_data_dir_must_exist(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        resolve_data_dir(tmp_path / "nowhere")


def test_no_data_dir_and_no_cache_means_a_download_that_fails_clearly(tmp_path, monkeypatch):
    import dataclasses

    from codecrucible.benchmarks import mbpp
    monkeypatch.delenv("CRUCIBLE_DATA_DIR", raising=False)
    monkeypatch.setenv("CRUCIBLE_CACHE_DIR", str(tmp_path))
    # a closed port on this machine stands for an offline user
    unreachable = dataclasses.replace(mbpp.MBPP_FULL, url="http://127.0.0.1:9/mbpp.jsonl")
    monkeypatch.setattr(mbpp, "MBPP_FULL", unreachable)
    with pytest.raises(DataError, match="could not download .*--data-dir"):
        benchmarks.get("mbpp").load(None)


def test_gzip_data_is_parsed_line_by_line_with_errors_named(tmp_path):
    from codecrucible.benchmarks.jsonl import read_records
    path = tmp_path / "x.jsonl.gz"
    with gzip.open(path, "wt") as out:
        out.write('{"task_id": 1}\n{oops\n')
    with pytest.raises(DataError, match=r"x\.jsonl\.gz:2: malformed JSON"):
        read_records(path)
