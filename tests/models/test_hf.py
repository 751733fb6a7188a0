"""The ``hf:PATH`` backend on a tiny checkpoint the tests build and save themselves."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from codecrucible.models import ModelError, ModelOptions, Request, open_model

TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
            "{% if add_generation_prompt %}<|assistant|>{% endif %}")
CORPUS = ["def add(a, b):\n    return a + b\n", "print('hello world')\n",
          "for i in range(10):\n    total += i\n", "class Point:\n    x: int\n    y: int\n"]
OPTIONS = ModelOptions(threads=2)


def save_checkpoint(path: Path, template: str | None = TEMPLATE, positions: int = 1024
                    ) -> Path:
    """A byte-level BPE tokenizer trained on a few lines and a 2-layer GPT-2 with width 16."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(CORPUS, trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<eos>", "<pad>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<eos>",
                                        pad_token="<pad>")
    tokenizer.chat_template = template
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=positions, n_embd=16, n_layer=2,
                        n_head=2, eos_token_id=tokenizer.eos_token_id,
                        bos_token_id=tokenizer.eos_token_id,
                        pad_token_id=tokenizer.pad_token_id)
    GPT2LMHeadModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    return save_checkpoint(tmp_path_factory.mktemp("hf") / "tiny")


@pytest.fixture(scope="module")
def model(checkpoint):
    model = open_model(f"hf:{checkpoint}", OPTIONS, cache=False)
    yield model
    model.close()


def test_greedy_is_deterministic_and_counts_tokens(model):
    request = Request(prompt="def add(a, b):", max_tokens=6)
    first, second = model.generate([request, request])
    assert first.text == second.text
    assert first.tokens_in > 0 and 0 < first.tokens_out <= 6
    assert first.finish_reason in ("stop", "length")
    assert (first.finish_reason == "length") == (first.tokens_out == 6)
    assert first.latency_s > 0
    longer, = model.generate([Request(prompt="def add(a, b):", max_tokens=12)])
    assert longer.tokens_out <= 12


def test_sampling_reproduces_with_the_same_seed(model):
    request = Request(prompt="print(", max_tokens=8, temperature=1.0, top_p=0.9, seed=7)
    first, second = model.generate([request, request])
    assert first.text == second.text and first.tokens_out == second.tokens_out


def test_stop_strings_cut_the_text(model):
    request = Request(prompt="for i in", max_tokens=16)
    full, = model.generate([request])
    if len(full.text) < 4:
        pytest.skip("the random model ended too early to pick a stop string")
    stop = full.text[2:4]
    cut, = model.generate([Request(prompt="for i in", max_tokens=16, stop=(stop,))])
    assert cut.text == full.text[:full.text.find(stop)]
    assert cut.finish_reason == "stop"
    assert cut.tokens_out < full.tokens_out     # stopped early, not only cut afterwards


def test_chat_rendering_uses_the_template(model):
    assert model.chat
    request = Request(messages=(("system", "Be brief."), ("user", "Add.")), prefill="def",
                      max_tokens=4)
    assert model.render(request) == "<|system|>Be brief.\n<|user|>Add.\n<|assistant|>def"
    completion, = model.generate([request])
    assert completion.tokens_in > 0
    description = model.describe()
    assert description["chat"] is True and description["sha256"] in model.identity
    assert model.identity.startswith("hf:")


def test_identity_follows_the_weights(checkpoint, model, tmp_path):
    copy = Path(shutil.copytree(checkpoint, tmp_path / "copy"))
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1      # a bit of the last tensor: still a loadable file
    weights.write_bytes(bytes(data))
    changed = open_model(f"hf:{copy}", OPTIONS, cache=False)
    try:
        assert changed.identity != model.identity
    finally:
        changed.close()


def test_missing_path_is_named(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(ModelError, match=str(missing)):
        open_model(f"hf:{missing}", OPTIONS, cache=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="not a transformers checkpoint"):
        open_model(f"hf:{tmp_path / 'empty'}", OPTIONS, cache=False)


def test_chat_style_needs_a_template(checkpoint, tmp_path):
    plain = Path(shutil.copytree(checkpoint, tmp_path / "plain"))
    # the template lives in tokenizer_config.json or, in newer transformers, its own file
    (plain / "chat_template.jinja").unlink(missing_ok=True)
    config = json.loads((plain / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    (plain / "tokenizer_config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="no chat template"):
        open_model(f"hf:{plain}", ModelOptions(prompt_style="chat"), cache=False)
    completion_model = open_model(f"hf:{plain}", OPTIONS, cache=False)
    try:
        assert not completion_model.chat
    finally:
        completion_model.close()


def test_crucible_run_with_a_checkpoint(checkpoint, tmp_path, data_dir):
    """End to end through ``crucible run``: the tiny model writes no working code, and the run
    records that honestly with its tokens, rather than failing."""
    db = tmp_path / "hf.db"
    result = subprocess.run(
        [str(Path(sys.executable).with_name("crucible")), "run", "-m", f"hf:{checkpoint}",
         "--task", "HumanEval/2", "--max-tokens", "12", "--store", str(db),
         "--data-dir", str(data_dir)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db) as conn:
        (status,) = conn.execute("SELECT status FROM verdicts").fetchone()
        (tokens_out, request) = conn.execute("SELECT tokens_out, request FROM attempts").fetchone()
    assert status in ("no_code", "failed", "error") and tokens_out > 0
    assert json.loads(request)["prefill"]  # the template is rendered here, so it can prefill


def test_a_prompt_longer_than_the_context_is_a_clear_error(tmp_path):
    small = open_model("hf:" + str(save_checkpoint(tmp_path / "small", positions=32)),
                       cache=False)
    with pytest.raises(ModelError, match="exceeds the model's context of 32"):
        small.generate([Request(prompt="def add(a, b):\n    return a + b\n" * 4,
                                max_tokens=8)])


def test_a_call_ends_at_its_time_bound(checkpoint):
    bounded = open_model(f"hf:{checkpoint}", ModelOptions(threads=2, call_timeout_s=0.01),
                         cache=False)
    try:
        [done] = bounded.generate([Request(prompt="def add(a, b):", max_tokens=1000)])
    finally:
        bounded.close()
    assert done.finish_reason == "timeout" and done.tokens_out < 1000
    assert bounded.meter.timeouts == 1
