"""Hostile programs: state that could outlive a run."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from sandbox.hostile import (
    IS_ROOT,
    LINUX_ONLY,
    RNG,
    assert_contained,
    leftover_processes,
    lines,
    process_table,
    run_hostile,
    script,
)

from codecrucible.sandbox import REFERENCES, ForkServer, reference_job

pytestmark = LINUX_ONLY

# ---------------------------------------------------------------- state that could outlive a run
def test_sysv_ipc_is_denied_and_leaves_nothing(pool):
    key = RNG.randrange(1 << 20, 1 << 30)
    mq_name = f"crucible-{uuid.uuid4().hex[:12]}"

    def present() -> list[str]:
        found = []
        for table in ("shm", "msg", "sem"):
            try:
                rows = Path(f"/proc/sysvipc/{table}").read_text().splitlines()[1:]
            except OSError:
                continue
            found += [f"{table} {row.split()[:2]}" for row in rows
                      if row.split() and int(row.split()[0]) in (key, key + 1, key + 2)]
        if os.path.exists(f"/dev/mqueue/{mq_name}"):
            found.append(f"mqueue {mq_name}")
        return found

    try:
        first = run_hostile(pool, script(f"""
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            libc.shmat.restype = ctypes.c_void_p
            def report(name, ret):
                print(name, ret, ctypes.get_errno() if ret == -1 else 0, flush=True)
            sid = libc.shmget({key}, 16 << 20, 0o1666)         # IPC_CREAT | 0666
            report("shmget", sid)
            if sid >= 0:
                addr = libc.shmat(sid, None, 0)
                ctypes.memset(addr, 1, 16 << 20)             # 16 MiB outside RLIMIT_AS
                libc.shmdt(ctypes.c_void_p(addr))
            report("msgget", libc.msgget({key + 1}, 0o1666))
            report("semget", libc.semget({key + 2}, 1, 0o1666))
            # mq_open(name, O_CREAT | O_RDWR, 0600, NULL), as the raw system call
            report("mq_open", libc.syscall(240, {mq_name.encode()!r}, 0o102, 0o600, None))
        """))
        rows = [line.split() for line in lines(first)]
        assert [row[0] for row in rows] == ["shmget", "msgget", "semget", "mq_open"], first
        for name, ret, err in rows:
            assert (int(ret), int(err)) == (-1, 1), (name, ret, err)  # EPERM from seccomp
        assert present() == [], "IPC objects left on the host"
        # and nothing a later run on the same server could find
        later = run_hostile(pool, script(f"""
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            print(libc.shmget({key}, 0, 0), libc.msgget({key + 1}, 0),
                  libc.semget({key + 2}, 0, 0), flush=True)
        """))
        assert lines(later) == ["-1 -1 -1"], later
    finally:
        for flag, offset in (("-M", 0), ("-Q", 1), ("-S", 2)):
            subprocess.run(["ipcrm", flag, str(key + offset)], capture_output=True)
        if os.path.exists(f"/dev/mqueue/{mq_name}"):
            os.unlink(f"/dev/mqueue/{mq_name}")


@pytest.mark.parametrize("where", ["/dev/shm", ".."])
def test_files_do_not_carry_over_between_runs(pool, where):
    """A run leaves a file in the server's private /dev/shm or its work root (the parent of
    the run's directory); the next run on the same server must not find it. (Both slots get
    the same job, so whichever server ran the first job runs a second one.)"""
    if not IS_ROOT:
        pytest.skip("the private /dev/shm and work root need root")
    name = f"{where}/crucible-carry-{uuid.uuid4().hex}"
    writer = script(f"""
        try:
            open({name!r}, "w").write("from an earlier run")
            print("written", flush=True)
        except OSError as err:
            print("blocked", type(err).__name__, flush=True)
    """)
    first = run_hostile(pool, writer)
    assert lines(first)[0] in ("written", "blocked PermissionError"), first
    reader = script(f"""
        try:
            print(open({name!r}).read())
        except OSError as err:
            print("gone", type(err).__name__)
    """)
    slots = range(len(pool.servers))
    results = dict(pool.imap([(slot, reader) for slot in slots]))
    for slot in slots:
        assert lines(results[slot])[0].startswith("gone"), (slot, results[slot])
    assert_contained(pool, [s.process.pid for s in pool.servers])


def test_child_dies_with_its_server():
    if not IS_ROOT:
        pytest.skip("the uid drop (which clears the death signal) needs root")
    # The last reference slot: its own uid, unlike any pool's slots in these tests.
    server = ForkServer(slot=31, role=REFERENCES)
    uid = server.info["uid"]
    assert uid is not None, server.info
    child = None
    try:
        server.submit(reference_job(script("import time\ntime.sleep(1000)\n", wall_s=60)))
        deadline = time.monotonic() + 3
        while child is None and time.monotonic() < deadline:
            kids = [pid for pid, row in process_table().items()
                    if row[0] == server.process.pid and row[1] == uid]
            child = kids[0] if kids else None
            time.sleep(0.02)
        assert child is not None, "the job never started"
        os.kill(server.process.pid, signal.SIGKILL)   # the harness crashed, or gave up
        server.process.wait()
        deadline = time.monotonic() + 2
        while (row := process_table().get(child)) and not row[2].startswith("Z") \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        assert row is None or row[2].startswith("Z") or row[1] != uid, \
            f"orphan still running: {row}"
        assert not leftover_processes({uid})
    finally:
        if child is not None:
            try:
                if process_table().get(child, (0, 0))[1] == uid:
                    os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                pass
        server.close()


def test_host_file_metadata_is_untouched(pool, host_dir):
    victim = host_dir / "victim.txt"          # root-owned, mode 666: DAC lets any uid write
    victim.write_text("keep me")
    victim.chmod(0o666)
    os.utime(victim, (1_000_000_000, 1_000_000_000))
    try:
        os.setxattr(victim, "user.probe", b"1")
        os.removexattr(victim, "user.probe")
        xattrs = True
    except OSError:
        xattrs = False                        # this filesystem has no user xattrs
    path = str(victim)
    result = run_hostile(pool, script(f"""
        import os
        attempts = {{
            "utime": lambda: os.utime({path!r}),
            "utime_ns": lambda: os.utime({path!r}, ns=(0, 0)),
            "setxattr": lambda: os.setxattr({path!r}, "user.pwned", b"1"),
            "chmod": lambda: os.chmod({path!r}, 0o777),
            "chown": lambda: os.chown({path!r}, os.getuid(), os.getgid()),
            "fd_utime": lambda: os.utime(os.open({path!r}, os.O_RDONLY)),
        }}
        for name, attempt in attempts.items():
            try:
                attempt()
                print(name, "DONE", flush=True)
            except OSError as err:
                print(name, "blocked", type(err).__name__, flush=True)
    """))
    assert "DONE" not in result["stdout"], result
    assert len(lines(result)) == 6, result
    assert victim.read_text() == "keep me"
    changed = []
    if victim.stat().st_mtime != 1_000_000_000:
        changed.append("mtime")
    if victim.stat().st_mode & 0o777 != 0o666:
        changed.append("mode")
    if xattrs and os.listxattr(victim):
        changed.append(f"xattrs {os.listxattr(victim)}")
    assert not changed, f"host file metadata changed from inside the sandbox: {changed}"
