"""The seven schemes render their chains; answers map to labels, with validity counted."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from codecrucible.classify.items import Item
from codecrucible.classify.metrics import validity
from codecrucible.classify.prompting import classify_item
from codecrucible.classify.prompts import (
    PASS_FRAME,
    SCHEMES,
    bug_type_frame,
    few_shot_examples,
    render,
    steps,
    to_label,
)

sys.path.insert(0, str(Path(__file__).parent))
from fake_model import FakeModel  # noqa: E402

ITEM = Item("T/0:1", "T/0", "def add(a, b):\n    return a - b", "none", "T/0")
TRAIN = [Item(f"T/{n}", f"T/{n}", "x" * n, label) for n, label in
         enumerate(["all", "all", "some", "none", "none", "all", "some"], 1)]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_scheme_renders_every_step(scheme):
    shots = few_shot_examples(TRAIN, PASS_FRAME.labels)
    earlier: list[str] = []
    for _ in range(steps(scheme, PASS_FRAME)):
        step = render(scheme, PASS_FRAME, ITEM, shots, tuple(earlier))
        # zero_shot_cot's answer step sees the reasoning only, as in the paper
        assert (ITEM.text in step.prompt) != (scheme == "zero_shot_cot" and earlier != [])
        earlier.append(f"reasoning {len(earlier)}")
    # the last step asks for one word among the labels
    assert "one of: all, some, none" in step.prompt and step.max_tokens <= 16
    if scheme == "few_shot":
        assert step.prompt.count("\nAnswer: ") == 5   # the shots, with their labels
    if scheme in ("context_analyse", "context_question", "few_shot"):
        assert "Context: T/0" in step.prompt


def test_chains_have_the_papers_lengths():
    assert steps("task_only", PASS_FRAME) == 1
    assert steps("zero_shot_cot", PASS_FRAME) == 2
    assert steps("coda", PASS_FRAME) == 5      # three personas, for and against, the judge


def test_few_shot_shows_every_label_in_turn():
    shots = few_shot_examples(TRAIN, ("all", "none", "some"), 5)
    assert [s.label for s in shots] == ["all", "none", "some", "all", "none"]


def test_answers_map_to_the_first_label_word():
    assert to_label("Some of them.", PASS_FRAME) == "some"
    assert to_label("It fails: none pass, not all", PASS_FRAME) == "none"
    assert to_label("ALL", PASS_FRAME) == "all"
    assert to_label("I cannot tell", PASS_FRAME) is None
    assert to_label("allocate", PASS_FRAME) is None          # whole words only
    frame = bug_type_frame(("off_by_one", "comparison_flip"))
    assert to_label("an off-by-one error", frame) == "off_by_one"


def test_validity_counts_answers_without_a_label():
    answers = [FakeModel("all"), FakeModel("no idea"), FakeModel("Some.")]
    predictions = [classify_item(m, "zero_shot_cot", PASS_FRAME, ITEM) for m in answers]
    assert [p.label for p in predictions] == ["all", None, "some"]
    assert validity([p.label for p in predictions]) == pytest.approx(2 / 3)
    assert all(m.calls == 2 for m in answers)
    assert predictions[0].tokens_out == 2 and predictions[0].tokens_in > 0
