"""Shared fixtures: the real benchmark files in ../shared/datasets and a private cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("CRUCIBLE_DATA_DIR") or ROOT.parent / "shared" / "datasets")


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Calibration results and model responses go to a cache of this test session, never the
    user's, so every test really calls the model. Only the assembled model files are shared
    with the user's cache: assembling 491 MB per session would add nothing but time."""
    previous = os.environ.get("CRUCIBLE_CACHE_DIR")
    from codecrucible.files import cache_dir
    models = cache_dir() / "models"
    models.mkdir(parents=True, exist_ok=True)
    private = tmp_path_factory.mktemp("cache")
    (private / "models").symlink_to(models, target_is_directory=True)
    os.environ["CRUCIBLE_CACHE_DIR"] = str(private)
    yield
    if previous is None:
        os.environ.pop("CRUCIBLE_CACHE_DIR", None)
    else:
        os.environ["CRUCIBLE_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA_DIR / "humanevalplus").is_dir():
        pytest.fail(f"benchmark data not found at {DATA_DIR}; set CRUCIBLE_DATA_DIR")
    return DATA_DIR


@pytest.fixture(scope="session")
def sandbox_pool():
    from codecrucible.sandbox import SandboxPool
    pool = SandboxPool(2)
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def reference_pool():
    """Servers for reference solutions only: the candidate servers never hold an answer."""
    from codecrucible.sandbox import REFERENCES, SandboxPool
    pool = SandboxPool(2, role=REFERENCES, lazy=True)
    yield pool
    pool.close()


@pytest.fixture
def spread_benchmark():
    """The score-valued toy benchmark of tests/spread.py, registered as "spread-test"."""
    from spread import SpreadBenchmark

    from codecrucible import benchmarks
    benchmarks.REGISTRY.add("spread-test", SpreadBenchmark())
    yield "spread-test"
    benchmarks.REGISTRY.remove("spread-test")
