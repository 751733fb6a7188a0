"""The transformers backend: a local causal-LM checkpoint directory (``hf:PATH``).

torch and transformers are imported only when such a model is opened, so the rest of the tool
never pays for them; they come with the ``hf`` extra. The checkpoint is read from disk only
(``local_files_only``, no remote code) and runs on the CPU in float32.

The cache identity is a sha256 over the files that decide the output (weights, configs and the
tokenizer with its chat template), so a changed checkpoint never reuses stale responses.
"""

from __future__ import annotations

import copy
import gc
import hashlib
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from codecrucible.models.base import Completion, ModelError, ModelOptions, Request

_WEIGHTS = (".safetensors", ".bin", ".pt", ".pth")
# Besides the weights: configs, tokenizer files and a chat template kept beside them.
_HASHED = _WEIGHTS + (".json", ".model", ".txt", ".jinja", ".tiktoken")
_HINT = "needs the hf extra: pip install 'codecrucible[hf]'"


def checkpoint_files(path: Path) -> list[Path]:
    """The checkpoint's files that decide its output, in name order; a clear error when the
    directory is not a checkpoint."""
    if not path.is_dir():
        raise ModelError(f"hf:{path}: no such directory {path}")
    if not (path / "config.json").is_file():
        raise ModelError(f"{path}: not a transformers checkpoint (no config.json)")
    files = sorted(p for p in path.iterdir() if p.is_file() and p.name.endswith(_HASHED))
    if not any(p.name.endswith(_WEIGHTS) for p in files):
        raise ModelError(f"{path}: not a transformers checkpoint (no weight files)")
    return files


def checkpoint_sha256(files: Sequence[Path]) -> str:
    """One sha256 over each file's name and bytes, streamed: weights can be gigabytes. Sizes
    are hashed too, so bytes cannot move from one file to the next unnoticed."""
    digest = hashlib.sha256()
    for file in files:
        digest.update(f"{file.name}\0{file.stat().st_size}\0".encode())
        with open(file, "rb") as handle:
            for block in iter(lambda h=handle: h.read(8 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


class HFModel:
    """One checkpoint in transformers. Calls are serialised: one model, and a seeded sample
    must not share the random generator with another call."""

    prefills = True  # the chat template is rendered here, so an answer can be started
    serial = True    # one model, one random generator: calls never overlap
    concurrency = 1

    def __init__(self, spec: str, path: Path, options: ModelOptions):
        files = checkpoint_files(path)
        try:
            import torch
            import transformers
        except ImportError as err:
            raise ModelError(f"{spec}: {_HINT} ({err})") from None
        self.spec, self.path = spec, path
        self.sha256 = checkpoint_sha256(files)
        self.identity = f"hf:{self.sha256}"
        self.threads = options.threads or os.cpu_count() or 1
        self.call_timeout_s = options.call_timeout_s
        torch.set_num_threads(self.threads)
        self._torch = torch
        try:
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(
                path, local_files_only=True)
            self.model = transformers.AutoModelForCausalLM.from_pretrained(
                path, local_files_only=True, **_float32(torch, transformers))
        except (OSError, ValueError, KeyError) as err:
            raise ModelError(f"{path}: transformers cannot load this checkpoint ({err})") from None
        self.model.to("cpu").eval()
        self.template = getattr(self.tokenizer, "chat_template", None)
        wants_chat = {"chat": True, "completion": False}.get(options.prompt_style)
        if wants_chat and not self.template:
            raise ModelError(f"{spec}: the tokenizer has no chat template; use --prompt-style "
                             f"completion")
        self.chat = wants_chat if wants_chat is not None else bool(self.template)
        self._lock = threading.RLock()  # one generation at a time

    def describe(self) -> dict:
        return {"backend": "transformers", "path": str(self.path), "sha256": self.sha256,
                "threads": self.threads, "chat": self.chat}

    def render(self, request: Request) -> str:
        """The exact text the model continues: the tokenizer's chat template, then the prefill."""
        if not request.is_chat:
            return request.prompt
        if not self.template:
            raise ModelError(f"{self.spec}: a chat request, but the tokenizer has no chat "
                             f"template")
        messages = [{"role": role, "content": content} for role, content in request.messages]
        text = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True,
                                                  tokenize=False)
        return text + request.prefill

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        return [self._one(r) for r in requests]

    def _one(self, request: Request) -> Completion:
        torch = self._torch
        text = self.render(request)
        # A rendered chat template already holds its special tokens (BOS included); adding them
        # again would change the prompt the model was trained on.
        inputs = self.tokenizer(text, return_tensors="pt", add_special_tokens=not request.is_chat)
        prompt_len = inputs["input_ids"].shape[1]
        window = getattr(self.model.config, "max_position_embeddings", None)
        if window and prompt_len + request.max_tokens > window:
            raise ModelError(f"{self.spec}: a prompt of {prompt_len} tokens plus "
                             f"{request.max_tokens} new ones exceeds the model's context of "
                             f"{window} positions")
        config = self._config(request)
        stopper = _stop_criterion(torch, self.tokenizer, request.stop, prompt_len)
        with self._lock:
            start = time.perf_counter()
            # A private copy of the random state: the seed alone decides a sample, and seeding
            # never disturbs anyone else's use of torch's generator.
            with torch.random.fork_rng(devices=[]), torch.inference_mode():
                torch.manual_seed(request.seed)
                try:
                    out = self.model.generate(**inputs, generation_config=config,
                                              stopping_criteria=stopper)
                except (RuntimeError, IndexError, ValueError) as err:  # e.g. too long a prompt
                    raise ModelError(f"{self.spec}: {err}") from None
            latency = time.perf_counter() - start
        new = out[0, prompt_len:].tolist()
        full = self.tokenizer.decode(new, skip_special_tokens=True)
        completion, stopped = _cut(full, request.stop)
        ended = bool(new) and new[-1] in _ids(config.eos_token_id)
        length = not stopped and not ended and len(new) >= request.max_tokens
        # transformers' own time limit (``max_time``, checked after every token) ended it.
        late = not stopped and not ended and not length and latency >= self.call_timeout_s
        return Completion(completion, prompt_len, len(new), latency,
                          "length" if length else "timeout" if late else "stop")

    def _config(self, request: Request):
        """The checkpoint's generation config (its EOS tokens), with our decoding settings: plain
        greedy or plain nucleus sampling, as the llama.cpp backend does, whatever defaults
        (top_k, repetition penalty) the checkpoint ships."""
        config = copy.deepcopy(self.model.generation_config)
        sample = request.temperature > 0
        config.update(max_new_tokens=request.max_tokens, max_time=self.call_timeout_s,
                      max_length=None, min_new_tokens=None,
                      num_beams=1, do_sample=sample, repetition_penalty=1.0, top_k=None,
                      temperature=request.temperature if sample else None,
                      top_p=request.top_p if sample else None)
        if config.eos_token_id is None:
            config.eos_token_id = self.tokenizer.eos_token_id
        if config.pad_token_id is None:  # else generate warns on every call
            config.pad_token_id = self.tokenizer.pad_token_id
            if config.pad_token_id is None:
                config.pad_token_id = _ids(config.eos_token_id)[0]
        return config

    def close(self) -> None:
        self.model = self.tokenizer = None
        gc.collect()


def _float32(torch, transformers) -> dict:
    # float32 on the CPU: fast everywhere and the same numbers on every machine. transformers
    # renamed torch_dtype to dtype.
    major = int(transformers.__version__.split(".")[0])
    return {"dtype" if major >= 5 else "torch_dtype": torch.float32}


def _ids(eos) -> list[int]:
    if eos is None:
        return []
    return list(eos) if isinstance(eos, (list, tuple)) else [eos]


def _cut(text: str, stops: Sequence[str]) -> tuple[str, bool]:
    """The text before the first stop string, and whether one was found."""
    found = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return (text[:min(found)], True) if found else (text, False)


def _stop_criterion(torch, tokenizer, stops: Sequence[str], prompt_len: int):
    """Ends generation once a stop string appears, so no time goes to text that is cut anyway.
    Only the newest tokens are decoded each step (a stop string ends in the newest token); the
    final cut is made on the whole text, so a miss here costs time, never correctness."""
    stops = [s for s in stops if s]
    if not stops:
        return None
    from transformers import StoppingCriteria, StoppingCriteriaList

    window = max(len(s) for s in stops) + 4   # a token decodes to at least one character

    class StopStrings(StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs):
            tail = input_ids[0, max(prompt_len, input_ids.shape[1] - window):]
            text = tokenizer.decode(tail, skip_special_tokens=True)
            done = any(s in text for s in stops)
            return torch.full((input_ids.shape[0],), done, dtype=torch.bool)

    return StoppingCriteriaList([StopStrings()])


def open_hf(rest: str, options: ModelOptions) -> HFModel:
    """``hf:PATH``: a directory saved by ``save_pretrained`` (config, weights, tokenizer)."""
    return HFModel(f"hf:{rest}", Path(rest).expanduser(), options)
