"""``crucible finetune`` on a tiny random llama checkpoint (steps take milliseconds): it trains,
writes both adapters, refuses to overwrite a run, resumes exactly after a SIGKILL, refuses to
resume with other settings, and names bad input in one line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codecrucible.cli.main import app
from codecrucible.training.finetune import (
    CHECKPOINT,
    FinetuneConfig,
    FinetuneError,
    finetune,
    learning_rate,
    resolve_base,
)

PAIRS = [{"instruction": "Add two numbers.", "output": "def add(a, b):\n    return a + b"},
         {"instruction": "Negate a number.", "input": "x", "output": "def neg(x):\n    return -x"},
         {"instruction": "Say hello.", "output": "print('hello')"}]


@pytest.fixture
def data(tmp_path) -> Path:
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in PAIRS))
    return path


def _config(checkpoint, data, out, **changes) -> FinetuneConfig:
    settings = {"rank": 4, "alpha": 8.0, "lr": 1e-2, "max_steps": 9, "max_length": 64,
                "checkpoint_every": 3, "dropout": 0.1} | changes
    return FinetuneConfig(str(checkpoint), data, out, **settings)


def _adapter_weights(out: Path) -> dict:
    from safetensors.numpy import load_file
    return load_file(out / "adapter" / "adapter_model.safetensors")


def test_it_trains_and_writes_both_adapters(tiny_checkpoint, data, tmp_path):
    seen = []
    result = finetune(_config(tiny_checkpoint, data, tmp_path / "out"), on_step=seen.append)
    assert [p.step for p in seen] == list(range(1, 10)) and seen[-1].tokens_per_s > 0
    assert result.steps == 9 and result.examples == 3 and len(result.losses) == 9
    assert min(result.losses[-3:]) < min(result.losses[:3])
    out = tmp_path / "out"
    config = json.loads((out / "adapter" / "adapter_config.json").read_text())
    assert config["r"] == 4 and config["lora_alpha"] == 8
    assert len(_adapter_weights(out)) == 2 * 7 * 2   # 2 layers x 7 projections x A, B
    import gguf
    reader = gguf.GGUFReader(result.adapter_gguf)
    assert len(reader.tensors) == 2 * 7 * 2
    assert reader.fields["general.type"].contents() == "adapter"
    assert not (out / CHECKPOINT).exists()
    assert result.spec is None   # a transformers checkpoint has no GGUF base to name
    summary = json.loads((out / "finetune.json").read_text())
    assert summary["steps"] == 9 and summary["losses"] == result.losses


def test_a_run_is_neither_overwritten_nor_resumed_with_other_settings(tiny_checkpoint, data,
                                                                      tmp_path):
    out = tmp_path / "out"
    finetune(_config(tiny_checkpoint, data, out, max_steps=3))
    with pytest.raises(FinetuneError, match="already holds a fine-tuning run"):
        finetune(_config(tiny_checkpoint, data, out, max_steps=3))
    again = finetune(_config(tiny_checkpoint, data, out, max_steps=3), resume=True)
    assert again.steps == 3 and again.tokens == 0   # finished: nothing more to do
    with pytest.raises(FinetuneError, match=r"other settings or data \(lr differ\)"):
        finetune(_config(tiny_checkpoint, data, out, max_steps=3, lr=0.5), resume=True)
    # killed before its first checkpoint: there is nothing to lose, so it starts over
    fresh = finetune(_config(tiny_checkpoint, data, tmp_path / "fresh", max_steps=3),
                     resume=True)
    assert fresh.steps == 3 and fresh.losses == again.losses


def test_the_learning_rate_warms_up_then_decays():
    config = FinetuneConfig("m", Path("d"), Path("o"), lr=1.0, warmup=2)
    assert [learning_rate(config, s, 6) for s in range(6)] == [0.5, 1.0, 1.0, 0.75, 0.5, 0.25]


def test_an_unknown_model_is_named(tmp_path):
    with pytest.raises(FinetuneError, match="no such model"):
        resolve_base(str(tmp_path / "nothing"))
    with pytest.raises(FinetuneError, match="not a transformers checkpoint"):
        resolve_base(str(tmp_path))
    bad = tmp_path / "model.gguf"
    bad.write_bytes(b"nope")
    with pytest.raises(FinetuneError, match="not a GGUF file"):
        resolve_base(f"gguf:{bad}")
    bad.write_bytes(b"GGUF and more")
    with pytest.raises(FinetuneError, match="does not match the expected abc"):
        resolve_base(f"gguf:{bad}#sha256=abc")
    assert resolve_base(f"gguf:{bad}").spec == f"gguf:{bad.resolve()}"


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from codecrucible.cli.main import app; app()", *args]


def test_a_sigkill_then_resume_ends_where_an_uninterrupted_run_ends(tiny_checkpoint, data,
                                                                    tmp_path):
    steps = 300
    reference = finetune(_config(tiny_checkpoint, data, tmp_path / "whole", max_steps=steps,
                                 checkpoint_every=10))
    out = tmp_path / "killed"
    args = ["finetune", str(tiny_checkpoint), "-d", str(data), "-o", str(out), "--rank", "4",
            "--alpha", "8", "--lr", "1e-2", "--max-steps", str(steps), "--max-length", "64",
            "--checkpoint-every", "10", "--dropout", "0.1"]
    env = {**os.environ, "CRUCIBLE_PROGRESS_INTERVAL": "3600"}
    run = subprocess.Popen(_cli(*args), env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not (out / CHECKPOINT).exists() and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    run.send_signal(signal.SIGKILL)
    run.communicate()
    assert run.returncode == -signal.SIGKILL, "the run ended before it could be killed"

    import torch
    state = torch.load(out / CHECKPOINT, weights_only=True)
    assert 10 <= state["step"] < steps and state["step"] % 10 == 0
    resumed = subprocess.run(_cli(*args, "--resume"), env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{steps} steps on 3 examples" in resumed.stdout
    summary = json.loads((out / "finetune.json").read_text())
    assert summary["losses"] == reference.losses
    expected, got = _adapter_weights(tmp_path / "whole"), _adapter_weights(out)
    assert expected.keys() == got.keys()
    assert all((expected[k] == got[k]).all() for k in expected)   # bit for bit
    assert (out / "adapter.gguf").read_bytes() == (tmp_path / "whole" / "adapter.gguf"
                                                   ).read_bytes()


def test_a_bad_data_line_is_one_line_naming_file_and_line(tiny_checkpoint, tmp_path):
    data = tmp_path / "pairs.jsonl"
    data.write_text(json.dumps(PAIRS[0]) + "\n" + '{"instruction": "x"}\n')
    result = CliRunner().invoke(app, ["finetune", str(tiny_checkpoint), "-d", str(data),
                                      "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {data}:2: 'output' is missing or not a string"


def test_without_the_train_extra_it_says_which_to_install(tiny_checkpoint, data, tmp_path,
                                                          monkeypatch):
    monkeypatch.setitem(sys.modules, "peft", None)   # import peft now raises ImportError
    result = CliRunner().invoke(app, ["finetune", str(tiny_checkpoint), "-d", str(data),
                                      "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "pip install 'codecrucible[train]'" in result.stderr
