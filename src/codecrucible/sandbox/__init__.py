"""Running untrusted code: fork servers with OS-level isolation layers (see server.py)."""

from codecrucible.sandbox.executors import EXECUTORS, Executor, executor
from codecrucible.sandbox.jobs import Limits, reference_job
from codecrucible.sandbox.pool import (
    CANDIDATES,
    REFERENCES,
    ForkServer,
    SandboxConfig,
    SandboxError,
    SandboxPool,
)

__all__ = ["CANDIDATES", "EXECUTORS", "REFERENCES", "Executor", "ForkServer", "Limits",
           "SandboxConfig", "SandboxError", "SandboxPool", "executor", "reference_job"]
