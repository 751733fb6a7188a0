"""SmolLM2-135M-Instruct, the smallest embedded model: its one package's GGUF file, found by
pip's metadata and checked against the pin, really generates. Skipped only where the optional
extra is not installed (``pip install -e '.[smollm2]'``)."""

from __future__ import annotations

import pytest
from support import embedded_installed

from codecrucible.models import ModelOptions, Request, open_model
from codecrucible.models.llama import CATALOG, chunk_files

SMOLLM2 = CATALOG["smollm2-135m"]


pytestmark = pytest.mark.skipif(not embedded_installed("smollm2-135m"),
                                reason="the smollm2 extra is not installed")


def test_its_package_holds_the_whole_gguf_file():
    [gguf] = chunk_files(SMOLLM2)
    assert gguf.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert gguf.stat().st_size == SMOLLM2.size


def test_it_answers_a_chat_request():
    model = open_model("embedded:smollm2-135m", ModelOptions())
    request = Request(messages=(("user", "Write a Python function that adds two numbers."),),
                      max_tokens=48)
    [answer] = model.generate([request])
    assert answer.tokens_out > 0 and answer.text.strip()
    assert answer.model == "embedded:smollm2-135m"
    assert model.describe()["sha256"] == SMOLLM2.sha256
