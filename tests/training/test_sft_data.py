"""Instruction/answer pairs: read from JSON Lines (the Evol-Instruct export and Code Alpaca),
bad lines named by file and line, and encoded with the chat template, loss on answers only."""

from __future__ import annotations

import json

import pytest

from codecrucible.training.sft_data import (
    IGNORE,
    PLAIN_PROMPT,
    DataError,
    Pair,
    encode,
    read_pairs,
    render,
)


def _write(path, *records):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n"
                            for r in records))
    return path


def test_both_formats_are_read(tmp_path):
    data = _write(tmp_path / "pairs.jsonl",
                  {"instruction": "Add two numbers.", "output": "def add(a, b): ...",
                   "id": "x", "round": 2},
                  "",
                  {"instruction": "Sort this list.", "input": "[3, 1, 2]",
                   "output": "sorted([3, 1, 2])"},
                  {"instruction": "Say hi.", "input": "", "output": "hi"})
    assert read_pairs(data) == [Pair("Add two numbers.", "def add(a, b): ..."),
                                Pair("Sort this list.\n[3, 1, 2]", "sorted([3, 1, 2])"),
                                Pair("Say hi.", "hi")]


@pytest.mark.parametrize("line, why", [
    ("{not json", "not a JSON object"),
    ("[1, 2]", "not a JSON object"),
    ('{"instruction": "x"}', "'output' is missing or not a string"),
    ('{"output": "x"}', "'instruction' is missing or not a string"),
    ('{"instruction": "  ", "output": "x"}', "'instruction' is empty"),
    ('{"instruction": "x", "output": ""}', "'output' is empty"),
    ('{"instruction": "x", "input": 3, "output": "y"}', "'input' is not a string"),
])
def test_a_bad_line_is_named_by_file_and_line(tmp_path, line, why):
    data = _write(tmp_path / "pairs.jsonl", {"instruction": "a", "output": "b"}, line)
    with pytest.raises(DataError, match=rf"^{data}:2: {why}"):
        read_pairs(data)


def test_an_empty_or_missing_file_is_named(tmp_path):
    with pytest.raises(DataError, match="no instruction/output pairs"):
        read_pairs(_write(tmp_path / "empty.jsonl", ""))
    with pytest.raises(DataError, match="cannot read"):
        read_pairs(tmp_path / "missing.jsonl")


def test_only_the_answer_and_its_end_of_turn_carry_labels(smollm2_tokenizer):
    tok = smollm2_tokenizer
    pair = Pair("What is 2 + 2?", "It is 4.")
    prompt, answer = render(tok, pair)
    assert prompt.endswith("<|im_start|>assistant\n") and "What is 2 + 2?" in prompt
    assert answer.startswith("It is 4.<|im_end|>")
    encoded = encode(tok, pair, max_length=256)
    answer_ids = [t for t, label in zip(encoded.input_ids, encoded.labels, strict=True)
                  if label != IGNORE]
    assert tok.decode(answer_ids).startswith("It is 4.<|im_end|>")
    first = encoded.labels.index(answer_ids[0])
    assert all(label == IGNORE for label in encoded.labels[:first])
    assert tok.decode(encoded.input_ids[:first]) == prompt


def test_long_examples_are_cut_and_a_prompt_that_fills_the_length_is_dropped(smollm2_tokenizer):
    pair = Pair("Repeat after me.", "la " * 400)
    encoded = encode(smollm2_tokenizer, pair, max_length=64)
    assert len(encoded.input_ids) == len(encoded.labels) == 64 and encoded.answer_tokens > 0
    assert encoded.cut and not encode(smollm2_tokenizer, Pair("Hi.", "la"), 64).cut
    assert encode(smollm2_tokenizer, Pair("word " * 200, "ok"), max_length=64) is None


def test_a_model_without_a_chat_template_gets_the_plain_layout(smollm2_tokenizer):
    import copy
    tok = copy.deepcopy(smollm2_tokenizer)
    tok.chat_template = None
    prompt, answer = render(tok, Pair("Add.", "def add(a, b): return a + b"))
    assert prompt == PLAIN_PROMPT.format(instruction="Add.")
    assert answer == "def add(a, b): return a + b" + tok.eos_token
