"""Ending a job from the harness's side, without relying on its fork server.

The server kills a job's processes itself when the job ends. When the harness has to end a
job while its server is busy (Ctrl-C) or after the server died, killing the server is not
enough: ``PR_SET_PDEATHSIG`` covers only the server's own child, so the candidate's children
would outlive both, and hold the server's memory cgroup so that it cannot be removed. So the
harness kills the job first: every process that descends from the server (a subreaper: the
job's orphans come back to it), that is in the job's process group, that runs as the slot's
uid, or that is in the server's memory cgroup. Each is signalled through a pidfd after
checking again that it is still one of these, so a pid reused meanwhile is never hit. (A
process group's id cannot be reused while the group has a member; a job whose whole group
is gone leaves nothing to kill.)
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    """What identifies one job's processes; any field may be unknown (None)."""

    server_pid: int | None = None
    pgid: int | None = None
    uid: int | None = None
    cgroup: str | None = None  # the server's memory cgroup directory

    def owns(self, pid: int, table: dict[int, tuple[int, int, int]], cgroup: set[int]) -> bool:
        _, pgrp, uid = table[pid]
        return (pid in cgroup or pgrp == self.pgid or uid == self.uid
                or _descends(pid, self.server_pid, table))


def kill_job(job: Job, wait_s: float = 2.0) -> list[int]:
    """SIGKILL the job's processes until none is left, or ``wait_s`` passed; those left."""
    deadline = time.monotonic() + wait_s
    _cgroup_kill(job.cgroup)
    spared = {job.server_pid, os.getpid()}  # the server goes after its job, by its owner
    while True:
        table, members = _processes(), _cgroup_members(job.cgroup)
        doomed = [pid for pid in table if pid not in spared and job.owns(pid, table, members)]
        if not doomed or time.monotonic() >= deadline:
            return doomed
        for pid in doomed:
            _kill_checked(pid, job, table)
        time.sleep(0.01)


def remove_cgroup(path: str, wait_s: float = 2.0) -> bool:
    """Remove an emptied cgroup directory; processes just killed may still be leaving it."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            os.rmdir(path)
            return True
        except FileNotFoundError:
            return True
        except OSError:  # EBUSY until the last member is gone
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)


def _kill_checked(pid: int, job: Job, table: dict[int, tuple[int, int, int]]) -> None:
    try:
        handle = os.pidfd_open(pid)
    except OSError:
        return  # gone already
    try:
        # The pidfd pins the process: if that pid still belongs to the job now, this is it.
        row = _process(pid)
        if row is not None and job.owns(pid, {**table, pid: row}, _cgroup_members(job.cgroup)):
            signal.pidfd_send_signal(handle, signal.SIGKILL)
    except OSError:
        pass
    finally:
        os.close(handle)


def _descends(pid: int, ancestor: int | None, table: dict[int, tuple[int, int, int]]) -> bool:
    seen = set()
    while ancestor is not None and pid in table and pid not in seen:
        seen.add(pid)
        pid = table[pid][0]
        if pid == ancestor:
            return True
    return False


def _processes() -> dict[int, tuple[int, int, int]]:
    """Every live (not zombie) process: pid -> (parent pid, process group, real uid)."""
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (row := _process(int(name))) is not None:
            table[int(name)] = row
    return table


def _process(pid: int) -> tuple[int, int, int] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            # The command name may hold spaces and parentheses; the fields after it cannot.
            fields = stat.read().rsplit(b")", 1)[1].split()
        with open(f"/proc/{pid}/status", "rb") as status:
            uid = next(int(line.split()[1]) for line in status if line.startswith(b"Uid:"))
    except (OSError, IndexError, ValueError, StopIteration):
        return None
    if fields[0] in (b"Z", b"X"):
        return None
    return int(fields[1]), int(fields[2]), uid


def _cgroup_kill(path: str | None) -> None:
    """cgroup v2 kills every member at once, racing no fork; v1 lists them (below)."""
    if path is None:
        return
    try:
        with open(os.path.join(path, "cgroup.kill"), "w") as kill:
            kill.write("1")
    except OSError:
        pass


def _cgroup_members(path: str | None) -> set[int]:
    if path is None:
        return set()
    try:
        with open(os.path.join(path, "cgroup.procs")) as procs:
            return {int(line) for line in procs if line.strip()}
    except (OSError, ValueError):
        return set()
