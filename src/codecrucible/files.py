"""Where codecrucible keeps files (the user cache) and how it fingerprints them."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import platformdirs


def cache_dir() -> Path:
    """The user cache: data downloads, models, calibrations, responses. ``$CRUCIBLE_CACHE_DIR``
    replaces it."""
    return Path(os.environ.get("CRUCIBLE_CACHE_DIR") or platformdirs.user_cache_dir("codecrucible"))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
