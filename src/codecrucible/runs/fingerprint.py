"""The environment fingerprint recorded with every run."""

from __future__ import annotations

import os
import platform
import sys

from codecrucible import __version__


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def fingerprint(sandbox_layers: dict[str, str] | None = None) -> dict:
    return {
        "codecrucible": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "sandbox": sandbox_layers or {},
    }
