"""Running untrusted code: fork servers with OS-level isolation layers (see server.py)."""

from codecrucible.sandbox.pool import (
    CANDIDATES,
    REFERENCES,
    ForkServer,
    SandboxConfig,
    SandboxError,
    SandboxPool,
    reference_job,
)

__all__ = ["CANDIDATES", "REFERENCES", "ForkServer", "SandboxConfig", "SandboxError",
           "SandboxPool", "reference_job"]
