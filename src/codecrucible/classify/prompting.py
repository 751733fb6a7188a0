"""One prompting scheme over one model: each test item's chain of calls, through the response
cache and meter (``models.open_model``), with what the item cost.

CPU-seconds are this process's (``time.process_time``), which counts llama.cpp's threads as
it runs in the process; a server model's CPU is the server's and not counted here (its tokens
and wall time are). A call the response cache answers costs almost nothing: ``cached`` says
how many of an item's calls were such, so a rerun's cost is not mistaken for a first run's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from codecrucible.classify.items import Item
from codecrucible.classify.prompts import Frame, render, steps, to_label
from codecrucible.models import Request


@dataclass(frozen=True)
class Prediction:
    item_id: str
    answer: str            # the last call's answer (a baseline's: the label)
    label: str | None      # None: no label could be read from the answer
    cpu_s: float
    wall_s: float
    tokens_in: int = 0
    tokens_out: int = 0
    cached: int = 0        # calls the response cache answered


def request_for(model, prompt: str, max_tokens: int) -> Request:
    """A chat model gets the prompt as the user's message; a completion model, as the text."""
    if getattr(model, "chat", True):
        return Request(messages=(("user", prompt),), max_tokens=max_tokens)
    return Request(prompt=prompt + " ", max_tokens=max_tokens)


def classify_item(model, scheme: str, frame: Frame, item: Item,
                  shots: tuple[Item, ...] = ()) -> Prediction:
    cpu, wall = time.process_time(), time.perf_counter()
    answers: list[str] = []
    tokens_in = tokens_out = cached = 0
    for _ in range(steps(scheme, frame)):
        step = render(scheme, frame, item, shots, tuple(answers))
        [completion] = model.generate([request_for(model, step.prompt, step.max_tokens)])
        tokens_in += completion.tokens_in
        tokens_out += completion.tokens_out
        cached += completion.cached
        answers.append(completion.text.strip())
    return Prediction(item.id, answers[-1], to_label(answers[-1], frame),
                      time.process_time() - cpu, time.perf_counter() - wall,
                      tokens_in, tokens_out, cached)
