"""The forked child of a fork server: confined in order, then made to run its job.

The order matters (see ``server.py``): new session, memory cgroup, work directory, resource
limits, the slot's uid, death with the server, stdio rewired and every other descriptor
closed, no new privileges, Landlock, the performance counter (before seccomp denies it),
seccomp, a scrubbed environment; only then the job's code. Any failure before that point exits
with ``SETUP_FAILED`` before a line of the code runs (fail closed).
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys
import traceback

from codecrucible.sandbox import counters, landlock, seccomp
from codecrucible.sandbox.channel import RESULT_FD
from codecrucible.sandbox.runner import RUNNERS

SETUP_FAILED = 121
_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def run_child(server, job: dict, workdir: str, out_w: int, err_w: int, res_w: int) -> None:
    try:
        _confine(server, job, workdir, out_w, err_w, res_w)
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


def _confine(server, job: dict, workdir: str, out_w: int, err_w: int, res_w: int) -> None:
    server_pid = os.getppid()
    os.setsid()
    if server.memcg is not None:
        server.memcg.join(os.getpid())
    os.chdir(workdir)
    limits = job.get("limits", {})
    cpu = int(limits.get("cpu_s", 10))
    memory = int(limits.get("memory_mb", 1024)) << 20
    for which, value in ((resource.RLIMIT_AS, server.base_vm + memory),
                         (resource.RLIMIT_CPU, (cpu, cpu + 1)),
                         (resource.RLIMIT_FSIZE, int(limits.get("file_mb", 16)) << 20),
                         (resource.RLIMIT_NOFILE, 64),
                         (resource.RLIMIT_NPROC, int(limits.get("processes", 32))),
                         (resource.RLIMIT_CORE, 0)):
        soft, hard = value if isinstance(value, tuple) else (value, value)
        resource.setrlimit(which, (soft, hard))
    if server.uid is not None:
        os.setgroups([])
        os.setresgid(server.uid, server.uid, server.uid)
        os.setresuid(server.uid, server.uid, server.uid)
    # After the uid change, which clears it: die with the server, and make sure it is alive.
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != server_pid:
        os._exit(SETUP_FAILED)
    null = os.open("/dev/null", os.O_RDWR)
    for target, source in ((0, null), (1, out_w), (2, err_w), (RESULT_FD, res_w)):
        os.dup2(source, target)
    ruleset = None
    if server.ruleset_fd is not None:
        ruleset = os.dup2(server.ruleset_fd, RESULT_FD + 1)
    os.closerange(RESULT_FD + 1 if ruleset is None else RESULT_FD + 2, 1 << 16)
    seccomp.set_no_new_privs()
    if ruleset is not None:
        landlock.restrict_self(ruleset)
        os.close(ruleset)
    if job.get("counter"):  # before seccomp, which denies perf_event_open
        job["counter_fd"], job["counter_error"] = counters.try_open(job["counter"])
    if server.seccomp is not None:
        seccomp.load(server.seccomp)
    os.environ.clear()
    os.environ.update(HOME=workdir, TMPDIR=workdir, PATH="/usr/bin:/bin", LANG="C.UTF-8")
    if "tempfile" in sys.modules:  # a preloaded library made tempfile cache the server's /tmp
        sys.modules["tempfile"].tempdir = None
