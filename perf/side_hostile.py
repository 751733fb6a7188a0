"""Hostile candidates for ``openevolve_side.py --hostile``: what OpenEvolve's evaluation path and
crucible's sandbox each do with a program that never ends, one that leaves a child behind, and
one that looks for an API key in its environment.

Every candidate answers circle packing n=26 (``pack_circles``), so both systems judge it as an
ordinary program of the task. Each names its processes with a marker unique to the run (the
process name via ``prctl(PR_SET_NAME)``, and the argv of an ``exec``'d child), so leftovers are
found in /proc, counted a few seconds after the verdict, and then killed by pid here. The key
check sets a fake ``OPENAI_API_KEY`` in the judging process's environment; the candidate raises
an error quoting the variable, and the key "reached the candidate" when the verdict shows it.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
from pathlib import Path

SETTLE_S = 3.0   # how long after the verdict leftovers are counted
HEADER = '''\
import ctypes
import os
import sys
import time

MARK = "{mark}"
GAP = 0.1 * (2 ** 0.5 - 1)


def _mark():
    try:  # name this process MARK (prctl PR_SET_NAME), so that ps finds it
        ctypes.CDLL(None).prctl(15, MARK.encode(), 0, 0, 0)
    except Exception:
        pass


def _grid(gap):
    circles = [(0.1 + 0.2 * i, 0.1 + 0.2 * j, 0.1) for i in range(5) for j in range(5)]
    return circles + [(0.2, 0.2, gap)]
'''
BODIES = {
    "never ends (while True: pass)": '''
def pack_circles(n):
    _mark()
    while True:
        pass
''',
    "forks a child that sleeps 300 s": '''
def pack_circles(n):
    if os.fork() == 0:
        _mark()
        try:
            os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(300)", MARK])
        except Exception:
            time.sleep(300)
        os._exit(0)
    return _grid(GAP)
''',
    "reads OPENAI_API_KEY": '''
def pack_circles(n):
    raise ValueError(f"OPENAI_API_KEY={os.environ.get('OPENAI_API_KEY')!r}")
''',
}


def write_candidates(folder: Path, mark: str) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for i, (name, body) in enumerate(BODIES.items()):
        paths[name] = folder / f"hostile_{i}.py"
        paths[name].write_text(HEADER.format(mark=mark) + body)
    return paths


def marked(mark: str) -> list[int]:
    """Live processes carrying ``mark`` in their name or argv (never this process)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            name = (entry / "comm").read_text().strip()
            argv = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and (name == mark[:15] or mark in argv):
            found.append(int(entry.name))
    return found


def kill_all(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def judge_openevolve(python: Path, driver: Path, program: Path, timeout_s: int, env: dict,
                     mark: str) -> dict:
    """One program through OpenEvolve's ``Evaluator`` (``hostile_driver.py``)."""
    started = time.perf_counter()
    proc = subprocess.Popen([str(python), str(driver), str(program), str(timeout_s)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    verdict, shown = None, ""
    try:
        for line in proc.stdout:
            if line.startswith("VERDICT "):
                verdict = json.loads(line[len("VERDICT "):])
                shown = line
                break
        seconds = time.perf_counter() - started
        time.sleep(SETTLE_S)
        left = marked(mark)
        busy = proc.poll() is None
    finally:
        kill_group(proc)
    kill_all(left)
    metrics = (verdict or {}).get("metrics") or {}
    score = metrics.get("combined_score") if metrics.get("validity") else None
    outcome = "timeout" if metrics.get("timeout") else (
        f"score {score:.4f}" if score is not None else "invalid")
    return {"verdict": outcome, "seconds": round(seconds, 1), "left_running": len(left),
            "judge_still_busy": busy, "shown": shown}


def judge_crucible(crucible: Path, program: Path, data_dir: Path, env: dict, mark: str) -> dict:
    """One program through ``crucible judge`` (the sandbox)."""
    started = time.perf_counter()
    done = subprocess.run([str(crucible), "judge", str(program), "-b", "discovery", "--task",
                           "Discovery/circle_packing_26", "--data-dir", str(data_dir), "--json"],
                          env=env, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - started
    time.sleep(SETTLE_S)
    left = marked(mark)
    kill_all(left)
    try:
        verdict = next(iter(json.loads(done.stdout)["verdicts"].values()))
    except (ValueError, KeyError, StopIteration):
        raise SystemExit(f"crucible judge gave no verdict:\n{done.stdout}\n{done.stderr}") from None
    return {"verdict": verdict["status"], "seconds": round(seconds, 1),
            "left_running": len(left), "judge_still_busy": False, "shown": done.stdout}


def run_hostile(folder: Path, oe_python: Path, driver: Path, crucible: Path, data_dir: Path,
                timeout_s: int, base_env: dict) -> list[dict]:
    """Every hostile candidate through both systems; one row per (candidate, system)."""
    mark = "ocs" + secrets.token_hex(4)
    key = "sk-side-" + secrets.token_hex(8)
    env = dict(base_env, OPENAI_API_KEY=key)
    rows = []
    for name, path in write_candidates(folder, mark).items():
        for system, judge in (
                ("OpenEvolve", lambda p: judge_openevolve(oe_python, driver, p, timeout_s,
                                                          env, mark)),
                ("crucible", lambda p: judge_crucible(crucible, p, data_dir, env, mark))):
            row = {"candidate": name, "system": system, **judge(path)}
            row["key_reached_candidate"] = key in row.pop("shown")
            rows.append(row)
    return rows
