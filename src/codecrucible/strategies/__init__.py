"""Strategies: how a model's calls become candidates (see ``base`` for the seam).

Adding one is a module with a function ``(problem, samples, ctx) -> list[Candidate]`` and a line
in ``REGISTRY`` below (or an entry point in the group ``codecrucible.strategies``).
"""

from __future__ import annotations

from codecrucible.registry import Registry
from codecrucible.strategies.base import Budget, Context, Referee, Sampling, Strategy, seed_for

REGISTRY: Registry[Strategy] = Registry("strategy", "codecrucible.strategies", {
    "single": "codecrucible.strategies.single:single",
    "repair": "codecrucible.strategies.repair:repair",
    "multiturn": "codecrucible.strategies.multiturn:multiturn",
})


def get(name: str) -> Strategy:
    return REGISTRY.get(name)


def names() -> list[str]:
    return REGISTRY.names()


__all__ = ["REGISTRY", "Budget", "Context", "Referee", "Sampling", "Strategy", "get", "names",
           "seed_for"]
