"""Fixtures of the hostile-program tests (test_hostile_*.py; helpers in hostile.py)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from sandbox.hostile import SECRET_VALUE

from codecrucible.sandbox import SandboxPool


@pytest.fixture(scope="module")
def pool():
    """Two fork servers, started while a secret sits in the harness's environment."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SECRET", SECRET_VALUE)
        sandbox = SandboxPool(slots=2)
        try:
            yield sandbox
        finally:
            sandbox.close()


@pytest.fixture
def scratch_pool():
    """A private one-slot pool for tests that kill or replace a server."""
    sandbox = SandboxPool(slots=1)
    try:
        yield sandbox
    finally:
        sandbox.close()


@pytest.fixture
def host_dir():
    """A world-writable directory on the host's real disk (/var/tmp), which the sandbox can
    see (unlike pytest's tmp_path, hidden behind the servers' private /tmp). Anything in it
    is protected by Landlock and seccomp alone: file modes would let any uid write."""
    base = "/var/tmp" if os.access("/var/tmp", os.W_OK) else None
    path = Path(tempfile.mkdtemp(prefix="crucible-hostile-", dir=base))
    path.chmod(0o777)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


