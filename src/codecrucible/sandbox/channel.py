"""The answer channel: the descriptor a candidate's run writes its frames to, the one its job (and
an episode's observations) arrives on, and a write that never loses bytes. Used by the runner
and by checked programs, both in the sandboxed child."""

from __future__ import annotations

import os

RESULT_FD = 3
# The job arrives on this descriptor (``RESULT_FD + 1`` holds Landlock's ruleset); an episode
# (``runner._run_episode``) keeps reading its observations there.
JOB_FD = RESULT_FD + 2


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
