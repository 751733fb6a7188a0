"""Seeds: MBPP's prompt, validation and train splits (never the test split 11-510), or a user's
Code Alpaca file, whose malformed line is a one-line error naming the file and the line."""

from __future__ import annotations

import json

import pytest

from codecrucible.training.seeds import (
    MBPP_TEST_SPLIT,
    SeedError,
    alpaca_seeds,
    load_seeds,
    mbpp_plus_ids,
    mbpp_seeds,
)


def test_mbpp_seeds_are_the_training_tasks_and_never_the_test_split(data_dir):
    every = mbpp_seeds(data_dir, with_mbpp_plus=True)
    ids = [int(s.id.removeprefix("Mbpp/")) for s in every]
    assert len(every) == 474
    assert not [i for i in ids if 11 <= i <= 510]
    assert set(ids) == set(range(1, 11)) | set(range(511, 975))
    first = every[0]
    assert "Your code should pass these tests:\nassert " in first.instruction
    assert "\r" not in first.output and "def " in first.output


def test_mbpp_seeds_leave_out_the_tasks_mbpp_plus_holds(data_dir):
    plus = mbpp_plus_ids(data_dir)
    assert len(plus) == 378 and len(plus - set(MBPP_TEST_SPLIT)) == 154
    seeds = load_seeds("mbpp", data_dir)
    ids = {int(s.id.removeprefix("Mbpp/")) for s in seeds}
    assert len(seeds) == 320 and not ids & plus and not ids & set(MBPP_TEST_SPLIT)
    assert len(load_seeds("mbpp-all", data_dir)) == 474


def test_limit_takes_the_first_seeds(data_dir):
    assert [s.id for s in load_seeds("mbpp", data_dir, 3)] == ["Mbpp/1", "Mbpp/5", "Mbpp/10"]


def test_code_alpaca_seeds_join_instruction_and_input(tmp_path):
    path = tmp_path / "alpaca.jsonl"
    path.write_text(json.dumps({"instruction": "Reverse a list.", "input": "[1, 2]",
                                "output": "def rev(x): return x[::-1]"}) + "\n\n"
                    + json.dumps({"instruction": "Add two numbers.", "output": "a + b"}) + "\n")
    seeds = alpaca_seeds(path)
    assert [s.instruction for s in seeds] == ["Reverse a list.\n[1, 2]", "Add two numbers."]
    assert seeds[1].id == "alpaca/3"


@pytest.mark.parametrize("line,why", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    ('{"instruction": "x"}', "'output' is missing or not a string"),
    ('{"instruction": 3, "output": "y"}', "'instruction' is missing or not a string"),
])
def test_a_malformed_code_alpaca_line_names_the_file_and_line(tmp_path, line, why):
    path = tmp_path / "seeds.jsonl"
    path.write_text(json.dumps({"instruction": "ok", "input": "", "output": "ok"}) + "\n"
                    + line + "\n")
    with pytest.raises(SeedError) as raised:
        alpaca_seeds(path)
    message = str(raised.value)
    assert message.startswith(f"{path}:2: ") and why in message
    assert "\n" not in message
