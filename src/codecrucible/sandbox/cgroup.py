"""A memory cgroup per fork server, so the memory limit covers every process of a run.

RLIMIT_AS caps one process; a program that forks N children would get N times the limit. A
cgroup caps them together. Only created inside the cgroup the server already runs in (the
host's other cgroups are not ours), on cgroup v2 (``memory.max``) or v1
(``memory.limit_in_bytes``), and only where the server may write there (root, or a delegated
subtree). Otherwise ``create`` returns None with the reason.

The group is used through directory descriptors opened when it is created: the server then
moves into a filesystem view (view.py) where /sys does not exist.
"""

from __future__ import annotations

import os


class MemoryCgroup:
    def __init__(self, path: str, version: int):
        self.path = path
        self.version = version
        self._limit_file = "memory.max" if version == 2 else "memory.limit_in_bytes"
        self._limit: int | None = None
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
        self._dir = os.open(path, flags)
        self._parent = os.open(os.path.dirname(path), flags)

    def set_limit(self, limit_bytes: int) -> None:
        if limit_bytes != self._limit:
            _write(self._dir, self._limit_file, str(limit_bytes))
            self._limit = limit_bytes

    def join(self, pid: int) -> None:
        _write(self._dir, "cgroup.procs", str(pid))

    def oom_kills(self) -> int:
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        try:
            fd = os.open(name, os.O_RDONLY | os.O_CLOEXEC, dir_fd=self._dir)
            with open(fd) as handle:
                for line in handle:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        except OSError:
            pass
        return 0

    def remove(self) -> None:
        try:
            os.rmdir(os.path.basename(self.path), dir_fd=self._parent)
        except OSError:
            pass
        for fd in (self._dir, self._parent):
            os.close(fd)


def create(name: str) -> tuple[MemoryCgroup | None, str]:
    """A child cgroup of our own memory cgroup, or None and why not."""
    for version, mount in _memory_mounts():
        own = _own_path(version)
        if own is None:
            continue
        parent = os.path.join(mount, own.lstrip("/"))
        path = os.path.join(parent, name)
        try:
            os.mkdir(path)
        except FileExistsError:
            pass
        except OSError as err:
            return None, f"cannot create a cgroup under {parent} ({err.strerror})"
        group = MemoryCgroup(path, version)
        try:
            group.set_limit(1 << 30)
        except OSError as err:
            group.remove()
            return None, f"cannot set a memory limit in {path} ({err.strerror})"
        return group, f"cgroup v{version} at {path}"
    return None, "no memory cgroup controller is mounted"


def _memory_mounts() -> list[tuple[int, str]]:
    found = []
    try:
        with open("/proc/self/mountinfo") as handle:
            for line in handle:
                fields = line.split()
                separator = fields.index("-")
                fstype, options = fields[separator + 1], fields[separator + 3]
                point = fields[4]
                if fstype == "cgroup" and "memory" in options.split(","):
                    found.append((1, point))
                elif fstype == "cgroup2" and _v2_has_memory(point):
                    found.append((2, point))
    except (OSError, ValueError, IndexError):
        pass
    return sorted(found, reverse=True)  # prefer v2


def _v2_has_memory(point: str) -> bool:
    try:
        with open(os.path.join(point, "cgroup.controllers")) as handle:
            return "memory" in handle.read().split()
    except OSError:
        return False


def _own_path(version: int) -> str | None:
    with open("/proc/self/cgroup") as handle:
        for line in handle:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            if version == 2 and controllers == "":
                return path
            if version == 1 and "memory" in controllers.split(","):
                return path
    return None


def _write(dir_fd: int, name: str, value: str) -> None:
    fd = os.open(name, os.O_WRONLY | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)
