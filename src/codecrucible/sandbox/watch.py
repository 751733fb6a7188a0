"""The server's side of one execution (``Watch``): deadlines, output caps, forwarding answers,
and an episode's observations."""

from __future__ import annotations

import os
import select
import signal
import time

from codecrucible.sandbox.frames import encode_frame, read_frame, write_chunk
from codecrucible.sandbox.runner import EPISODE_LINE_BYTES, LINE_BYTES, answer_lines

_TAIL = 4096
OBSERVATION_BYTES = 64 << 10  # the largest observation frame forwarded to an episode


class Watch:
    """The server's side of one execution: deadlines, output caps, and forwarding answers.

    Answers (one line per test on the child's result pipe) are forwarded to the harness as they
    arrive, in raw chunks (``write_chunk``); the harness may answer ``{"stop": true}`` once it
    has seen a wrong answer, and the run ends there. Only complete lines count: a test's window
    opens when the previous answer line ends, so no trickle of bytes re-arms a deadline, and
    nothing re-arms the hard deadline. A line longer than ``line_cap`` ends the run
    (``output_capped``); lines beyond those the runner writes are not forwarded.

    An episode (``job_w``: the child's job pipe, kept open) is driven by the harness: each
    ``{"observe": text}`` it sends is forwarded to the child, never blocking (what the pipe
    does not take yet waits in ``outbox``), and opens a step window of ``step_s`` that its
    answer line closes; waiting for the harness counts against the hard deadline alone. One
    observation at a time: a second before the first is answered, or one over
    ``OBSERVATION_BYTES``, is refused, and so is an answer nobody asked for; each ends the
    run, saying why (``refused``).
    """

    def __init__(self, job, pid, started, out_r, err_r, res_r, proto_in, proto_out,
                 job_w=None):
        limits = job.get("limits", {})
        self.pid = pid
        self.proto_in, self.proto_out = proto_in, proto_out
        self.output_cap = int(limits.get("output_bytes", 1 << 20))
        self.result_cap = int(limits.get("result_bytes", 64 << 20))
        self.max_lines = answer_lines(job)
        self.job_w = job_w
        default_line = EPISODE_LINE_BYTES if job_w is not None else \
            self.result_cap if self.max_lines is None else LINE_BYTES
        self.line_cap = int(limits.get("line_bytes", default_line))
        self.line_bytes = 0  # of the line not yet ended
        # Loading the program has its own allowance, ended by the runner's "loaded" line; then
        # each test has its own window, opened when the previous answer line ends. A program
        # stuck in its first test is stopped after that test's window, not the load allowance.
        # The hard deadline caps the sum.
        self.test_limits = job.get("test_limits") or []
        self.loading = job.get("kind") in ("calls", "profile", "episode")
        self.step_s = float(job.get("step_s", 1.0))
        self.outbox = bytearray()  # observation bytes the child's pipe has not taken yet
        self.asked = 0  # observations forwarded
        self.refused: str | None = None
        if job_w is not None:
            os.set_blocking(job_w, False)
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
            sending = [self.job_w] if self.outbox and not self.loading else []
            ready, writable, _ = select.select(open_fds, sending, [], deadline - now)
            if writable:
                self._send_observation()
            for fd in ready:
                if fd == self.pidfd:
                    open_fds.remove(fd)
                    exited = True
                    continue
                if fd == self.proto_in:
                    if not self._on_message(read_frame(self.proto_in)):
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

    def _on_message(self, message: dict | None) -> bool:
        """A message from the harness while the job runs: stop it, or (an episode) forward
        the next observation; False when the run ends here."""
        if message is None:
            raise EOFError("the harness closed the connection")
        if message.get("stop"):
            self.stopped_early = True
            return False
        if self.job_w is None or "observe" not in message:
            return True
        if not isinstance(message["observe"], str):
            self.refused = "an observation that is not wire text"
            return False
        frame = encode_frame({"observe": message["observe"]})
        if len(frame) > OBSERVATION_BYTES:
            self.refused = f"an observation of {len(frame)} bytes (the cap is " \
                f"{OBSERVATION_BYTES})"
            return False
        if self.asked > self.answers:
            self.refused = "an observation sent before the last one was answered"
            return False
        self.outbox += frame
        self.asked += 1
        if not self.loading:
            self.deadline = time.monotonic() + self.step_s
            self._send_observation()  # the pipe is almost always empty: no select first
        return True

    def _send_observation(self) -> None:
        """Write what the child's job pipe takes now of the observation waiting for it."""
        try:
            del self.outbox[:os.write(self.job_w, self.outbox)]
        except BlockingIOError:
            pass
        except BrokenPipeError:  # the child is gone, or closed it: its end is seen apart
            self.outbox.clear()

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
            if self.job_w is not None:
                self.deadline = self._step_deadline()
            else:
                self.deadline = time.monotonic() + self.test_limits[0] if self.test_limits \
                    else self.hard_deadline
        if self.job_w is not None:
            return self._on_actions(data)
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

    def _on_actions(self, data: bytes) -> bool:
        """An episode's answer bytes: forwarded up to the end of the last line asked for; an
        answered observation closes its step window."""
        room = self.asked - self.answers
        wanted = _first_lines(data, room) if data.count(b"\n") >= room else data
        if wanted:
            write_chunk(self.proto_out, wanted)
        ended = wanted.count(b"\n")
        self.answers += ended
        if len(wanted) < len(data):
            self.refused = "an answer nobody asked for"
            return False
        if ended:
            self.deadline = self._step_deadline()
        return True

    def _step_deadline(self) -> float:
        """A step's window while an observation waits for its answer, else the hard deadline
        (waiting for the harness)."""
        return time.monotonic() + self.step_s if self.asked > self.answers \
            else self.hard_deadline

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
        refused = {"refused": self.refused} if self.refused else {}
        return refused | {
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


def kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
