"""What the perf scripts share: paths, the printed log, timed subprocesses, medians.

Stdlib only and Python 3.9+, like ``eval_speed.py`` (run by any /usr/bin/python3). The scripts
import it as ``common`` (their own directory is first on ``sys.path`` when run as files).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PERF = ROOT / "perf"
CRUCIBLE_DEFAULT = ROOT / ".venv" / "bin" / "crucible"
VENVS = PERF / ".venvs"     # the peer tools' throwaway venvs (git-ignored)
SYS_PYTHON = Path("/usr/bin/python3")

LOG_LINES: list[str] = []


def say(message: str = "") -> None:
    """Print a line of the report and keep it for the report file (``write_log``)."""
    LOG_LINES.append(message)
    try:
        print(message, flush=True)
    except BrokenPipeError:  # e.g. piped into `head`: keep going, the files are still written
        sys.stdout = open(os.devnull, "w")


def write_log(path: Path) -> None:
    """Every line ``say`` printed, as a text file."""
    path.write_text("\n".join(LOG_LINES) + "\n")


def say_header(header: str, rule_extra: int = 0) -> None:
    """A table's column header and the rule under it."""
    say(header)
    say("-" * (len(header) + rule_extra))


def host_line(script: str, extra: str = "") -> str:
    """``== SCRIPT: host (N CPUs), Python X.Y.Z`` and anything after it."""
    return (f"== {script}: {platform.node()} ({os.cpu_count()} CPUs), Python "
            f"{platform.python_version()}{extra}")


def ensure_venv(name: str, requirements: list[str]) -> Path:
    """``perf/.venvs/NAME``, a throwaway venv from /usr/bin/python3 holding ``requirements``
    (made once, remade when they change): its python."""
    venv = VENVS / name
    python = venv / "bin" / "python"
    marker = venv / ".perf-installed"
    wanted = "\n".join(requirements)
    if python.exists() and marker.exists() and marker.read_text() == wanted:
        say(f"venv {name}: present ({venv})")
        return python
    if venv.exists():
        shutil.rmtree(venv)
    say(f"venv {name}: creating from {SYS_PYTHON} and installing {' '.join(requirements)} ...")
    started = time.perf_counter()
    subprocess.run([str(SYS_PYTHON), "-m", "venv", str(venv)], check=True)
    result = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         *requirements],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        sys.exit(f"pip install {' '.join(requirements)} failed in {venv}:\n{result.stdout[-4000:]}")
    marker.write_text(wanted)
    say(f"venv {name}: ready in {time.perf_counter() - started:.0f} s")
    return python


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    """The ``--data-dir`` option every script takes: the offline benchmark data."""
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("CRUCIBLE_DATA_DIR")
                                     or ROOT.parent / "shared" / "datasets"),
                        help="offline benchmark data (default $CRUCIBLE_DATA_DIR or "
                             "../shared/datasets)")


def run_process(argv: list[str], env: dict, cwd: Path, log: Path, timeout: int
                ) -> tuple[int | str, float]:
    """Run ``argv`` in its own session with its output in ``log``: (exit code or "timeout",
    wall seconds). On timeout or Ctrl-C the whole session is killed: the process and what it
    started."""
    with open(log, "w") as handle:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=handle,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            rc = "timeout"
        except BaseException:  # Ctrl-C never reaches its own session: end it here
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        return rc, time.perf_counter() - started


def log_tail(log: Path, lines: int) -> str:
    """The last ``lines`` lines of a subprocess's log."""
    return "\n".join(log.read_text(errors="replace").strip().splitlines()[-lines:])


def median(records: list[dict], key: str) -> float:
    """The median of one field over repetitions."""
    return statistics.median(r[key] for r in records)


def timestamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
