"""Scripted evolver and answerer models for the training wing's tests, and their answers."""

from __future__ import annotations

from codecrucible.models import CachedModel
from codecrucible.records import Completion
from codecrucible.sandbox import SandboxPool
from codecrucible.training.decontamination import NgramIndex
from codecrucible.training.judging import Batch, Sampling

QUESTION = ("Write a function add_three(a, b, c) that returns the sum of three integers, "
            "rejecting nothing and using no loops.")
TESTS = "assert add_three(1, 2, 3) == 6\nassert add_three(0, 0, 0) == 0\n" \
        "assert add_three(-1, 1, 5) == 5\n"
EVOLVED = f"#Rewritten Question#\n{QUESTION}\n#Tests#\n```python\n{TESTS}```\n"
RIGHT = "Here it is:\n```python\ndef add_three(a, b, c):\n    return a + b + c\n```\n"


class Scripted:
    """Answers each request with ``answer(request)``; a string answers every request alike.
    ``fail_after`` calls, it raises, as a killed process would stop answering."""

    chat, prefills, serial, concurrency = True, False, False, 4

    def __init__(self, answer, name: str = "scripted", fail_after: int | None = None):
        self.answer = answer if callable(answer) else (lambda request: answer)
        self.spec = self.identity = f"{name}:"
        self.requests, self.fail_after = [], fail_after

    def generate(self, requests):
        if self.fail_after is not None and len(self.requests) + len(requests) > self.fail_after:
            raise KeyboardInterrupt("killed")
        self.requests += requests
        return [Completion(self.answer(r), 12, 7, 0.01) for r in requests]

    def describe(self):
        return {"backend": self.spec}

    def close(self):
        pass


def batch(evolver: Scripted, answerer: Scripted, pool: SandboxPool,
          index: NgramIndex | None = None, run_seed: int = 0) -> Batch:
    """A batch with no response cache (every call reaches the scripted model)."""
    return Batch(CachedModel(evolver, None), CachedModel(answerer, None), pool,
                 index or NgramIndex(), Sampling(), run_seed)
