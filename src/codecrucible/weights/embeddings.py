"""Frozen-encoder features: mean-pooled llama.cpp embeddings of a local GGUF model.

An encoder is named the way every model is (``embedded:NAME`` or ``gguf:PATH``) and resolved
through ``codecrucible.models``, so the embedded models are assembled and checked against their
pinned sha256 as they are for generation. Embedding is the study's slowest step (hundreds of
tokens a second on a CPU), so every vector is kept in a SQLite file per model and context,
keyed by the model's sha256 and the text's, and a resumed or repeated study embeds nothing
twice.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np

from codecrucible.files import cache_dir, sha256_of
from codecrucible.models import ModelError
from codecrucible.models.llama import resolve_embedded

CONTEXT = 1024   # tokens; a longer program is cut at the end (llama.cpp's truncate)


def encoder_file(spec: str) -> tuple[Path, str]:
    """The GGUF file an ``embedded:`` or ``gguf:`` spec names, and its sha256."""
    scheme, _, rest = spec.partition(":")
    if scheme == "embedded":
        model, path = resolve_embedded(rest)
        return path, model.sha256
    if scheme == "gguf":
        path = Path(rest.partition("#")[0]).expanduser()
        if not path.is_file():
            raise ModelError(f"{spec}: no such file {path}")
        return path, sha256_of(path)
    raise ModelError(f"{spec}: an encoder is a local GGUF model, 'embedded:NAME' or "
                     "'gguf:PATH'")


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class EmbeddingCache:
    """Vectors of one model at one context length, by the sha256 of their text."""

    def __init__(self, model_sha: str, context: int = CONTEXT, root: Path | None = None):
        root = root or cache_dir() / "embeddings"
        root.mkdir(parents=True, exist_ok=True)
        self.path = root / f"{model_sha[:16]}-ctx{context}.sqlite"
        self.db = sqlite3.connect(self.path)
        self.db.execute("CREATE TABLE IF NOT EXISTS vectors (text_sha TEXT PRIMARY KEY, "
                        "vector BLOB NOT NULL)")

    def get(self, keys: list[str]) -> dict[str, np.ndarray]:
        found = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            rows = self.db.execute(
                f"SELECT text_sha, vector FROM vectors WHERE text_sha IN "
                f"({','.join('?' * len(chunk))})", chunk)
            found.update((key, np.frombuffer(blob, dtype=np.float32)) for key, blob in rows)
        return found

    def put(self, key: str, vector: np.ndarray) -> None:
        self.db.execute("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                        (key, np.asarray(vector, dtype=np.float32).tobytes()))
        self.db.commit()

    def close(self) -> None:
        self.db.close()


class Encoder:
    """A GGUF model loaded for embeddings only, with mean pooling over the tokens."""

    def __init__(self, spec: str, threads: int | None = None, context: int = CONTEXT):
        try:
            import llama_cpp
        except ImportError as err:
            raise ModelError(f"{spec}: llama-cpp-python is not installed ({err})") from None
        self.spec, self.context = spec, context
        self.path, self.sha256 = encoder_file(spec)
        threads = threads or os.cpu_count() or 1
        try:
            self.llm = llama_cpp.Llama(
                model_path=str(self.path), embedding=True, n_ctx=context, n_batch=context,
                n_ubatch=context, n_threads=threads, n_threads_batch=threads, verbose=False,
                pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN)
        except (ValueError, RuntimeError) as err:
            raise ModelError(f"{self.path}: llama.cpp cannot load this file for embeddings "
                             f"({err})") from None

    def embed(self, text: str) -> np.ndarray:
        return np.asarray(self.llm.embed(text, truncate=True), dtype=np.float32)

    def close(self) -> None:
        self.llm.close()


def embed_all(texts: list[str], encoder: Encoder | None, cache: EmbeddingCache,
              on_text: Callable[[], None] = lambda: None) -> np.ndarray:
    """[texts x dimensions], from the cache where it can (``encoder`` may be None when
    ``missing_count`` is 0, so a fully cached set never loads the model). Each new vector is
    stored as soon as it is computed."""
    keys = [text_key(t) for t in texts]
    found = cache.get(list(dict.fromkeys(keys)))
    missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in found}
    if missing and encoder is None:
        raise ModelError(f"{len(missing)} texts are not embedded yet and no encoder is open")
    for key, text in missing.items():
        found[key] = encoder.embed(text)
        cache.put(key, found[key])
        on_text()
    return np.stack([found[k] for k in keys]) if keys else np.zeros((0, 0), np.float32)


def missing_count(texts: list[str], cache: EmbeddingCache) -> int:
    keys = list(dict.fromkeys(text_key(t) for t in texts))
    return len(keys) - len(cache.get(keys))
