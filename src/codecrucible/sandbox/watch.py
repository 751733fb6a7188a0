"""The server's side of one execution (``Watch``): deadlines, output caps, forwarding answers."""

from __future__ import annotations

import os
import select
import signal
import time

from codecrucible.sandbox.frames import read_frame, write_chunk
from codecrucible.sandbox.runner import LINE_BYTES, answer_lines

_TAIL = 4096


class Watch:
    """The server's side of one execution: deadlines, output caps, and forwarding answers.

    Answers (one line per test on the child's result pipe) are forwarded to the harness as they
    arrive, in raw chunks (``write_chunk``); the harness may answer ``{"stop": true}`` once it
    has seen a wrong answer, and the run ends there. Only complete lines count: a test's window
    opens when the previous answer line ends, so no trickle of bytes re-arms a deadline, and
    nothing re-arms the hard deadline. A line longer than ``line_cap`` ends the run
    (``output_capped``); lines beyond those the runner writes are not forwarded.
    """

    def __init__(self, job, pid, started, out_r, err_r, res_r, proto_in, proto_out):
        limits = job.get("limits", {})
        self.pid = pid
        self.proto_in, self.proto_out = proto_in, proto_out
        self.output_cap = int(limits.get("output_bytes", 1 << 20))
        self.result_cap = int(limits.get("result_bytes", 64 << 20))
        self.max_lines = answer_lines(job)
        self.line_cap = int(limits.get("line_bytes", self.result_cap if self.max_lines is None
                                       else LINE_BYTES))
        self.line_bytes = 0  # of the line not yet ended
        # Loading the program has its own allowance, ended by the runner's "loaded" line; then
        # each test has its own window, opened when the previous answer line ends. A program
        # stuck in its first test is stopped after that test's window, not the load allowance.
        # The hard deadline caps the sum.
        self.test_limits = job.get("test_limits") or []
        self.loading = job.get("kind") in ("calls", "profile")
        self.deadline = started + float(limits.get("load_s", limits.get("wall_s", 10)))
        self.hard_deadline = started + float(limits.get("wall_s", 3600))
        self.streams = {out_r: bytearray(), err_r: bytearray()}
        self.res_r = res_r
        self.res_bytes = 0
        self.output_bytes = 0
        self.answers = 0
        self.timed_out = self.output_capped = self.stopped_early = False
        self.pidfd = os.pidfd_open(pid)

    def loop(self) -> None:
        open_fds = [*self.streams, self.res_r, self.pidfd, self.proto_in]
        exited = False
        while open_fds:
            now = time.monotonic()
            deadline = min(self.deadline, self.hard_deadline)
            if now >= deadline:
                self.timed_out = True
                return
            ready, _, _ = select.select(open_fds, [], [], deadline - now)
            for fd in ready:
                if fd == self.pidfd:
                    open_fds.remove(fd)
                    exited = True
                    continue
                if fd == self.proto_in:
                    if _is_stop(read_frame(self.proto_in)):
                        self.stopped_early = True
                        return
                    continue
                data = os.read(fd, 1 << 16)
                if not data:
                    open_fds.remove(fd)
                    continue
                if fd == self.res_r:
                    if not self._on_results(data):
                        return
                elif not self._on_output(fd, data):
                    return
            if exited:
                # The child is gone; whatever its descendants still hold open does not count.
                self._drain(open_fds)
                return

    def _drain(self, fds: list[int]) -> None:
        kill_group(self.pid)
        for fd in (*self.streams, self.res_r):
            if fd not in fds:
                continue
            os.set_blocking(fd, False)
            try:
                data = os.read(fd, 1 << 20)
            except BlockingIOError:
                continue
            if data:
                if fd == self.res_r:
                    self._on_results(data)
                else:
                    self._on_output(fd, data)

    def _on_output(self, fd: int, data: bytes) -> bool:
        self.output_bytes += len(data)
        tail = self.streams[fd]
        tail += data
        del tail[:-_TAIL]
        if self.output_bytes > self.output_cap:
            self.output_capped = True
            return False
        return True

    def _on_results(self, data: bytes) -> bool:
        self.res_bytes += len(data)
        if self.res_bytes > self.result_cap or not self._lines_fit(data):
            self.output_capped = True
            return False
        if self.loading:
            end = data.find(b"\n")
            if end < 0:
                return True  # still loading: the marker line is not complete yet
            data = data[end + 1:]
            self.loading = False
            self.deadline = time.monotonic() + self.test_limits[0] if self.test_limits \
                else self.hard_deadline
        ended = data.count(b"\n")
        room = None if self.max_lines is None else self.max_lines - self.answers
        wanted = data if room is None or ended < room else _first_lines(data, room)
        if wanted:
            write_chunk(self.proto_out, wanted)
        self.answers += ended
        if not self.test_limits or not ended:
            return True  # a partial line opens no window
        if self.answers >= len(self.test_limits):
            self.stopped_early = True  # every test answered: nothing left to wait for
            return False
        self.deadline = time.monotonic() + self.test_limits[self.answers]
        return True

    def _lines_fit(self, data: bytes) -> bool:
        """Whether every line, counting what came before ``data``, is within ``line_cap``.
        Only the first and the last line of a chunk can be longer than the chunk itself."""
        first = data.find(b"\n")
        if first < 0:
            self.line_bytes += len(data)
            return self.line_bytes <= self.line_cap
        longest = self.line_bytes + first
        if len(data) > self.line_cap:
            longest = max(longest, *map(len, data.split(b"\n")))
        self.line_bytes = len(data) - data.rfind(b"\n") - 1
        return max(longest, self.line_bytes) <= self.line_cap

    def report(self, status: int, usage, wall: float) -> dict:
        exit_code = os.waitstatus_to_exitcode(status) if status is not None else None
        return {
            "exit": exit_code, "timed_out": self.timed_out, "output_capped": self.output_capped,
            "stopped_early": self.stopped_early,
            "stdout": bytes(self.streams[min(self.streams)]).decode("utf-8", "replace"),
            "stderr": bytes(self.streams[max(self.streams)]).decode("utf-8", "replace"),
            "wall_s": round(wall, 6),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 6) if usage else None,
            "max_rss_kb": usage.ru_maxrss if usage else None,
        }


def _first_lines(data: bytes, count: int) -> bytes:
    """``data`` up to the end of its ``count``-th line (it has at least ``count``)."""
    end = -1
    for _ in range(max(count, 0)):
        end = data.find(b"\n", end + 1)
    return data[:end + 1]


def _is_stop(message: dict | None) -> bool:
    if message is None:
        raise EOFError("the harness closed the connection")
    return bool(message.get("stop"))


def kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
