"""The model seam: requests in, completions with token usage and latency out.

A backend is named by a URI-like string (``embedded:qwen2.5-coder-0.5b``, ``gguf:/path.gguf``,
``openai:http://host:8000/v1#name``, ``hf:/path/to/checkpoint``). The scheme picks a factory
from the registry, so an outside package can add a backend with one ``@register_backend``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Protocol, runtime_checkable


class ModelError(RuntimeError):
    """A model that cannot be loaded or reached, named with what is wrong."""


@dataclass(frozen=True)
class Request:
    """One generation request. ``messages`` (chat) or ``prompt`` (plain completion), not both.

    ``prefill`` starts the assistant's answer (a chat model then continues it); backends whose
    API cannot prefill ignore it, which the prompt texts tolerate. ``temperature == 0`` is greedy.
    """

    prompt: str | None = None
    messages: tuple[tuple[str, str], ...] | None = None   # (role, content) pairs
    prefill: str = ""
    max_tokens: int = 768
    temperature: float = 0.0
    top_p: float = 0.95
    seed: int = 0
    stop: tuple[str, ...] = ()

    def __post_init__(self):
        if (self.prompt is None) == (self.messages is None):
            raise ValueError("a request has either a prompt or messages")

    @property
    def is_chat(self) -> bool:
        return self.messages is not None

    def key(self, model_identity: str) -> str:
        """The response-cache key: the model's identity and the whole request, seed included.
        Greedy decoding ignores the seed, so it does not split the cache."""
        fields = asdict(self)
        if self.temperature == 0:
            fields["seed"] = None
        blob = json.dumps([model_identity, fields], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()

    def with_seed(self, seed: int) -> Request:
        return replace(self, seed=seed)


@dataclass(frozen=True)
class Completion:
    text: str
    tokens_in: int
    tokens_out: int
    latency_s: float
    finish_reason: str = "stop"       # "stop" or "length"
    cached: bool = False              # served by the response cache: no model time spent

    def as_cached(self) -> Completion:
        return replace(self, cached=True)


@runtime_checkable
class Model(Protocol):
    """What every backend provides."""

    spec: str           # the string the user gave, e.g. "embedded:qwen2.5-coder-0.5b"
    identity: str       # what the response cache keys on: a file sha256, or server + model name
    chat: bool          # True when the model expects chat prompts (an instruct model)

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        """Complete every request, in order. Backends may batch, reuse a shared prompt's
        processed state, or send requests concurrently."""
        ...

    def describe(self) -> dict:
        """Facts recorded with a run: file, sha256, server, context size..."""
        ...

    def close(self) -> None:
        ...


@dataclass(frozen=True)
class ModelOptions:
    """Backend settings a user can set on the command line; each backend reads what it uses."""

    context: int = 4096
    threads: int | None = None
    concurrency: int = 4
    timeout_s: float = 600.0
    retries: int = 5
    prompt_style: str = "auto"      # "auto", "chat" or "completion"


Factory = Callable[[str, ModelOptions], Model]
_BACKENDS: dict[str, Factory] = {}


def register_backend(scheme: str) -> Callable[[Factory], Factory]:
    def add(factory: Factory) -> Factory:
        _BACKENDS[scheme] = factory
        return factory
    return add


def schemes() -> list[str]:
    return sorted(_BACKENDS)


def split_spec(spec: str) -> tuple[str, str]:
    scheme, sep, rest = spec.partition(":")
    if not sep or not rest:
        raise ModelError(f"model {spec!r}: expected SCHEME:WHAT, e.g. embedded:qwen2.5-coder-0.5b, "
                         f"gguf:/path/model.gguf, openai:http://127.0.0.1:8000/v1#name, hf:/path")
    return scheme, rest


def factory_for(spec: str) -> tuple[Factory, str]:
    scheme, rest = split_spec(spec)
    if scheme not in _BACKENDS:
        raise ModelError(f"model {spec!r}: unknown backend {scheme!r} "
                         f"(known: {', '.join(schemes())})")
    return _BACKENDS[scheme], rest
