"""Running untrusted code: fork servers with OS-level isolation layers (see server.py)."""

from codecrucible.sandbox.pool import ForkServer, SandboxConfig, SandboxError, SandboxPool

__all__ = ["ForkServer", "SandboxConfig", "SandboxError", "SandboxPool"]
