"""Where a pool's ``imap`` takes its jobs from: an ``Inbox`` that other threads fill while it
runs, or a plain iterable seen through the same interface."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable


class Inbox:
    """Jobs handed to a running ``imap`` from other threads. ``put`` wakes the pool's loop
    through a pipe, so the loop never blocks waiting for work while servers have results."""

    def __init__(self):
        self._jobs: deque[tuple[object, dict]] = deque()
        self._closed = False
        self.abandoned = False
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)

    def put(self, key: object, job: dict) -> None:
        self._jobs.append((key, job))  # deque appends and pops are thread-safe
        os.write(self._write, b"j")

    def close(self) -> None:
        self._closed = True
        os.write(self._write, b"c")

    def abandon(self) -> None:
        """Drop the jobs not started and end the ``imap`` reading this now: its running jobs
        are killed with their servers (Ctrl-C; their results are not wanted any more)."""
        self.abandoned = True
        self._jobs.clear()
        self.close()

    def take(self) -> tuple[object, dict] | None:
        try:
            return self._jobs.popleft()
        except IndexError:
            return None

    def finished(self) -> bool:
        return self._closed and not self._jobs

    def fileno(self) -> int:
        return self._read

    def drain_wakeups(self) -> None:
        try:
            while os.read(self._read, 4096):
                pass
        except BlockingIOError:
            pass

    def release(self) -> None:
        os.close(self._read)
        os.close(self._write)


class Iterated:
    """A plain iterable of jobs, seen through the inbox's interface."""

    def __init__(self, jobs: Iterable[tuple[object, dict]]):
        self._jobs = iter(jobs)
        self._done = False

    def take(self) -> tuple[object, dict] | None:
        if self._done:
            return None
        try:
            return next(self._jobs)
        except StopIteration:
            self._done = True
            return None

    def finished(self) -> bool:
        return self._done

    def fileno(self) -> None:
        return None

    abandoned = False

    def drain_wakeups(self) -> None:
        pass
