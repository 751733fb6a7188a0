"""The forked child of a fork server: confined in order, then made to run its job.

A child is forked before its job arrives (``server.py``: the next one while the harness is
busy with the last result) and confines itself as far as no job is needed: new session, memory
cgroup, the job-independent resource limits, death with the server, stdio rewired and every
other descriptor closed, no new privileges, Landlock. Then it waits for its job on a pipe from
the server (a child that never gets one exits at the pipe's end without running anything;
an episode's child keeps the pipe and reads its observations there),
still as the server's user and with no work directory, so that nothing of it is a
candidate's until a job arrives; and finishes: the work directory the server made for the job,
the job's resource limits, the slot's uid (and death with the server again, which the uid
change clears), the performance counter (before seccomp denies it), seccomp, a scrubbed
environment; only then the job's code. Any failure before that point exits
with ``SETUP_FAILED`` before a line of the code runs (fail closed).
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import resource
import signal
import sys
import traceback

from codecrucible.sandbox import counters, landlock, seccomp
from codecrucible.sandbox.channel import JOB_FD, RESULT_FD
from codecrucible.sandbox.frames import read_frame
from codecrucible.sandbox.runner import RUNNERS

SETUP_FAILED = 121
_PR_SET_PDEATHSIG = 1
WORKDIR_KEY = "_workdir"  # the server's addition to a job it hands its child
_SPARE_FDS = 32  # where descriptors wait while stdio is rewired (below RLIMIT_NOFILE)
_libc = ctypes.CDLL(None, use_errno=True)


def run_child(server, out_w: int, err_w: int, res_w: int, job_r: int) -> None:
    try:
        server_pid = os.getppid()
        _prepare(server, server_pid, out_w, err_w, res_w, job_r)
        job = read_frame(JOB_FD)
        if job is None:  # the server ended, or no longer needs this child: nothing ran
            os._exit(SETUP_FAILED)
        workdir = job.pop(WORKDIR_KEY)
        job = server.expand(job)
        if job.get("kind") != "episode":  # an episode reads its observations there
            os.close(JOB_FD)
        _finish(server, server_pid, job, workdir)
    except BaseException as err:  # fail closed: no user code runs after a failed setup
        try:
            os.write(2, f"sandbox setup failed: {err!r}\n".encode())
        finally:
            os._exit(SETUP_FAILED)
    code = 0
    try:
        RUNNERS[job.get("kind", "script")](job)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def _prepare(server, server_pid: int, out_w: int, err_w: int, res_w: int, job_r: int
             ) -> None:
    """Every confinement step that needs no job, in order."""
    os.setsid()
    if server.memcg is not None:
        server.memcg.join(os.getpid())
    _lower(resource.RLIMIT_NOFILE, 64)
    _lower(resource.RLIMIT_CORE, 0)
    _die_with(server_pid)
    null = os.open("/dev/null", os.O_RDWR)
    # Out of the way of every target first, so that no dup2 below overwrites a source.
    job_fd = fcntl.fcntl(job_r, fcntl.F_DUPFD, _SPARE_FDS)
    ruleset = None if server.ruleset_fd is None else \
        fcntl.fcntl(server.ruleset_fd, fcntl.F_DUPFD, _SPARE_FDS)
    for target, source in ((0, null), (1, out_w), (2, err_w), (RESULT_FD, res_w),
                           (JOB_FD, job_fd)):
        os.dup2(source, target)
    if ruleset is not None:
        ruleset = os.dup2(ruleset, RESULT_FD + 1)
    else:
        os.closerange(RESULT_FD + 1, JOB_FD)
    os.closerange(JOB_FD + 1, 1 << 16)
    seccomp.set_no_new_privs()
    if ruleset is not None:
        landlock.restrict_self(ruleset)
        os.close(ruleset)


def _lower(which: int, soft: int, hard: int | None = None) -> None:
    """Set a limit, never above the hard limit the child has."""
    hard = soft if hard is None else hard
    current = resource.getrlimit(which)[1]
    if current != resource.RLIM_INFINITY:
        soft, hard = min(soft, current), min(hard, current)
    resource.setrlimit(which, (soft, hard))


def _die_with(server_pid: int) -> None:
    """Die with the server, and make sure it is alive."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != server_pid:
        os._exit(SETUP_FAILED)


def _finish(server, server_pid: int, job: dict, workdir: str) -> None:
    """The steps that need the job: its work directory, its limits, the slot's uid, the
    performance counter, seccomp, the environment."""
    os.chdir(workdir)
    limits = job.get("limits", {})
    cpu = int(limits.get("cpu_s", 10))
    memory = int(limits.get("memory_mb", 1024)) << 20
    _lower(resource.RLIMIT_AS, server.base_vm + memory)
    _lower(resource.RLIMIT_CPU, cpu, cpu + 1)
    _lower(resource.RLIMIT_FSIZE, int(limits.get("file_mb", 16)) << 20)
    _lower(resource.RLIMIT_NPROC, int(limits.get("processes", 32)))
    if server.uid is not None:
        os.setgroups([])
        os.setresgid(server.uid, server.uid, server.uid)
        os.setresuid(server.uid, server.uid, server.uid)
        _die_with(server_pid)  # again: the uid change clears it
    if job.get("counter"):  # before seccomp, which denies perf_event_open
        job["counter_fd"], job["counter_error"] = counters.try_open(job["counter"])
    if server.seccomp is not None:
        seccomp.load(server.seccomp)
    os.environ.clear()
    os.environ.update(HOME=workdir, TMPDIR=workdir, PATH="/usr/bin:/bin", LANG="C.UTF-8")
    if "tempfile" in sys.modules:  # a preloaded library made tempfile cache the server's /tmp
        sys.modules["tempfile"].tempdir = None
