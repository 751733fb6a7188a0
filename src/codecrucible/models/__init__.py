"""Model backends behind one interface; see ``base`` for the seam and ``open_model``."""

from __future__ import annotations

from collections.abc import Sequence

from codecrucible.files import cache_dir
from codecrucible.models.base import (
    BACKENDS,
    CALL_TIMEOUT_S,
    TIMEOUTS_IN_A_ROW,
    Completion,
    Model,
    ModelError,
    ModelOptions,
    Request,
    factory_for,
    schemes,
)
from codecrucible.models.cache import CachedModel, Meter, ResponseCache
from codecrucible.models.ensemble import Ensemble
from codecrucible.models.llama import CATALOG, DEFAULT_MODEL


def open_model(spec: str, options: ModelOptions | None = None, *, cache: bool = True
               ) -> CachedModel:
    """Open the backend ``spec`` names, wrapped in the response cache and meter."""
    factory, rest = factory_for(spec)
    options = options or ModelOptions()
    model = factory(rest, options)
    return CachedModel(model, ResponseCache(cache_dir() / "responses.sqlite") if cache else None,
                       options.timeouts_in_a_row)


def open_models(specs: Sequence[str], options: ModelOptions | None = None, *,
                cache: bool = True) -> CachedModel | Ensemble:
    """One model as ``open_model`` opens it, or several as an ``Ensemble`` (requests routed by
    trial); a member that fails to open closes those opened before it."""
    if len(specs) == 1:
        return open_model(specs[0], options, cache=cache)
    repeated = sorted({s for s in specs if specs.count(s) > 1})
    if repeated:
        raise ModelError(f"model {repeated[0]!r} is named twice; name each model once")
    opened: list[CachedModel] = []
    try:
        for spec in specs:
            opened.append(open_model(spec, options, cache=cache))
        return Ensemble(opened)
    except BaseException:
        for model in opened:
            model.close()
        raise


__all__ = ["BACKENDS", "CALL_TIMEOUT_S", "CATALOG", "DEFAULT_MODEL", "TIMEOUTS_IN_A_ROW",
           "CachedModel", "Completion", "Ensemble", "Meter", "Model", "ModelError",
           "ModelOptions", "Request", "open_model", "open_models", "schemes"]
