"""The response cache and meter every model call goes through.

Keyed by the model's identity (a file's sha256, or server + model name) and the whole request,
seed included, so a rerun, a resumed run or a second benchmark with the same prompts (HumanEval
and HumanEval+) costs no model time. Hits are marked as such; the meter counts both. A call that
ran out of time (``finish_reason="timeout"``) is counted but never stored: a resumed run asks
again.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from codecrucible.models.base import TIMEOUTS_IN_A_ROW, Completion, Model, Request
from codecrucible.models.stalls import StallWatch

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    text TEXT NOT NULL,
    tokens_in INTEGER NOT NULL,
    tokens_out INTEGER NOT NULL,
    latency_s REAL NOT NULL,
    finish_reason TEXT NOT NULL,
    created REAL NOT NULL
);
"""


class ResponseCache:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                  timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def get(self, key: str) -> Completion | None:
        with self._lock:
            row = self.db.execute("SELECT text, tokens_in, tokens_out, latency_s, finish_reason"
                                  " FROM responses WHERE key = ?", (key,)).fetchone()
        return Completion(*row, cached=True) if row else None

    def put(self, key: str, model: str, completion: Completion) -> None:
        with self._lock:
            self.db.execute("INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (key, model, completion.text, completion.tokens_in,
                             completion.tokens_out, completion.latency_s,
                             completion.finish_reason, time.time()))

    def close(self) -> None:
        self.db.close()


@dataclass
class Meter:
    calls: int = 0
    cache_hits: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    model_s: float = 0.0       # time the model spent on calls that were not cache hits
    tokens_generated: int = 0  # tokens out of those calls: the model's speed is this / model_s
    timeouts: int = 0          # calls ended by their wall-clock bound

    def add(self, completion: Completion) -> None:
        self.calls += 1
        self.timeouts += completion.timed_out
        self.tokens_in += completion.tokens_in
        self.tokens_out += completion.tokens_out
        if completion.cached:
            self.cache_hits += 1
        else:
            self.model_s += completion.latency_s
            self.tokens_generated += completion.tokens_out


def tokens_per_second(meter: dict) -> float:
    """The model's own speed: tokens it generated over its time, cache hits left out."""
    return meter["tokens_generated"] / meter["model_s"] if meter["model_s"] else 0.0


def _backend(name: str) -> property:
    return property(lambda self: getattr(self.model, name), doc=f"The backend's ``{name}``.")


class CachedModel:
    """Wraps a backend: cache lookups first, misses go to the model in one call, all metered.
    It is a ``Model`` itself, declaring what its backend can do."""

    spec, identity, chat = _backend("spec"), _backend("identity"), _backend("chat")
    prefills, serial = _backend("prefills"), _backend("serial")
    concurrency = _backend("concurrency")

    def __init__(self, model: Model, cache: ResponseCache | None,
                 stall_after: int = TIMEOUTS_IN_A_ROW):
        self.model, self.cache = model, cache
        self.meter = Meter()
        self.stalls = StallWatch(model.spec, getattr(model, "call_timeout_s", None), stall_after)
        self._lock = threading.Lock()
        # Held across a serial backend's batch: another thread's prompt in between would
        # evict the shared prompt's processed tokens.
        self._serial = threading.RLock() if model.serial else None

    def __getattr__(self, name):  # describe, render...
        return getattr(self.model, name)

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        """Completions for ``requests``, each marked with the spec of the model that wrote it.
        Raises ``ModelStalled`` once the model's calls have timed out too often in a row
        (``stalls.py``)."""
        self.stalls.check()
        keys = [r.key(self.model.identity) for r in requests]
        found = [self.cache.get(k) if self.cache else None for k in keys]
        missing = [i for i, hit in enumerate(found) if hit is None]
        if missing and self._serial is not None:
            # A serial backend: cache each answer as it comes, so a crash loses at most one.
            with self._serial:
                for i in missing:
                    found[i] = self._fresh([requests[i]], [keys[i]])[0]
        elif missing:
            fresh = self._fresh([requests[i] for i in missing], [keys[i] for i in missing])
            for i, completion in zip(missing, fresh, strict=True):
                found[i] = completion
        found = [replace(c, model=self.model.spec) for c in found]
        with self._lock:
            for completion in found:
                self.meter.add(completion)
        self.stalls.saw(found)
        return found

    def _fresh(self, requests: list[Request], keys: list[str]) -> list[Completion]:
        completions = self.model.generate(requests)
        if self.cache:
            for key, completion in zip(keys, completions, strict=True):
                if not completion.timed_out:
                    self.cache.put(key, self.model.identity, completion)
        return completions

    def close(self) -> None:
        self.model.close()
        if self.cache:
            self.cache.close()
