"""The fork server: a long-lived process that runs untrusted code, one forked child per job.

``ForkServer`` (pool.py) starts this module with an empty environment and talks to it over its
stdin/stdout in length-prefixed frames, JSON or raw answer bytes; nothing is ever unpickled.
Per job the server forks a child and announces its pid (``{"started": pid}``, the job's
process group); the child, in order: starts a new session, asks to die with the server, enters a
fresh work directory on the server's private tmpfs, sets resource limits, drops to the slot's
uid (when root), rewires stdio, closes every other descriptor, applies Landlock and seccomp,
scrubs the environment, and only then runs the code. Any failure before that point exits with
``SETUP_FAILED`` before a line of the code runs (fail closed).

The server itself enforces the wall-clock deadlines (one per test), the output caps, and kills
the whole process group at the end. It never sees an expected answer: the child inherits the
server's memory, so whatever the server holds a hostile child can read. The harness compares
the returned values with the expected ones (judge.py).
"""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import resource
import select
import signal
import struct
import sys
import time
import traceback

from codecrucible.sandbox import cgroup, cleanup, counters, landlock, seccomp, view
from codecrucible.sandbox.runner import LINE_BYTES, RESULT_FD, RUNNERS, answer_lines, write_all

SETUP_FAILED = 121
TEMPLATE_SLOTS = 64
_HEADER = struct.Struct(">I")
_RAW = 1 << 31  # set in a frame's length: the body is answer bytes as they came, not JSON
_PR_SET_PDEATHSIG, _PR_SET_CHILD_SUBREAPER = 1, 36
_CLONE_NEWNS, _CLONE_NEWIPC, _CLONE_NEWNET = 0x00020000, 0x08000000, 0x40000000
_MS_REC, _MS_PRIVATE, _MS_NOSUID, _MS_NODEV = 0x4000, 0x40000, 0x2, 0x4
_TAIL = 4096
_libc = ctypes.CDLL(None, use_errno=True)


# ---------------------------------------------------------------- protocol
def read_frame(fd: int) -> dict | None:
    """The next message: a JSON object, or ``{"chunk": bytes}`` for answer bytes."""
    header = _read_exact(fd, _HEADER.size)
    if header is None:
        return None
    size = _HEADER.unpack(header)[0]
    body = _read_exact(fd, size & ~_RAW)
    if body is None:
        return None
    return {"chunk": body} if size & _RAW else json.loads(body)


def write_frame(fd: int, message: dict) -> None:
    body = json.dumps(message, separators=(",", ":")).encode()
    write_all(fd, _HEADER.pack(len(body)) + body)


def write_chunk(fd: int, data: bytes) -> None:
    """Answer bytes travel raw: no escaping that could make them six times larger."""
    write_all(fd, _HEADER.pack(len(data) | _RAW) + data)


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


# ---------------------------------------------------------------- start-up
class Server:
    def __init__(self, config: dict, proto_in: int, proto_out: int):
        self.config = config
        self.proto_in, self.proto_out = proto_in, proto_out
        self.templates: dict[str, dict] = {}
        self.layers: dict[str, str] = {}
        self.is_root = os.geteuid() == 0
        self.uid: int | None = None
        self.counter = 0
        _libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        for name in config.get("preload", []):
            try:
                importlib.import_module(name)
            except ImportError:
                pass
        self.preloaded = sorted(set(config.get("preload", [])) & set(sys.modules))
        self.base_vm = _vm_size()
        self.memcg = None
        if self.is_root:
            self.memcg, where = cgroup.create(f"crucible-sandbox-{os.getpid()}")
            self.layers["memory cgroup"] = ("active: one limit for all processes of a run, "
                                            + where) if self.memcg else f"inactive: {where}"
        else:
            self.layers["memory cgroup"] = "inactive: needs root (the address-space limit " \
                "still applies to each process)"
        self.allowed = view.allowed(self.preloaded, [p for p in config.get("read_only", [])
                                                     if p != "/proc"])
        self.workroot = self._make_workroot()
        self._choose_uid()
        self.ruleset_fd = self._build_landlock()
        self.seccomp = seccomp.build_filter()
        self.layers["seccomp"] = ("active: no sockets, no setsid/setpgid, no namespaces, "
                                  "no ptrace, no mounts") if self.seccomp else \
            "inactive: no syscall table for this architecture"
        self.layers["rlimits"] = "active: address space, CPU, file size, open files, " \
            "processes, no core files"

    def _make_workroot(self) -> str:
        size = self.config.get("tmpfs_mb", 256)
        packages = ", ".join(self.allowed.distributions) or "none"
        self.viewed = False
        if self.is_root:
            try:
                _unshare(_CLONE_NEWNS | _CLONE_NEWNET | _CLONE_NEWIPC)
                _mount("none", "/", None, _MS_REC | _MS_PRIVATE)
                self.layers["network"] = "active: private network and IPC namespaces " \
                    "(no interfaces up)"
                view.build(self.allowed, "/tmp", size, "/proc" in self.config.get("read_only", []))
                self.viewed = True
            except OSError as err:
                self.layers.setdefault("network", f"inactive: unshare failed ({err})")
                self.layers["filesystem view"] = f"inactive: {err}"
        if self.viewed:
            self.layers["filesystem view"] = (
                f"active: a private root holding only {len(self.allowed.paths)} read-only paths "
                f"(system libraries, the interpreter, the standard library, packages: "
                f"{packages}); nothing else exists, not even for stat")
            self.layers["tmpfs"] = f"active: private {size} MiB tmpfs work root and /dev/shm"
            return view.WORKROOT
        if not self.is_root:
            self.layers["network"] = "inactive: a network namespace needs root here " \
                "(seccomp and Landlock still deny sockets)"
            self.layers["filesystem view"] = "inactive: needs root"
        self.layers["filesystem view"] += (
            "; Landlock allows reading only the paths the view would hold "
            f"(packages: {packages}), but stat still sees the rest")
        base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
        import tempfile
        root = tempfile.mkdtemp(prefix="crucible-sandbox-", dir=base)
        self.layers["tmpfs"] = f"inactive: work root is {root} (no size cap without the view)"
        return root

    def _choose_uid(self) -> None:
        if not self.is_root:
            self.layers["uid"] = f"inactive: not root; the code runs as uid {os.geteuid()}"
            return
        # Inside the view every directory leading to a bound path is world-traversable.
        blocked = None if self.viewed else (_unreadable_ancestor(sys.base_prefix)
                                            or _unreadable_ancestor(sys.prefix))
        if blocked:
            self.layers["uid"] = (f"inactive: {blocked} is not readable by other uids, so a "
                                  "dropped uid could not run this interpreter without the "
                                  "filesystem view")
            return
        self.uid = int(self.config.get("uid_base", 60000)) + int(self.config.get("slot", 0))
        self.layers["uid"] = f"active: uid {self.uid} (one per slot and pool), no groups"

    def _build_landlock(self) -> int | None:
        abi = landlock.abi_version()
        if abi == 0:
            self.layers["landlock"] = "inactive: the kernel has no Landlock (needs 5.13+ and " \
                "landlock in the LSM list)"
            return None
        read_only = view.allowed_paths(self.allowed)
        if "/proc" in self.config.get("read_only", []):
            read_only.append("/proc")
        read_write = [self.workroot, "/dev/null"] + (["/dev/shm"] if self.is_root else [])
        fd = landlock.build_ruleset(read_only, read_write, abi, self.allowed.listable)
        opened = self.config.get("read_only", [])
        extras = ["filesystem allow-list" + (f" (also readable for this run's libraries: "
                                             f"{', '.join(opened)})" if opened else "")]
        if abi >= 4:
            extras.append("TCP bind/connect denied")
        if abi >= 6:
            extras.append("signals and abstract unix sockets scoped")
        self.layers["landlock"] = f"active: ABI {abi}, " + ", ".join(extras)
        return fd

    def hello(self) -> dict:
        return {"pid": os.getpid(), "layers": self.layers, "workroot": self.workroot,
                "cgroup": self.memcg.path if self.memcg else None,
                "private_workroot": self.viewed,
                "uid": self.uid, "python": sys.version.split()[0], "preloaded": self.preloaded}

    # ------------------------------------------------------------ one job
    def expand(self, job: dict) -> dict:
        """A job may name a template (the parts shared by every sample of a task) instead of
        repeating it. The harness mirrors this first-in-first-out cache exactly."""
        name = job.pop("template", None)
        if name is None:
            return job
        body = job.pop("template_body", None)
        if body is not None:
            self.templates[name] = body
            while len(self.templates) > TEMPLATE_SLOTS:
                del self.templates[next(iter(self.templates))]
        if name not in self.templates:
            raise KeyError(f"unknown template {name!r}")
        return {**self.templates[name], **job}

    def run(self, job: dict) -> dict:
        self.counter += 1
        workdir = os.path.join(self.workroot, f"run{self.counter}")
        os.mkdir(workdir, 0o700)
        if self.uid is not None:
            os.chown(workdir, self.uid, self.uid)
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        res_r, res_w = os.pipe()
        memory = int(job.get("limits", {}).get("memory_mb", 1024)) << 20
        if self.memcg is not None:
            self.memcg.set_limit(memory)
            oom_before = self.memcg.oom_kills()
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            _child(self, job, workdir, out_w, err_w, res_w)  # never returns
        for fd in (out_w, err_w, res_w):
            os.close(fd)
        watch = _Watch(job, pid, started, out_r, err_r, res_r, self.proto_in, self.proto_out)
        try:
            # The job's process group: the harness kills it itself when it must end this job
            # without this server (Ctrl-C), as only the child dies with the server.
            write_frame(self.proto_out, {"started": pid})
            watch.loop()
        finally:
            _kill_group(pid)
            status, usage = _reap(pid)
            if self.seccomp is None and self.uid is not None:
                _sweep_uid(self.uid)
            _reap_orphans()
            for fd in (out_r, err_r, res_r, watch.pidfd):
                os.close(fd)
            # Whatever the candidate left, the verdict stands; what cannot be removed is
            # reported, and the harness gives the next job a fresh server.
            left = cleanup.remove_tree(workdir)
            if self.is_root:  # private to this server; nothing carries to the next run
                left = cleanup.empty_dir("/dev/shm") or left
        report = watch.report(status, usage, time.monotonic() - started)
        report["oom_killed"] = self.memcg is not None and self.memcg.oom_kills() > oom_before
        if left:
            report["cleanup"] = left
        return report


class _Watch:
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
        _kill_group(self.pid)
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


# ---------------------------------------------------------------- the child
def _child(server: Server, job: dict, workdir: str, out_w: int, err_w: int, res_w: int) -> None:
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


def _confine(server: Server, job: dict, workdir: str, out_w: int, err_w: int, res_w: int) -> None:
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


# ---------------------------------------------------------------- cleanup helpers
def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _reap(pid: int):
    try:
        _, status, usage = os.wait4(pid, 0)
        return status, usage
    except ChildProcessError:
        return None, None


def _reap_orphans() -> None:
    # The server is a subreaper: the group's orphans end up here, already sent SIGKILL.
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.001)


def _sweep_uid(uid: int) -> None:
    """Without seccomp a process may have left the group: kill everything the slot uid owns."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


# ---------------------------------------------------------------- system calls
def _unshare(flags: int) -> None:
    if _libc.unshare(flags) != 0:
        raise OSError(ctypes.get_errno(), "unshare failed")


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None):
    if _libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None,
                   ctypes.c_ulong(flags), data.encode() if data else None) != 0:
        raise OSError(ctypes.get_errno(), f"mount {target} failed")


def _vm_size() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _unreadable_ancestor(path: str) -> str | None:
    path = os.path.realpath(path)
    while True:
        if not os.stat(path).st_mode & 0o001:
            return path
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent


def main() -> None:
    proto_in, proto_out = os.dup(0), os.dup(1)
    null = os.open("/dev/null", os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    config = read_frame(proto_in)
    if config is None:
        return
    server = Server(config, proto_in, proto_out)
    write_frame(proto_out, server.hello())
    try:
        _serve(server, proto_in, proto_out)
    finally:
        if server.memcg is not None:
            server.memcg.remove()


def _serve(server: Server, proto_in: int, proto_out: int) -> None:
    while (job := read_frame(proto_in)) is not None:
        if job.get("stop"):
            continue  # a stop that crossed the end of its job
        try:
            result = server.run(server.expand(job))
        except EOFError:
            return
        except Exception as err:  # report and keep serving; the harness decides what to do
            result = {"error": f"{type(err).__name__}: {err}", "trace": traceback.format_exc()}
        write_frame(proto_out, {"result": result})


if __name__ == "__main__":
    main()
