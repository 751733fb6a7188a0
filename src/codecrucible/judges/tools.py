"""The linters the judges wrap, run once per batch of programs.

ruff runs as its own binary over a temporary directory holding one file per program, with no
configuration but the rules asked for (``--isolated``), so a project's own settings never change
a score. bandit runs in-process on the same files; both only parse the code.
"""

from __future__ import annotations

import json
import logging
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

_RUFF_TIMEOUT_S = 300


@contextmanager
def program_files(programs: Sequence[str]) -> Iterator[list[Path]]:
    with tempfile.TemporaryDirectory(prefix="crucible-judge-") as directory:
        paths = [Path(directory, f"candidate_{i}.py") for i in range(len(programs))]
        for path, program in zip(paths, programs, strict=True):
            path.write_text(program, encoding="utf-8")
        yield paths


def ruff(programs: Sequence[str], select: Sequence[str]) -> list[list[dict]]:
    """ruff's JSON findings for each program, with only the ``select``ed rules."""
    from ruff.__main__ import find_ruff_bin

    with program_files(programs) as paths:
        command = [find_ruff_bin(), "check", "--isolated", "--no-cache", "--exit-zero",
                   "--output-format", "json", "--select", ",".join(select),
                   str(paths[0].parent)] if paths else None
        if command is None:
            return []
        done = subprocess.run(command, capture_output=True, text=True, timeout=_RUFF_TIMEOUT_S,
                              env={"PATH": "/usr/bin:/bin"})
        if done.returncode != 0:
            raise RuntimeError(f"ruff failed: {done.stderr.strip()[-300:]}")
        index = {path.name: i for i, path in enumerate(paths)}
        out: list[list[dict]] = [[] for _ in programs]
        for finding in json.loads(done.stdout or "[]"):
            out[index[Path(finding["filename"]).name]].append(finding)
        return out


def bandit(programs: Sequence[str]) -> list[list]:
    """bandit's issues for each program (all severities and confidences)."""
    from bandit.core import config, manager

    logging.getLogger("bandit").setLevel(logging.ERROR)  # it warns about every odd file
    with program_files(programs) as paths:
        if not paths:
            return []
        runner = manager.BanditManager(config.BanditConfig(), "file", quiet=True)
        runner.discover_files([str(p) for p in paths])
        runner.run_tests()
        index = {str(path): i for i, path in enumerate(paths)}
        out: list[list] = [[] for _ in programs]
        for issue in runner.get_issue_list():
            out[index[issue.fname]].append(issue)
        return out
