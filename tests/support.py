"""Helpers several test modules share (fixtures live in conftest.py)."""

from __future__ import annotations

import collections
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from codecrucible import benchmarks
from codecrucible.records import Problem

CRUCIBLE = str(Path(sys.executable).with_name("crucible"))


# A store as the first schema made it: runs and verdicts (before verdicts had a score), one run
# ``r1`` with one passing verdict. ``sqlite3``'s ``executescript`` it into a fresh file.
STORE_VERSION_1 = """
    CREATE TABLE runs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, benchmark TEXT NOT NULL,
        config_key TEXT NOT NULL, config TEXT NOT NULL, environment TEXT NOT NULL,
        created REAL NOT NULL, finished REAL);
    CREATE TABLE verdicts (run_id TEXT NOT NULL, task_id TEXT NOT NULL,
        sample INTEGER NOT NULL, suite TEXT NOT NULL, status TEXT NOT NULL,
        tests_passed INTEGER NOT NULL, tests_total INTEGER NOT NULL, first_failure TEXT,
        stdout TEXT, stderr TEXT, wall_s REAL, cpu_s REAL, max_rss_kb INTEGER,
        created REAL NOT NULL, PRIMARY KEY (run_id, task_id, sample, suite));
    INSERT INTO runs VALUES ('r1', 'eval', 'humaneval', 'k', '{}', '{}', 1.0, 2.0);
    INSERT INTO verdicts VALUES ('r1', 'HumanEval/0', 0, 'base', 'passed', 3, 3, NULL,
        '', '', 0.1, 0.1, 1000, 1.0);
"""


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


class LocalServer:
    """A real HTTP server on 127.0.0.1 that answers its n-th POST (from 1) as ``answer(n)``
    says: a status and a JSON body, or None to hold the request unanswered until closed."""

    def __init__(self, answer: Callable[[int], tuple[int, dict] | None]):
        self.requests = 0
        closing = self._closing = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests += 1
                reply = answer(outer.requests)
                if reply is None:
                    closing.wait(120)
                    return
                status, body = reply
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._closing.set()
        self.server.shutdown()
        self.server.server_close()


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def browse(url: str, *flags: str) -> subprocess.CompletedProcess:
    """Headless Chromium on ``url``; the page's console messages come out on stderr."""
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           "--no-first-run", "--enable-logging=stderr", "--v=0", *flags, url],
                          capture_output=True, text=True, timeout=120)


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def embedded_installed(name: str) -> bool:
    """Whether the embedded model's package (an optional extra) is installed."""
    from codecrucible.models import ModelError
    from codecrucible.models.llama import CATALOG, chunk_files
    try:
        chunk_files(CATALOG[name])
    except ModelError:
        return False
    return True
