"""``crucible sandbox run``: one untrusted file in the sandbox, its verdict as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from codecrucible.cli.common import fail, megabytes, out


def run(
    file: Path = typer.Argument(..., help="A Python file to run, untrusted."),
    timeout: float = typer.Option(5.0, help="Wall-clock limit, seconds."),
    memory: str = typer.Option("512M", help="Memory limit, e.g. 512M or 2G."),
    output: str = typer.Option("1M", help="Cap on stdout+stderr, e.g. 1M."),
):
    """Run one file in the sandbox and print the verdict as JSON.

    Example: crucible sandbox run untrusted.py --timeout 5 --memory 512M
    """
    from codecrucible.sandbox import ForkServer, Limits, SandboxError
    from codecrucible.sandbox.jobs import script_job
    from codecrucible.sandbox.verdict import script_verdict
    try:
        code = file.read_text()
    except (OSError, UnicodeDecodeError) as err:
        fail(f"{file}: cannot be read ({err})")
    limits = Limits(wall_s=timeout, load_s=timeout, cpu_s=max(1, int(timeout)),
                    memory_mb=megabytes(memory), output_bytes=megabytes(output) << 20,
                    result_bytes=None)
    server = ForkServer()
    try:
        result = server.run(script_job(code, str(file), limits))
    except SandboxError as err:
        fail(str(err))
    finally:
        server.close()
    verdict = script_verdict(result, limits.to_wire())
    out.print_json(json.dumps(verdict))
    raise typer.Exit(0 if verdict["status"] == "passed" else 1)
