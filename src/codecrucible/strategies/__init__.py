"""Strategies: how a model's calls become candidates (see ``base`` for the seam).

Adding one is a module with an object that follows ``Strategy`` (a ``check`` of the options it
accepts, and a call ``(problem, samples, ctx) -> list[Candidate]``) and a line in ``REGISTRY``
below, or an entry point in the group ``codecrucible.strategies`` naming it or its class.
"""

from __future__ import annotations

from codecrucible.registry import Registry, instance
from codecrucible.strategies.base import (
    Budget,
    Context,
    Journal,
    NoJournal,
    Referee,
    Sampling,
    Strategy,
    no_rounds,
    seed_for,
)

REGISTRY: Registry[Strategy] = Registry("strategy", "codecrucible.strategies", {
    "single": "codecrucible.strategies.single:single",
    "repair": "codecrucible.strategies.repair:repair",
    "multiturn": "codecrucible.strategies.multiturn:multiturn",
    "evolve": "codecrucible.search.climb:evolve",
    "evolve-islands": "codecrucible.search.islands:evolve_islands",
}, make=instance)


get, names = REGISTRY.get, REGISTRY.names


__all__ = ["REGISTRY", "Budget", "Context", "Journal", "NoJournal", "Referee", "Sampling",
           "Strategy", "get", "names", "no_rounds", "seed_for"]
