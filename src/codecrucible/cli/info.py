"""What is here: ``crucible benchmarks``, ``crucible models`` and ``crucible doctor``."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from codecrucible.benchmarks.data import DataError, resolve_data_dir
from codecrucible.cli.common import DATA_HELP, fail, out


def benchmarks(data_dir: Path | None = typer.Option(None, "--data-dir", help=DATA_HELP)):
    """List the benchmarks, their sizes and whether their data is available."""
    from codecrucible import benchmarks as registry
    from codecrucible.report import tables
    try:
        directory = resolve_data_dir(data_dir)
    except DataError as err:
        fail(str(err))
    rows = [(b.name, b.size, b.suites, registry.data_status(b, directory), b.description)
            for b in registry.all_benchmarks()]
    out.print(tables.benchmarks(rows))


def models():
    """List the embedded models: size, where their bytes come from, sha256 status.

    Any GGUF file (gguf:PATH), OpenAI-compatible server (openai:URL#MODEL) and transformers
    checkpoint (hf:PATH) can be used too.
    """
    from codecrucible.models.llama import CATALOG, model_status
    from codecrucible.report import tables
    out.print(tables.models(CATALOG, model_status))
    out.print(f"files live in {CATALOG[next(iter(CATALOG))].path.parent}")


def doctor():
    """Show which isolation layers this host gives the sandbox, and why not the others."""
    from codecrucible.report import tables
    from codecrucible.runs.fingerprint import fingerprint
    from codecrucible.sandbox import ForkServer, SandboxError
    try:
        server = ForkServer()
    except SandboxError as err:
        fail(str(err))
    info = server.info
    server.close()
    out.print(tables.layers(info["layers"]))
    env = fingerprint()
    out.print(f"python {info['python']} ({sys.executable}), {env['cores']} cores, {env['cpu']}")
    out.print(f"pre-imported in each sandbox server: {', '.join(info['preloaded'])}")
