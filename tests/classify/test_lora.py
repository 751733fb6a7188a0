"""The LoRA arm's training data: the context_analyse prompt as the instruction, the label word
as the whole answer, in the form ``crucible finetune`` reads."""

from __future__ import annotations

from codecrucible.classify.items import Item
from codecrucible.classify.lora import SCHEME, write_pairs
from codecrucible.classify.prompts import PASS_FRAME, render
from codecrucible.training.sft_data import read_pairs


def test_pairs_have_the_label_as_the_answer(tmp_path):
    items = [Item("T/0:0", "T/0", "def f(): return 1", "all", "T/0"),
             Item("T/1:0", "T/1", "def g(): raise", "none", "T/1")]
    pairs = read_pairs(write_pairs(items, PASS_FRAME, tmp_path / "train.jsonl"))
    assert [p.output for p in pairs] == ["all", "none"]
    assert pairs[0].instruction == render(SCHEME, PASS_FRAME, items[0]).prompt
