"""Per-thread event counters from Linux ``perf_event_open``, for the efficiency judge.

User-space instructions retired are the most repeatable cost a program has: they do not depend
on what else the machine is doing. They need a hardware performance-monitoring unit, which many
VMs do not expose (``perf_event_open`` then fails with ENOENT), and ``perf_event_paranoid`` at 2
or lower (counting one's own user space). Software events (``task-clock``) work on any kernel
that has perf events, which is how the counting path is tested on a host without a PMU.

A counter counts the thread that opened it, user space only, and not its children. The sandbox
opens it in the child before seccomp is loaded (the filter denies ``perf_event_open``); the
program under test can then only enable, disable and read it.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import platform
import struct

_PERF_TYPE_HARDWARE, _PERF_TYPE_SOFTWARE = 0, 1
EVENTS = {
    "instructions": (_PERF_TYPE_HARDWARE, 1),  # PERF_COUNT_HW_INSTRUCTIONS
    "task-clock": (_PERF_TYPE_SOFTWARE, 1),    # PERF_COUNT_SW_TASK_CLOCK, nanoseconds
}
_SYSCALL = {"x86_64": 298, "aarch64": 241}
_ATTR_SIZE = 128  # PERF_ATTR_SIZE_VER7 and later kernels accept any size they know
_DISABLED, _EXCLUDE_KERNEL, _EXCLUDE_HV = 1 << 0, 1 << 5, 1 << 6
_IOC_ENABLE, _IOC_DISABLE, _IOC_RESET = 0x2400, 0x2401, 0x2403
# read() also returns the time enabled and the time running: when the kernel multiplexes more
# events than the PMU has counters, the count covers only the running part and is scaled up
_READ_TIMES = 1 | 2  # PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING

_libc = ctypes.CDLL(None, use_errno=True)


def open_counter(event: str) -> int:
    """A disabled counter of ``event`` for the calling thread; OSError says why there is none."""
    number = _SYSCALL.get(platform.machine())
    if number is None:
        raise OSError(f"perf_event_open: no syscall number for {platform.machine()}")
    kind, config = EVENTS[event]
    attr = bytearray(_ATTR_SIZE)
    # struct perf_event_attr: type, size, config, sample_period, sample_type, read_format, flags
    struct.pack_into("=IIQQQQQ", attr, 0, kind, _ATTR_SIZE, config, 0, 0, _READ_TIMES,
                     _DISABLED | _EXCLUDE_KERNEL | _EXCLUDE_HV)
    buffer = ctypes.create_string_buffer(bytes(attr), _ATTR_SIZE)
    # pid 0 and cpu -1: this thread, on whichever CPU it runs; no group, no flags
    fd = _libc.syscall(number, buffer, 0, -1, -1, 0)
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"perf_event_open({event}): {os.strerror(err)}")
    return fd


def try_open(event: str) -> tuple[int | None, str | None]:
    """A counter of ``event`` and None, or None and why there is none."""
    try:
        return open_counter(event), None
    except OSError as err:
        return None, str(err.strerror or err)


def unavailable(event: str) -> str | None:
    """Why ``event`` cannot be counted here, or None when it can."""
    fd, why = try_open(event)
    if fd is not None:
        os.close(fd)
    return why


class Counter:
    """``start()`` zeroes and enables the counter; ``stop()`` disables it and returns the
    count since ``start()``."""

    def __init__(self, fd: int):
        self.fd = fd

    def start(self) -> None:
        fcntl.ioctl(self.fd, _IOC_RESET, 0)
        fcntl.ioctl(self.fd, _IOC_ENABLE, 0)

    def stop(self) -> int:
        fcntl.ioctl(self.fd, _IOC_DISABLE, 0)
        value, enabled, running = struct.unpack("=QQQ", os.read(self.fd, 24))
        return value if running in (0, enabled) else round(value * enabled / running)
