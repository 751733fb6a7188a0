"""Model backends behind one interface; see ``base`` for the seam and ``open_model``."""

from __future__ import annotations

from codecrucible.files import cache_dir
from codecrucible.models.base import (
    BACKENDS,
    Completion,
    Model,
    ModelError,
    ModelOptions,
    Request,
    factory_for,
    schemes,
)
from codecrucible.models.cache import CachedModel, Meter, ResponseCache
from codecrucible.models.llama import CATALOG, DEFAULT_MODEL


def open_model(spec: str, options: ModelOptions | None = None, *, cache: bool = True
               ) -> CachedModel:
    """Open the backend ``spec`` names, wrapped in the response cache and meter."""
    factory, rest = factory_for(spec)
    model = factory(rest, options or ModelOptions())
    return CachedModel(model, ResponseCache(cache_dir() / "responses.sqlite") if cache else None)


__all__ = ["BACKENDS", "CATALOG", "DEFAULT_MODEL", "CachedModel", "Completion", "Meter", "Model",
           "ModelError", "ModelOptions", "Request", "open_model", "schemes"]
