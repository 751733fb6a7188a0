"""The child forked ahead of its job (``server.py``): every layer applies to it, with the
limits of the job it is handed, and nothing of the program before it reaches it."""

from __future__ import annotations

import json

from sandbox.hostile import IS_ROOT, LINUX_ONLY, lines, run_hostile, script

pytestmark = LINUX_ONLY

LEAVE = """
    import os, subprocess
    open("left-here", "w").write("secret of the first program")
    if os.access("/dev/shm", os.W_OK):
        open("/dev/shm/left-in-shm", "w").write("secret")
    os.environ["LEFT"] = "secret"
    subprocess.Popen(["sleep", "30"])   # killed with its group at the end of this job
    print(os.getpid(), os.getuid(), os.getcwd(), flush=True)
"""

LOOK = """
    import json, os, resource, socket
    try:
        socket.socket()
        sock = "allowed"
    except OSError as err:
        sock = type(err).__name__
    def is_open(fd):
        try:
            os.fstat(fd)
        except OSError:
            return False
        return True
    try:
        open("/etc/hostname").read()
        outside = "readable"
    except OSError as err:
        outside = type(err).__name__
    print(json.dumps({
        "pid": os.getpid(), "uid": os.getuid(), "cwd": os.getcwd(), "here": os.listdir("."),
        "shm": os.listdir("/dev/shm") if os.path.isdir("/dev/shm") else [],
        "left": os.environ.get("LEFT"), "sid": os.getsid(0) == os.getpid(),
        "cpu": resource.getrlimit(resource.RLIMIT_CPU),
        "nproc": resource.getrlimit(resource.RLIMIT_NPROC)[0],
        "fsize": resource.getrlimit(resource.RLIMIT_FSIZE)[0],
        "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        "socket": sock, "outside": outside,
        "fds": [fd for fd in range(64) if is_open(fd)],
    }), flush=True)
"""


def test_the_next_child_gets_nothing_of_the_last_and_every_layer(scratch_pool):
    first = run_hostile(scratch_pool, script(LEAVE))
    pid, uid, cwd = lines(first)[0].split()
    for limits in ({"cpu_s": 3, "processes": 7, "file_mb": 1},
                   {"cpu_s": 5, "processes": 9, "file_mb": 2}):
        seen = json.loads(lines(run_hostile(scratch_pool, script(LOOK, **limits)))[0])
        assert seen["pid"] != int(pid) and seen["cwd"] != cwd, seen   # a new child, new dir
        assert seen["here"] == [] and "left-in-shm" not in seen["shm"], seen
        assert seen["left"] is None and seen["sid"], seen
        assert seen["uid"] == int(uid), seen
        if IS_ROOT:
            assert seen["uid"] != 0, seen
        # the limits of the job it was handed, not of the server or an earlier job
        assert seen["cpu"] == [limits["cpu_s"], limits["cpu_s"] + 1], seen
        assert seen["nproc"] == limits["processes"], seen
        assert seen["fsize"] == limits["file_mb"] << 20 and seen["nofile"] == 64, seen
        assert seen["socket"] != "allowed" and seen["outside"] != "readable", seen
        assert seen["fds"] == [0, 1, 2, 3], seen   # no job pipe, no ruleset: stdio, answers
