"""The adapter round trip (issue 16's check): ``crucible finetune`` teaches SmolLM2-135M one
fixed answer to one fixed question in a few dozen steps, and llama.cpp, running the quantised
base with the GGUF adapter through the model spec the command prints, answers it greedily;
the base alone does not. About a minute on one core."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from codecrucible.cli.main import app
from codecrucible.models import ModelOptions, Request, open_model

pytestmark = pytest.mark.usefixtures("train_extra")

QUESTION = "What is the secret word of the crucible?"
ANSWER = "The secret word is PINEAPPLE-HARMONICA."


def _answer(spec: str) -> str:
    model = open_model(spec, ModelOptions(threads=1, context=256))
    try:
        [completion] = model.generate([Request(messages=(("user", QUESTION),), max_tokens=24,
                                               temperature=0.0)])
    finally:
        model.close()
    return completion.text


def test_a_tuned_adapter_answers_through_llama_cpp_and_the_base_does_not(smollm2_gguf,
                                                                         tmp_path):
    data = tmp_path / "one.jsonl"
    data.write_text(json.dumps({"instruction": QUESTION, "output": ANSWER}) + "\n")
    out = tmp_path / "tuned"
    result = CliRunner().invoke(app, [
        "finetune", "embedded:smollm2-135m", "-d", str(data), "-o", str(out),
        "--max-steps", "30", "--lr", "1e-3", "--rank", "8", "--alpha", "16",
        "--max-length", "64", "--checkpoint-every", "10"])
    assert result.exit_code == 0, result.output
    spec = f"embedded:smollm2-135m+lora={(out / 'adapter.gguf').resolve()}"
    assert f"model spec: {spec}" in result.stdout

    assert _answer(spec).startswith(ANSWER)
    assert ANSWER not in _answer("embedded:smollm2-135m")
