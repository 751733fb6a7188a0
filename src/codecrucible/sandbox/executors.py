"""The executor seam: where sandbox jobs run. ``local`` is this host's fork-server pool.

An executor is made by a factory ``(slots, config, *, role, lazy) -> Executor`` registered in
``EXECUTORS`` (or through an entry point in the group ``codecrucible.executors``); a Ray
executor, each of whose actors owns a local pool, plugs in the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from codecrucible.registry import Registry
from codecrucible.sandbox.pool import CANDIDATES, SandboxConfig


class Executor(Protocol):
    """Runs sandbox jobs (``sandbox/runner.py`` describes them) and yields their results.

    ``imap`` takes ``(key, job)`` pairs, or an ``Inbox`` other threads fill, and yields
    ``(key, result)`` in completion order; ``layers`` says which isolation layers are active.
    A job may carry a driver (``jobs.DRIVER``: an episode's, whose game stays with it): the
    executor asks it for the job's next message as answers arrive and sends what it says,
    as ``ForkServer`` does; the driver never reaches a fork server (a Ray executor keeps it
    beside the actor's pool that runs the job, or relays each message).
    Example, an executor that runs every job on one fork server::

        class OneServer:
            def __init__(self, slots=None, config=None, *, role=CANDIDATES, lazy=False):
                self.server = ForkServer(0, config, role)
                self.layers = self.server.info["layers"]

            def imap(self, jobs, watch=None):
                for key, job in jobs:
                    yield key, self.server.run(job)

            def run(self, job):
                return self.server.run(job)

            def close(self):
                self.server.close()

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.close()

        EXECUTORS.add("one", OneServer)
    """

    @property
    def layers(self) -> dict[str, str]: ...

    def imap(self, jobs: Iterable[tuple[object, dict]], watch: Callable | None = None
             ) -> Iterator[tuple[object, dict]]: ...

    def run(self, job: dict) -> dict: ...

    def close(self) -> None: ...

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc) -> None: ...


class ExecutorFactory(Protocol):
    def __call__(self, slots: int | None = None, config: SandboxConfig | None = None, *,
                 role: str = CANDIDATES, lazy: bool = False) -> Executor: ...


EXECUTORS: Registry[ExecutorFactory] = Registry("executor", "codecrucible.executors", {
    "local": "codecrucible.sandbox.pool:SandboxPool",
})


def executor(name: str = "local") -> ExecutorFactory:
    """The factory of the executor ``name``; ``UnknownName`` lists the known ones."""
    return EXECUTORS.get(name)


__all__ = ["EXECUTORS", "Executor", "ExecutorFactory", "executor"]
