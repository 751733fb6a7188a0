"""The model seam: requests in, completions with token usage and latency out.

A backend is named by a URI-like string (``embedded:qwen2.5-coder-0.5b``, ``gguf:/path.gguf``,
``openai:http://host:8000/v1#name``, ``hf:/path/to/checkpoint``). The scheme picks a factory
from ``BACKENDS``, so an outside package can add a backend with one entry point in the group
``codecrucible.models`` (or ``BACKENDS.add`` at run time).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from codecrucible.records import Completion, Request
from codecrucible.registry import Registry

CALL_TIMEOUT_S = 300.0  # the default bound on one call's wall-clock time
TIMEOUTS_IN_A_ROW = 3   # a model's calls timing out this often in a row stop the run (stalls.py)


class ModelError(RuntimeError):
    """A model that cannot be loaded or reached, named with what is wrong."""


@runtime_checkable
class Model(Protocol):
    """What every backend provides: completions for requests, and what it can do.

    A backend says what it can do rather than being probed: ``prefills`` (it renders the chat
    template itself, so the answer can be started for the model, e.g. with an opening code
    fence), ``serial`` (one call at a time: callers hold a batch together rather than send
    calls from several threads) and ``concurrency`` (requests it serves at once). Example::

        class Echo:
            spec = identity = "echo:"
            chat, prefills, serial, concurrency = False, False, False, 8

            def generate(self, requests):
                return [Completion(r.prompt, 0, 0, 0.0) for r in requests]

            def describe(self):
                return {"backend": "echo"}

            def close(self):
                pass

        BACKENDS.add("echo", lambda rest, options: Echo())   # or an entry point
    """

    spec: str           # the string the user gave, e.g. "embedded:qwen2.5-coder-0.5b"
    identity: str       # what the response cache keys on: a file sha256, or server + model name
    chat: bool          # True when the model expects chat prompts (an instruct model)
    prefills: bool      # True when an answer can be started for the model (``Request.prefill``)
    serial: bool        # True when calls must not overlap (one context, one generator)
    concurrency: int    # requests served at once (1 for a serial backend)

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
    """Backend settings a user can set on the command line; each backend reads what it uses.

    ``call_timeout_s`` bounds every request's wall-clock time, retries included: a call that
    reaches it ends as a completion with ``finish_reason="timeout"`` (llama.cpp keeps the text
    written so far, a server's is empty), which is never cached, so one stalled call costs its
    round and nothing more; ``timeouts_in_a_row`` of them in a row stop the run (0: never;
    ``stalls.py``). ``timeout_s`` bounds each try of a request to a server.
    """

    context: int = 4096
    threads: int | None = None
    concurrency: int = 4
    timeout_s: float = 600.0
    retries: int = 5
    prompt_style: str = "auto"      # "auto", "chat" or "completion"
    call_timeout_s: float = CALL_TIMEOUT_S
    timeouts_in_a_row: int = TIMEOUTS_IN_A_ROW


Factory = Callable[[str, ModelOptions], Model]
BACKENDS: Registry[Factory] = Registry("backend", "codecrucible.models", {
    "embedded": "codecrucible.models.llama:open_embedded",
    "gguf": "codecrucible.models.llama:open_gguf",
    "openai": "codecrucible.models.openai_api:open_openai",
    "hf": "codecrucible.models.hf:open_hf",
})


def schemes() -> list[str]:
    return BACKENDS.names()


def split_spec(spec: str) -> tuple[str, str]:
    scheme, sep, rest = spec.partition(":")
    if not sep or not rest:
        raise ModelError(f"model {spec!r}: expected SCHEME:WHAT, e.g. embedded:qwen2.5-coder-0.5b, "
                         f"gguf:/path/model.gguf, openai:http://127.0.0.1:8000/v1#name, hf:/path")
    return scheme, rest


def factory_for(spec: str) -> tuple[Factory, str]:
    scheme, rest = split_spec(spec)
    if scheme not in BACKENDS:
        raise ModelError(f"model {spec!r}: unknown backend {scheme!r} "
                         f"(known: {', '.join(schemes())})")
    return BACKENDS.get(scheme), rest
