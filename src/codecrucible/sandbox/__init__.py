"""Running untrusted code: fork servers with OS-level isolation layers (see server.py)."""

from codecrucible.sandbox.jobs import Limits, reference_job
from codecrucible.sandbox.pool import (
    CANDIDATES,
    REFERENCES,
    ForkServer,
    SandboxConfig,
    SandboxError,
    SandboxPool,
)

__all__ = ["CANDIDATES", "REFERENCES", "ForkServer", "Limits", "SandboxConfig", "SandboxError",
           "SandboxPool", "reference_job"]
