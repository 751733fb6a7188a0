"""Running untrusted code: fork servers with OS-level isolation layers (see server.py)."""

from codecrucible.sandbox.executors import EXECUTORS, Executor, executor
from codecrucible.sandbox.pool import (
    CANDIDATES,
    REFERENCES,
    ForkServer,
    SandboxConfig,
    SandboxError,
    SandboxPool,
    reference_job,
)

__all__ = ["CANDIDATES", "EXECUTORS", "REFERENCES", "Executor", "ForkServer", "SandboxConfig",
           "SandboxError", "SandboxPool", "executor", "reference_job"]
