"""The model seam: requests in, completions with token usage and latency out.

A backend is named by a URI-like string (``embedded:qwen2.5-coder-0.5b``, ``gguf:/path.gguf``,
``openai:http://host:8000/v1#name``, ``hf:/path/to/checkpoint``). The scheme picks a factory
from the registry, so an outside package can add a backend with one ``@register_backend``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from codecrucible.records import Completion, Request


class ModelError(RuntimeError):
    """A model that cannot be loaded or reached, named with what is wrong."""


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
