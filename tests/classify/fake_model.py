"""A stand-in model for the classify tests: it answers from a fixed rule, optionally slowly,
and logs each call so a test can count them."""

from __future__ import annotations

import time
from pathlib import Path

from codecrucible.records import Completion


class FakeModel:
    spec = identity = "fake:"
    chat, prefills, serial, concurrency = True, False, True, 1

    def __init__(self, answer: str = "all", pause: float = 0.0, log: Path | None = None):
        self.answer, self.pause, self.log = answer, pause, log
        self.calls = 0

    def generate(self, requests):
        out = []
        for request in requests:
            self.calls += 1
            if self.pause:
                time.sleep(self.pause)
            if self.log:
                with open(self.log, "a") as f:
                    f.write("call\n")
            prompt = request.messages[-1][1] if request.messages else request.prompt
            out.append(Completion(self.answer, len(prompt.split()), 1, self.pause))
        return out

    def close(self) -> None:
        pass
