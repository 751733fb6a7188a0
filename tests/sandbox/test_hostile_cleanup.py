"""Hostile programs: what a job leaves behind (deep trees, grandchildren, dead servers)."""

from __future__ import annotations

import collections
import fcntl
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest
from sandbox.hostile import (
    IS_ROOT,
    LINUX_ONLY,
    TESTS,
    TRIVIAL,
    TRIVIAL_TESTS,
    calls,
    judged,
    leftover_processes,
    process_table,
    run_calls,
    sandbox_uids,
    script,
)

from codecrucible.sandbox import SandboxPool, cleanup
from codecrucible.sandbox.verdict import script_verdict

pytestmark = LINUX_ONLY

DEEP_TREE = """
import os
for where in {where!r}:
    os.chdir(where)
    for level in range(2000):
        os.mkdir("d")
        os.chdir("d")
        if level % 500 == 0:
            open("f", "w").write("x")
            os.symlink({outside!r}, "out")  # clean-up must not follow it
            os.mkdir("locked", 0)   # (seccomp denies chmod: modes come at creation)
            os.close(os.open("unreadable", os.O_CREAT | os.O_WRONLY, 0))
def f(x):
    return x * x + 7
"""


def test_deep_tree_is_cleaned_up(pool, host_dir):
    keep = host_dir / "keep"
    keep.write_text("keep me")
    where = [".", "/dev/shm"] if IS_ROOT else ["."]
    result, outcomes = run_calls(pool, DEEP_TREE.format(where=where, outside=str(host_dir)))
    assert outcomes == ["ok"] * len(TESTS), result   # the verdict stands
    assert "cleanup" not in result, result
    assert keep.read_text() == "keep me"
    for server in pool.servers:
        workroot = server.info["workroot"]
        if server.info["private_workroot"]:  # the server's own /tmp, seen through /proc
            workroot = f"/proc/{server.process.pid}/root{workroot}"
            assert os.listdir(f"/proc/{server.process.pid}/root/dev/shm") == []
        assert os.listdir(workroot) == [], workroot


def test_remove_tree_deeper_than_any_recursion(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("keep me")
    # On tmpfs where there is one, as the sandbox's work roots are (a disk can take ms per rmdir)
    top = Path(tempfile.mkdtemp(dir="/dev/shm" if os.access("/dev/shm", os.W_OK) else tmp_path))
    here = os.getcwd()
    try:
        os.chdir(top)
        for _ in range(5000):
            os.mkdir("d")
            os.chdir("d")
        os.symlink(outside, "link")
        open("file", "w").close()
    finally:
        os.chdir(here)
    assert cleanup.remove_tree(str(top)) is None
    assert not top.exists() and (outside / "keep").read_text() == "keep me"


_FS_IOC_GETFLAGS, _FS_IOC_SETFLAGS, _FS_IMMUTABLE_FL = 0x80086601, 0x40086602, 0x10


def _set_immutable(path: str, on: bool) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        flags = struct.unpack("i", fcntl.ioctl(fd, _FS_IOC_GETFLAGS, b"\0" * 4))[0]
        flags = flags | _FS_IMMUTABLE_FL if on else flags & ~_FS_IMMUTABLE_FL
        fcntl.ioctl(fd, _FS_IOC_SETFLAGS, struct.pack("i", flags))
    finally:
        os.close(fd)


def test_what_cannot_be_removed_still_gives_a_verdict(scratch_pool):
    """A file nobody can remove (the harness makes it immutable while the job runs): the job
    still gets its verdict, and the next job runs on a fresh server."""
    if not IS_ROOT or not scratch_pool.servers[0].info["private_workroot"]:
        pytest.skip("reaching into the server's private work root needs root")
    server = scratch_pool.servers[0]
    root = f"/proc/{server.process.pid}/root{server.info['workroot']}"
    job = script("""
        import os, time
        open("stuck", "w").write("x")
        for _ in range(400):
            if os.path.exists("go"):
                break
            time.sleep(0.02)
        print("done", flush=True)
    """, wall_s=20)
    made: list[str] = []

    def freeze():
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not made:
            for run in os.listdir(root):
                stuck = os.path.join(root, run, "stuck")
                if os.path.exists(stuck):
                    try:
                        _set_immutable(stuck, True)
                        made.append(stuck)
                    except OSError as err:
                        made.append(f"unsupported: {err}")
                    Path(root, run, "go").write_text("")
            time.sleep(0.02)

    helper = threading.Thread(target=freeze)
    helper.start()
    result = scratch_pool.run(job)
    helper.join()
    if made and made[0].startswith("unsupported"):
        pytest.skip(f"this tmpfs has no immutable flag: {made[0]}")
    assert made, "the job never created its file"
    assert script_verdict(result, job["limits"])["status"] == "passed", result
    assert "stuck" in result["cleanup"], result
    assert judged(scratch_pool.run(TRIVIAL), TRIVIAL_TESTS) == ["ok"]
    assert scratch_pool.servers[0].process.pid != server.process.pid, "not a fresh server"


GRANDCHILD = """
import os, time
r, w = os.pipe()
if os.fork() == 0:
    if os.fork() == 0:
        os.write(w, b"up")
        time.sleep(1000)          # the grandchild: no death signal covers it
    os._exit(0)
os.read(r, 2)                     # the grandchild runs
"""


def _wait_for_processes(uids: set[int], count: int, seconds: float = 10.0) -> list[str]:
    deadline = time.monotonic() + seconds
    while len(found := leftover_processes(uids)) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return found


def _descendants(pid: int) -> list[tuple[int, int]]:
    """(pid, uid) of the live descendants of ``pid``."""
    table = process_table()
    found, frontier = [], {pid}
    while frontier:
        frontier = {p for p, row in table.items() if row[0] in frontier
                    and not row[2].startswith("Z")}
        found += [(p, table[p][1]) for p in frontier]
    return found


def _assert_nothing_left(uids: set[int], cgroups: list[str]) -> None:
    deadline = time.monotonic() + 3.0
    while (left := leftover_processes(uids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"sandbox processes outlived the interrupted pool: {left}"
    assert not [c for c in cgroups if os.path.exists(c)], cgroups


def test_interrupted_pool_kills_the_jobs_grandchildren(scratch_pool):
    """Ctrl-C while a job runs (KeyboardInterrupt inside ``imap``): the job's whole process
    group and memory cgroup go, not only its server."""
    if not IS_ROOT:
        pytest.skip("the job's processes are told apart by their sandbox uid")
    uids = sandbox_uids(scratch_pool)
    cgroups = [s.info["cgroup"] for s in scratch_pool.servers if s.info["cgroup"]]
    code = GRANDCHILD + """
def f(x):
    os.write(3, b"[")             # a partial answer: the harness hears from the job
    time.sleep(1000)
"""
    job = calls(code, wall_s=60, cpu_s=60)
    job["test_limits"] = [60.0] * len(TESTS)

    def watch(key, answers):
        if len(leftover_processes(uids)) >= 2:  # the candidate and its grandchild run
            raise KeyboardInterrupt
        return False

    with pytest.raises(KeyboardInterrupt):
        list(scratch_pool.imap([(0, job)], watch))
    _assert_nothing_left(uids, cgroups)
    assert judged(scratch_pool.run(TRIVIAL), TRIVIAL_TESTS) == ["ok"]  # a fresh server


def test_closing_a_busy_pool_kills_the_jobs_grandchildren():
    if not IS_ROOT:
        pytest.skip("the job's processes are told apart by their sandbox uid")
    sandbox = SandboxPool(slots=1)
    try:
        uids = sandbox_uids(sandbox)
        cgroups = [s.info["cgroup"] for s in sandbox.servers if s.info["cgroup"]]
        sandbox.servers[0].submit(script(GRANDCHILD + "time.sleep(1000)\n", wall_s=60))
        assert len(_wait_for_processes(uids, 2)) >= 2, "the job never started"
        os.kill(sandbox.servers[0].process.pid, signal.SIGSTOP)  # and its server is stuck
    finally:
        sandbox.close()
    _assert_nothing_left(uids, cgroups)


def test_a_server_that_dies_mid_job_leaves_nothing(scratch_pool):
    if not IS_ROOT:
        pytest.skip("the job's processes are told apart by their sandbox uid")
    uids = sandbox_uids(scratch_pool)
    cgroups = [s.info["cgroup"] for s in scratch_pool.servers if s.info["cgroup"]]
    server = scratch_pool.servers[0]
    killer = threading.Thread(target=lambda: (
        _wait_for_processes(uids, 2), os.kill(server.process.pid, signal.SIGKILL)))
    killer.start()
    result = scratch_pool.run(script(GRANDCHILD + "time.sleep(1000)\n", wall_s=60))
    killer.join()
    assert "sandbox_error" in result, result
    _assert_nothing_left(uids, cgroups)


def test_ctrl_c_on_crucible_eval_leaves_nothing(tmp_path, data_dir):
    if not IS_ROOT:
        pytest.skip("the job's processes are told apart by their sandbox uid")
    sample = GRANDCHILD + "time.sleep(1000)\ndef add(x, y):\n    return x + y\n"
    samples = tmp_path / "s.jsonl"
    samples.write_text(json.dumps({"task_id": "HumanEval/53",
                                   "solution": textwrap.dedent(sample)}) + "\n")
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("crucible")), "eval", str(samples), "-b",
         "humaneval", "-j", "1", "--load", "100", "--store", str(tmp_path / "s.db")],
        env=dict(os.environ, CRUCIBLE_DATA_DIR=str(data_dir)), start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # A suite started in the background inherits an ignored SIGINT; a terminal would not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline, running = time.monotonic() + 120, []
        while len(running) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)  # the candidate and its grandchild: one sandbox uid, below crucible
            found = [(p, uid) for p, uid in _descendants(proc.pid) if uid != os.geteuid()]
            by_uid = collections.Counter(uid for _, uid in found)  # not a calibration's child
            running = [(p, uid) for p, uid in found if by_uid[uid] >= 2]
        assert len(running) >= 2, "the sample never started"
        uids = {uid for _, uid in running}
        cgroups = _memory_cgroups_of(running[0][0])
        os.killpg(proc.pid, signal.SIGINT)                      # Ctrl-C in its terminal
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and "interrupted" in stderr, stderr
    _assert_nothing_left(uids, cgroups)


def _memory_cgroups_of(pid: int) -> list[str]:
    """The sandbox cgroup directories ``pid`` is in (their names are unique to a server)."""
    names = {line.rsplit("/", 1)[-1] for line in Path(f"/proc/{pid}/cgroup").read_text()
             .splitlines() if "/crucible-sandbox-" in line}
    return [path for path, _, _ in os.walk("/sys/fs/cgroup") if os.path.basename(path) in names]
