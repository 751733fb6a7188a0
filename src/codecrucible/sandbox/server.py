"""The fork server: a long-lived process that runs untrusted code, one forked child per job.

``ForkServer`` (pool.py) starts this module with an empty environment and talks to it over its
stdin/stdout in length-prefixed frames, JSON or raw answer bytes; nothing is ever unpickled.
Per job the server hands the job to a forked child and announces its pid (``{"started": pid}``,
the job's process group). An episode (a policy playing a game the harness holds) keeps the
child's job pipe open: the harness's observations reach the child there, one at a time. The
child is forked ahead: once a job's result is sent, the server forks the next one, a fresh fork
of this clean server (the last job's processes killed, its work directory and ``/dev/shm``
emptied), which confines itself as far as it can without a job while the harness reads the
result and picks the next job. The child, in order: starts a new session, asks to die with the
server, rewires stdio, closes every other descriptor, applies Landlock; then reads its job,
enters the job's fresh work directory on the server's private tmpfs, sets the job's resource
limits, drops to the slot's uid (when root), applies seccomp, scrubs the environment, and only
then runs the code (``child.py``). Any failure before that point exits with ``SETUP_FAILED``
before a line of the code runs (fail closed). A child that is never handed a job runs nothing:
the server kills it when it ends.

The modules it is made of: ``frames`` (the protocol), ``child`` (the child's confinement, then
its job), ``watch`` (one execution seen from the server) and this one (start-up: the layers
the kernel offers; then the serve loop). The server itself enforces the wall-clock deadlines
(one per test), the output caps, and kills the whole process group at the end. It never sees
an expected answer: the child inherits the server's memory, so whatever the server holds a
hostile child can read. The harness compares the returned values with the expected ones
(``correctness/scoring.py``).
"""

from __future__ import annotations

import ctypes
import importlib
import os
import signal
import sys
import time
import traceback
from dataclasses import dataclass

from codecrucible.sandbox import cgroup, cleanup, landlock, seccomp, view
from codecrucible.sandbox.child import SETUP_FAILED, WORKDIR_KEY, run_child
from codecrucible.sandbox.frames import read_frame, write_frame
from codecrucible.sandbox.watch import Watch, kill_group

__all__ = ["SETUP_FAILED", "TEMPLATE_SLOTS", "Server", "main"]

TEMPLATE_SLOTS = 64
_PR_SET_CHILD_SUBREAPER = 36
_CLONE_NEWNS, _CLONE_NEWIPC, _CLONE_NEWNET = 0x00020000, 0x08000000, 0x40000000
_MS_REC, _MS_PRIVATE, _MS_NOSUID, _MS_NODEV = 0x4000, 0x40000, 0x2, 0x4
_libc = ctypes.CDLL(None, use_errno=True)


@dataclass
class _Child:
    """A child forked ahead of its job: its pid, the server's ends of its pipes (stdout,
    stderr, answers; the job) and the templates it was forked knowing."""

    pid: int
    out_r: int
    err_r: int
    res_r: int
    job_w: int | None  # None once the job is sent; an episode's stays open
    templates: frozenset[str]


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
        self.spare: _Child | None = None
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

    def fork_ahead(self) -> None:
        """Fork the next job's child now, before the job arrives (see the module docstring)."""
        if self.spare is None:
            self.spare = self._fork()

    def _fork(self) -> _Child:
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        res_r, res_w = os.pipe()
        job_r, job_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            for fd in (out_r, err_r, res_r, job_w):
                os.close(fd)
            run_child(self, out_w, err_w, res_w, job_r)  # never returns
        for fd in (out_w, err_w, res_w, job_r):
            os.close(fd)
        return _Child(pid, out_r, err_r, res_r, job_w, frozenset(self.templates))

    def discard_spare(self) -> None:
        """End the child forked ahead, unused (the server is ending)."""
        child, self.spare = self.spare, None
        if child is not None:
            kill_group(child.pid)
            _kill(child.pid)
            _reap(child.pid)
            for fd in (child.out_r, child.err_r, child.res_r, child.job_w):
                os.close(fd)

    def _hand_over(self, job: dict) -> tuple[_Child, dict, str, float]:
        """The child that runs ``job`` (as it came from the harness), the job expanded, its
        fresh work directory, and when it was handed over. A child forked ahead is sent only
        what it lacks: the job's own parts and its template's name, when it was forked
        knowing the template."""
        name = job.get("template")
        full = self.expand(dict(job))
        own = {k: v for k, v in job.items() if k not in ("template", "template_body")}
        child, self.spare = self.spare or self._fork(), None
        self.counter += 1
        workdir = os.path.join(self.workroot, f"run{self.counter}")
        os.mkdir(workdir, 0o700)
        if self.uid is not None:
            os.chown(workdir, self.uid, self.uid)
        memory = int(full.get("limits", {}).get("memory_mb", 1024)) << 20
        if self.memcg is not None:
            self.memcg.set_limit(memory)
        started = time.monotonic()
        try:
            message = {**own, "template": name} if name in child.templates else dict(full)
            write_frame(child.job_w, {**message, WORKDIR_KEY: workdir})
        except BrokenPipeError:  # it died waiting (its setup failed): the watch reports how
            pass
        if full.get("kind") != "episode":  # an episode's observations follow on this pipe
            os.close(child.job_w)
            child.job_w = None
        return child, full, workdir, started

    def run(self, job: dict) -> dict:
        oom_before = self.memcg.oom_kills() if self.memcg is not None else 0
        child, job, workdir, started = self._hand_over(job)
        pid = child.pid
        watch = Watch(job, pid, started, child.out_r, child.err_r, child.res_r, self.proto_in,
                      self.proto_out, child.job_w)
        try:
            # The job's process group: the harness kills it itself when it must end this job
            # without this server (Ctrl-C), as only the child dies with the server.
            write_frame(self.proto_out, {"started": pid})
            watch.loop()
        finally:
            kill_group(pid)
            status, usage = _reap(pid)
            if self.seccomp is None and self.uid is not None:
                _sweep_uid(self.uid)
            _reap_orphans()
            for fd in (child.out_r, child.err_r, child.res_r, watch.pidfd):
                os.close(fd)
            if child.job_w is not None:
                os.close(child.job_w)
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


# ---------------------------------------------------------------- cleanup helpers
def _reap(pid: int):
    try:
        _, status, usage = os.wait4(pid, 0)
        return status, usage
    except ChildProcessError:
        return None, None


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


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
        server.discard_spare()
        if server.memcg is not None:
            server.memcg.remove()


def _serve(server: Server, proto_in: int, proto_out: int) -> None:
    server.fork_ahead()
    while (job := read_frame(proto_in)) is not None:
        if "stop" in job or "observe" in job:
            continue  # a stop, or an episode's observation, that crossed the end of its job
        try:
            result = server.run(job)
        except EOFError:
            return
        except Exception as err:  # report and keep serving; the harness decides what to do
            result = {"error": f"{type(err).__name__}: {err}", "trace": traceback.format_exc()}
        write_frame(proto_out, {"result": result})
        if "cleanup" not in result and "error" not in result:
            server.fork_ahead()  # while the harness reads the result and picks the next job


if __name__ == "__main__":
    main()
