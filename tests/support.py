"""Helpers several test modules share (fixtures live in conftest.py)."""

from __future__ import annotations

import collections
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from codecrucible import benchmarks
from codecrucible.records import Problem

CRUCIBLE = str(Path(sys.executable).with_name("crucible"))


def crucible(*args: str, env_extra: dict | None = None, timeout: float = 600):
    """The installed ``crucible`` command, run as a user would, with its output captured."""
    env = dict(os.environ) | (env_extra or {})
    return subprocess.run([CRUCIBLE, *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def run_id_of(output: str) -> str:
    return re.search(r"run ([0-9a-f]{12}) is in", output).group(1)


def first_of_each_library(problems, leave_out=()) -> list[Problem]:
    """The first two judgeable DS-1000 problems of each installed library (the network-free
    ones)."""
    chosen, seen = [], collections.Counter()
    for problem in problems:
        library = problem.metadata["library"]
        if seen[library] < 2 and not benchmarks.unavailable([problem]) \
                and not problem.metadata["unjudgeable"] and problem.task_id not in leave_out:
            chosen.append(problem)
            seen[library] += 1
    return chosen
