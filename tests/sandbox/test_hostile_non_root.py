"""Hostile programs against a pool run by an ordinary user."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sandbox.hostile import (
    IS_ROOT,
    LINUX_ONLY,
)

pytestmark = LINUX_ONLY

# ---------------------------------------------------------------- a pool run by an ordinary user
# The workstation case: no uid drop, no private mounts.
_NON_ROOT_UID = 59950          # below every sandbox uid, so no other check confuses it
_NON_ROOT_PROGRAM = r'''
import json, os, sys, tempfile
from codecrucible.sandbox import SandboxPool
own = tempfile.mkdtemp(dir=sys.argv[1])                 # the user's own private files
secret = os.path.join(own, "id_private")
with open(secret, "w") as out:
    out.write("secret")
os.chmod(secret, 0o600)
os.chmod(own, 0o700)
pool = SandboxPool(slots=1)
workroot = pool.servers[0].info["workroot"]
code = f"""
import os
for name, attempt in (("read", lambda: open({secret!r}).read()),
                      ("chmod file", lambda: os.chmod({secret!r}, 0o644)),
                      ("chmod dir", lambda: os.chmod({own!r}, 0o777))):
    try:
        attempt()
        print(name, "DONE", flush=True)
    except OSError as err:
        print(name, "blocked", type(err).__name__, flush=True)
"""
limits = {"wall_s": 3, "cpu_s": 2, "memory_mb": 256, "output_bytes": 1 << 20, "file_mb": 16,
          "processes": 32}
result = pool.run({"kind": "script", "code": code, "limits": limits})
layers = pool.layers
pool.close()
print(json.dumps({"stdout": result["stdout"], "uid_layer": layers["uid"],
                  "file_mode": os.stat(secret).st_mode & 0o777,
                  "dir_mode": os.stat(own).st_mode & 0o777,
                  "workroot": workroot, "workroot_left": os.path.exists(workroot)}))
'''


@pytest.fixture(scope="module")
def non_root_run():
    if not IS_ROOT or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to start a pool as an ordinary user")
    base = Path(tempfile.mkdtemp(prefix="crucible-nonroot-", dir="/var/tmp"))
    base.chmod(0o777)
    report = None
    try:
        done = subprocess.run(
            ["setpriv", f"--reuid={_NON_ROOT_UID}", f"--regid={_NON_ROOT_UID}",
             "--clear-groups", sys.executable, "-c", _NON_ROOT_PROGRAM, str(base)],
            capture_output=True, text=True, timeout=60, cwd="/",
            env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"})
        if done.returncode != 0:
            pytest.skip(f"a pool could not run as uid {_NON_ROOT_UID}: {done.stderr[-500:]}")
        report = json.loads(done.stdout.splitlines()[-1])
        yield report
    finally:
        shutil.rmtree(base, ignore_errors=True)
        if report and report["workroot"].startswith("/dev/shm/crucible-sandbox-"):
            shutil.rmtree(report["workroot"], ignore_errors=True)


def test_non_root_pool_still_confines_reads(non_root_run):
    assert non_root_run["uid_layer"].startswith("inactive"), non_root_run
    assert "read blocked" in non_root_run["stdout"], non_root_run


def test_non_root_pool_cannot_chmod_the_users_files(non_root_run):
    assert "DONE" not in non_root_run["stdout"], non_root_run
    assert "chmod file blocked" in non_root_run["stdout"], non_root_run
    assert "chmod dir blocked" in non_root_run["stdout"], non_root_run
    assert (non_root_run["file_mode"], non_root_run["dir_mode"]) == (0o600, 0o700), non_root_run


# A known weakness (see the policy in hostile.py), kept with the fixture it needs.
def test_non_root_pool_removes_its_work_root(non_root_run):
    assert not non_root_run["workroot_left"], non_root_run
