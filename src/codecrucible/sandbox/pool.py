"""The harness's side of the sandbox: fork servers and a pool that keeps them busy.

Each ``ForkServer`` is a separate interpreter started with an empty environment (a forked
child would inherit the harness's memory, environment, secrets and sockets; an exec'd one does
not). A ``SandboxPool`` holds one server per slot, one slot per core by default, hands each
idle server the next job, and restarts a server that dies.

A pool has one role. Its forked children inherit the server's whole memory, freed chunks
included, so a server that ever ran a reference solution (calibration, reference profiles, a
benchmark's checker) holds expected answers that any later child could scan for. ``CANDIDATES``
pools run model-written code and never a job marked ``"reference"``; ``REFERENCES`` pools run
only such jobs, and are closed when their work is done. The pool refuses a job of the other
role, so the two cannot be mixed by mistake.

A server is ended with its job's processes killed first (``reaper``), so nothing a candidate
started outlives an interrupted evaluation.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from codecrucible.records import valid_text
from codecrucible.sandbox import cleanup, reaper
from codecrucible.sandbox.frames import read_frame, write_frame
from codecrucible.sandbox.inbox import Inbox, Iterated
from codecrucible.sandbox.jobs import DRIVER, Driver
from codecrucible.sandbox.server import TEMPLATE_SLOTS

# Variables that tune numeric libraries and carry nothing secret; everything else is dropped.
_PASSED_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
_THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
DEFAULT_PRELOAD = ("math", "re", "string", "itertools", "functools", "collections", "heapq",
                   "bisect", "typing", "fractions", "decimal", "statistics", "random", "copy",
                   "hashlib", "datetime", "operator", "json", "numpy")


@dataclass(frozen=True)
class SandboxConfig:
    """How each fork server is set up; recorded with every run."""

    preload: tuple[str, ...] = DEFAULT_PRELOAD
    tmpfs_mb: int = 256
    read_only: tuple[str, ...] = ()
    python: str = field(default_factory=lambda: sys.executable)

    def frame(self, slot: int, role: str = "candidates") -> dict:
        # Sandbox uids are unique per harness process and role (32 slots each), so two pools
        # on one host never share a process limit or kill each other's processes, and a
        # candidate never shares a uid with a reference solution's process.
        if slot >= 32:
            raise SandboxError(f"at most 32 slots per pool (asked for slot {slot})")
        uid_base = 1_000_000 + (os.getpid() % 4_000_000) * 64 + (32 if role == REFERENCES
                                                                  else 0)
        return {"slot": slot, "uid_base": uid_base, "preload": list(self.preload),
                "tmpfs_mb": self.tmpfs_mb,
                "read_only": list(self.read_only)}


class SandboxError(RuntimeError):
    """The sandbox itself failed (not the code it ran)."""


CANDIDATES, REFERENCES = "candidates", "references"


class ForkServer:
    """One fork server (``server.py``) for one slot and role, seen from the harness: it is
    handed one job at a time (``submit``), and each message it sends back (``receive``) is
    either answer lines, which accumulate in ``lines`` as they arrive, or the job's result.
    It mirrors the server's template cache, so a task's shared job parts cross once. An
    episode's driver (``jobs.DRIVER``) stays here: it is asked for the job's first message
    when the job is sent and for the next each time answer lines arrive (``send``)."""

    def __init__(self, slot: int = 0, config: SandboxConfig | None = None,
                 role: str = CANDIDATES, *, wait: bool = True):
        """Start the server; unless ``wait``, return before it is ready (a pool starts its
        servers side by side), and ``ready`` waits for it."""
        if role not in (CANDIDATES, REFERENCES):
            raise ValueError(f"unknown sandbox role {role!r}")
        self.slot = slot
        self.role = role
        self.config = config or SandboxConfig()
        self.info: dict | None = None
        self.busy = False
        self.job_pid: int | None = None  # the running job's process group, once announced
        self._templates: OrderedDict[str, None] = OrderedDict()  # mirrors the server's cache
        self._pending = bytearray()
        self.lines: list[str] = []
        self.driver: Driver | None = None
        env = {k: os.environ[k] for k in _PASSED_ENV if k in os.environ} | _THREAD_ENV
        self.process = subprocess.Popen(
            [self.config.python, "-I", "-m", "codecrucible.sandbox.server"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=env, close_fds=True, start_new_session=True, cwd="/")
        self._in = self.process.stdin.fileno()
        self._out = self.process.stdout.fileno()
        write_frame(self._in, self.config.frame(slot, role))
        if wait:
            self.ready()

    def ready(self) -> ForkServer:
        """Wait until the server has started (and says which layers it has)."""
        if self.info is None:
            self.info = read_frame(self._out)
            if self.info is None:
                raise SandboxError(f"sandbox server for slot {self.slot} failed to start "
                                   f"(interpreter {self.config.python})")
        return self

    @property
    def fd(self) -> int:
        return self._out

    def submit(self, job: dict) -> None:
        if bool(job.get("reference")) != (self.role == REFERENCES):
            raise SandboxError(f"a {'reference' if job.get('reference') else 'candidate'} job "
                               f"cannot run on a server for {self.role}: a server's children "
                               "inherit its memory, so the two never share one")
        driver = job.get(DRIVER)
        job = {k: v for k, v in job.items() if k not in ("reference", DRIVER)}
        name = job.get("template")
        if name is not None:
            if name in self._templates:
                job = {k: v for k, v in job.items() if k != "template_body"}
            else:
                self._templates[name] = None
                while len(self._templates) > TEMPLATE_SLOTS:
                    self._templates.popitem(last=False)
        self.busy = True
        self.job_pid = None
        self._pending.clear()
        self.lines = []
        try:
            write_frame(self._in, job)
        except BrokenPipeError as err:
            raise SandboxError("sandbox server died") from err
        self.driver = driver
        self._drive()

    def receive(self) -> dict | None:
        """Read one message: new answer lines go to ``self.lines`` (None is returned), or the
        job's final result comes back with every line under ``"frames"``."""
        message = read_frame(self._out)
        if message is None:
            self.kill()  # whatever of its job is left
            raise SandboxError("sandbox server died during a job")
        if "chunk" in message:
            answered = len(self.lines)
            self._add_answers(message["chunk"])
            if len(self.lines) > answered:
                self._drive()
            return None
        if "started" in message:
            self.job_pid = message["started"]
            return None
        self.busy = False
        self.job_pid = None
        self.driver = None
        result = message.get("result", message)
        if "error" in result:
            raise SandboxError(valid_text(f"sandbox server error: {result['error']}"))
        result = {key: valid_text(v) if isinstance(v, str) else v for key, v in result.items()}
        result["frames"] = self.lines
        return result

    def _add_answers(self, data: bytes) -> None:
        """Split answer bytes into lines, searching only the new bytes for line ends, so that
        a line arriving in many chunks costs time linear in its length. (The server bounds a
        line's length, and the number of lines.)"""
        *complete, rest = data.split(b"\n")
        if complete:
            self._pending += complete[0]
            complete[0] = self._pending
            self.lines += [line.decode("utf-8", "replace") for line in complete]
            self._pending = bytearray()
        self._pending += rest

    def stop(self) -> None:
        """Ask the server to end the running job now (the harness has seen enough)."""
        self.send({"stop": True})

    def send(self, message: dict) -> None:
        """Send the running job a message: ``{"stop": True}``, or an episode's next
        ``{"observe": text}``. One that crosses the job's end is ignored by the server."""
        try:
            write_frame(self._in, message)
        except BrokenPipeError:
            pass  # the server died: ``receive`` says so

    def _drive(self) -> None:
        """Send what the running episode's driver says next, if anything."""
        if self.driver is None:
            return
        message = self.driver(self.lines)
        if message is not None:
            if message.get("stop"):
                self.driver = None  # the episode is over: nothing more to send it
            self.send(message)

    def run(self, job: dict) -> dict:
        self.submit(job)
        while (result := self.receive()) is None:
            pass
        return result

    @property
    def alive(self) -> bool:
        return self.process.poll() is None and not self.process.stdin.closed

    def kill(self) -> None:
        """End the server now: its job's processes first, then the server itself."""
        self.close(wait_s=0)

    def close(self, wait_s: float = 5) -> None:
        """Stop the server, ending its running job if it has one (the job's processes are
        killed before the server, which alone would leave its grandchildren running)."""
        if self.busy:
            self._kill_job()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.busy:  # killed mid-job: the server could not clean up after it
            self._kill_job()
            self.busy = False
        if self.info and self.info.get("cgroup"):
            reaper.remove_cgroup(self.info["cgroup"])  # gone already unless the server died
        if self.info and not self.info.get("private_workroot"):
            # Without root the work root is an ordinary directory: the server may have been
            # killed before it could remove it.
            cleanup.remove_tree(self.info["workroot"])

    def _kill_job(self) -> None:
        # Once reaped, the server's pid may be another process's: its descendants are not ours.
        server = self.process.pid if self.process.returncode is None else None
        reaper.kill_job(reaper.Job(server, self.job_pid, self.info.get("uid"),
                                   self.info.get("cgroup")))


Watch = Callable[[object, list[str]], bool]


class SandboxPool:
    """``slots`` fork servers for one role (``CANDIDATES`` or ``REFERENCES``, never both);
    ``imap`` runs jobs on them and yields results as they finish, replacing a server that
    dies, and ``run`` runs one job. The servers start with the pool, or on first use when
    ``lazy`` (a reference pool that the calibration cache may leave with nothing to do)."""

    def __init__(self, slots: int | None = None, config: SandboxConfig | None = None, *,
                 role: str = CANDIDATES, lazy: bool = False):
        self.config = config or SandboxConfig()
        self.role = role
        self.slots = slots or os.cpu_count() or 1
        self._servers: list[ForkServer] | None = None
        if not lazy:
            self._start()

    def _start(self) -> list[ForkServer]:
        if self._servers is None:
            started: list[ForkServer] = []
            try:  # side by side: each imports its preloads and builds its view meanwhile
                for slot in range(self.slots):
                    started.append(ForkServer(slot, self.config, self.role, wait=False))
                for server in started:
                    server.ready()
            except BaseException:
                for server in started:
                    server.close()
                raise
            self._servers = started
        return self._servers

    @property
    def servers(self) -> list[ForkServer]:
        return self._start()

    @property
    def started(self) -> bool:
        return self._servers is not None

    @property
    def layers(self) -> dict[str, str]:
        return self.servers[0].info["layers"]

    def imap(self, jobs: Iterable[tuple[object, dict]] | Inbox, watch: Watch | None = None
             ) -> Iterator[tuple[object, dict]]:
        """Run ``(key, job)`` pairs; yield ``(key, result)`` in completion order.

        ``jobs`` is an iterable, or an ``Inbox`` that other threads fill while this runs (it ends
        when the inbox is closed and drained). ``watch(key, lines)``, if given, sees the answer
        lines received so far each time more arrive, and returns True to stop that job early (for
        instance at a wrong answer). An episode's driver (``jobs.with_driver``) is asked for the
        next observation by the job's server as the same lines arrive, so episodes run side by side
        here like any other job. A job whose server dies yields a result with ``"sandbox_error"``
        and the server is replaced, so one catastrophic program cannot stop an evaluation. When
        this ends early (the consumer stopped, Ctrl-C), running jobs are killed with their servers,
        which are replaced when next needed.
        """
        source = jobs if isinstance(jobs, Inbox) else Iterated(jobs)
        selector = selectors.DefaultSelector()
        if source.fileno() is not None:
            selector.register(source.fileno(), selectors.EVENT_READ, None)
        keys: dict[int, object] = {}
        stopped: set[int] = set()
        try:
            self._fill(source, selector, keys)
            while keys or not source.finished():
                for event, _ in selector.select():
                    server = event.data
                    if server is None:  # the inbox has new jobs, or was closed
                        source.drain_wakeups()
                        if source.abandoned:
                            return
                        continue
                    key = keys[server.slot]
                    try:
                        result = server.receive()
                    except SandboxError as err:
                        result = {"sandbox_error": str(err)}
                        selector.unregister(server.fd)
                        server = self._replace(server)
                    if result is None:
                        if watch and server.slot not in stopped and watch(key, server.lines):
                            server.stop()
                            stopped.add(server.slot)
                        continue
                    if server.fd in selector.get_map():
                        selector.unregister(server.fd)
                    if "cleanup" in result:  # its work root keeps what it could not remove
                        self._replace(server)
                    del keys[server.slot]
                    stopped.discard(server.slot)
                    yield key, result
                self._fill(source, selector, keys)
        finally:
            selector.close()
            for server in self.servers:
                if server.busy:  # abandoned mid-job: no restart here, it may be Ctrl-C
                    server.kill()

    def _fill(self, source, selector, keys) -> None:
        """Give every idle server the next job, as far as there are jobs now."""
        for slot, server in enumerate(self.servers):
            if slot in keys:
                continue
            item = source.take()
            if item is None:
                return
            key, job = item
            if not server.alive:  # killed when an earlier run was abandoned, or died idle
                server = self._replace(server)
            try:
                server.submit(job)
            except SandboxError:
                if not server.busy:
                    raise  # the job was refused, not lost
                server = self._replace(server)  # it died since: one fresh try
                server.submit(job)
            keys[slot] = key
            selector.register(server.fd, selectors.EVENT_READ, server)

    def _replace(self, server: ForkServer) -> ForkServer:
        server.kill()
        fresh = ForkServer(server.slot, self.config, self.role)
        self.servers[server.slot] = fresh
        return fresh

    def run(self, job: dict) -> dict:
        return next(self.imap([(None, job)]))[1]

    def close(self) -> None:
        for server in self._servers or ():
            server.close()
        self._servers = None

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
