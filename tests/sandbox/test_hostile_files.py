"""Hostile programs: files and disk (writing, filling, deleting, reading secrets)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import uuid

import pytest
from sandbox.hostile import (
    IS_ROOT,
    LIMITS,
    LINUX_ONLY,
    PROJECT_ROOT,
    SECRET_VALUE,
    lines,
    run_hostile,
    script,
)

pytestmark = LINUX_ONLY

# ---------------------------------------------------------------- files and disk
@pytest.mark.parametrize("mode", ["python_default", "sigxfsz_ignored", "sparse_seek",
                                  "sigxfsz_default"])
def test_five_gb_file(pool, mode):
    result = run_hostile(pool, script(f"""
        import os, signal
        mode = {mode!r}
        if mode == "sigxfsz_ignored":
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        if mode == "sigxfsz_default":
            signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
        try:
            with open("big", "wb", buffering=0) as out:
                if mode == "sparse_seek":
                    out.seek(5 << 30)
                    out.write(b"x")
                else:
                    for _ in range(5 << 10):
                        out.write(b"\\0" * (1 << 20))
            print("WROTE", flush=True)
        except OSError as err:
            print("errno", err.errno, flush=True)
        print("size", os.path.getsize("big"), flush=True)
    """))
    if mode == "sigxfsz_default":
        assert result["exit"] == -signal.SIGXFSZ, result
        return
    assert "WROTE" not in result["stdout"], result
    assert lines(result)[0] == "errno 27", result  # EFBIG
    assert int(lines(result)[1].split()[1]) <= LIMITS["file_mb"] << 20, result


def test_fill_the_disk(pool):
    free_before = shutil.disk_usage("/").free
    result = run_hostile(pool, script("""
        files = 0
        try:
            while files < 200:              # 200 x 15 MB = 3 GB, far beyond the tmpfs
                with open(f"fill{files}", "wb", buffering=0) as out:
                    for _ in range(15):
                        out.write(b"\\1" * (1 << 20))
                files += 1
            print("FILLED", files, flush=True)
        except OSError as err:
            print("errno", err.errno, "files", files, flush=True)
    """, wall_s=10, cpu_s=8))
    words = result["stdout"].split()
    if result.get("oom_killed"):
        # tmpfs pages count against the run's memory cgroup: it is stopped before the disk fills
        assert "FILLED" not in result["stdout"], result
    else:
        assert words[0] == "errno" and int(words[1]) in (28, 27), result  # ENOSPC (or EFBIG)
        if IS_ROOT:
            assert int(words[1]) == 28 and int(words[3]) * 15 <= pool.config.tmpfs_mb, result
    # the host's disk did not absorb it (generous: other processes write too)
    assert free_before - shutil.disk_usage("/").free < 1 << 30


def test_delete_outside_the_workdir(pool, tmp_path, host_dir):
    hidden = tmp_path / "victim.txt"         # behind the servers' private /tmp
    hidden.write_text("keep me")
    victim = host_dir / "victim.txt"         # visible, root-owned, mode 666 in a 777 dir
    victim.write_text("keep me")
    victim.chmod(0o666)
    subdir = host_dir / "sub"
    subdir.mkdir()
    (subdir / "inner.txt").write_text("keep me")
    subdir.chmod(0o777)
    result = run_hostile(pool, script(f"""
        import os, shutil
        attempts = {{
            "unlink hidden": lambda: os.unlink({str(hidden)!r}),
            "unlink victim": lambda: os.unlink({str(victim)!r}),
            "append victim": lambda: open({str(victim)!r}, "a").write("PWNED"),
            "truncate victim": lambda: os.truncate({str(victim)!r}, 0),
            "rename victim": lambda: os.rename({str(victim)!r}, {str(host_dir / "moved")!r}),
            "chmod victim": lambda: os.chmod({str(victim)!r}, 0),
            "hardlink victim": lambda: os.link({str(victim)!r}, "hl"),
            "write via hardlink": lambda: open("hl", "r+").write("PWNED"),
            "rmtree dir": lambda: shutil.rmtree({str(host_dir)!r}),
            "unlink inner": lambda: os.unlink({str(subdir / "inner.txt")!r}),
            "rmdir sub": lambda: os.rmdir({str(subdir)!r}),
        }}
        for name, attempt in attempts.items():
            try:
                attempt()
                print(name, "DONE", flush=True)
            except OSError as err:
                print(name, "blocked", type(err).__name__, flush=True)
        open("mine.txt", "w").write("the workdir is writable")
        print("workdir ok", flush=True)
    """))
    assert "DONE" not in result["stdout"], result
    assert "workdir ok" in result["stdout"], result
    assert hidden.read_text() == "keep me"
    assert victim.read_text() == "keep me" and victim.stat().st_mode & 0o777 == 0o666
    assert (subdir / "inner.txt").read_text() == "keep me"
    assert not (host_dir / "moved").exists()


def test_write_outside_the_workdir(pool, host_dir):
    tag = uuid.uuid4().hex
    host_paths = [f"/tmp/evil-{tag}", f"/dev/shm/evil-{tag}", f"/var/tmp/evil-{tag}",
                  str(host_dir / f"evil-{tag}"), str(PROJECT_ROOT / f"evil-{tag}"),
                  f"/root/evil-{tag}", f"/etc/evil-{tag}"]
    for path in host_paths:
        assert not os.path.exists(path)
    result = run_hostile(pool, script(f"""
        import os
        for path in {host_paths!r}:
            try:
                with open(path, "w") as out:
                    out.write("evil")
                print(path, "written (inside)", flush=True)
            except OSError as err:
                print(path, "blocked", type(err).__name__, flush=True)
        # through a symlink planted in the workdir
        os.symlink({str(host_dir / f"evil-link-{tag}")!r}, "link")
        try:
            open("link", "w").write("evil")
            print("link written", flush=True)
        except OSError as err:
            print("link blocked", type(err).__name__, flush=True)
    """))
    out = result["stdout"]
    # /tmp and /dev/shm are the server's private tmpfs when root: a write there never reaches
    # the host; every path that is the host's own must be refused outright.
    for path in host_paths[2:]:
        assert f"{path} blocked" in out, result
    assert "link blocked" in out, result
    for path in host_paths + [str(host_dir / f"evil-link-{tag}")]:
        assert not os.path.exists(path), f"{path} appeared on the host"


def test_read_secrets(pool):
    harness = os.getpid()
    result = run_hostile(pool, script(f"""
        import os
        import json
        print("ENV", json.dumps(dict(os.environ)), flush=True)
        for path in ("/proc/self/environ", f"/proc/{{os.getppid()}}/environ", "/proc/1/environ",
                     "/proc/{harness}/environ", "/etc/shadow", "/root", {str(PROJECT_ROOT)!r}):
            try:
                data = open(path, "rb").read() if "environ" in path or "shadow" in path \\
                    else os.listdir(path)
                print(path, "READ", data, flush=True)
            except OSError as err:
                print(path, "blocked", type(err).__name__, flush=True)
    """))
    everything = result["stdout"] + result["stderr"]
    assert SECRET_VALUE not in everything, result
    assert "READ" not in result["stdout"], result
    env = json.loads(lines(result)[0][len("ENV "):])
    assert set(env) <= {"PATH", "HOME", "TMPDIR", "LANG"}, env
