"""OpenEvolve evaluator for circle packing n=26, scored exactly as crucible scores
``Discovery/circle_packing_26``.

OpenEvolve's documented interface: ``evaluate(program_path)`` returns metrics, among them
``combined_score`` (what it maximises). The fitness is crucible's own scorer,
``codecrucible/benchmarks/discovery_scorers.py:circle_packing``, loaded by file path (it needs
only the standard library): the sum of radii, 0 when the circles overlap, leave the unit square
or are not 26.

The candidate runs in a child Python (``run_candidate.py``) started with ``subprocess`` and the
evaluator's own environment, with a timeout after which that child is killed: the practice of
OpenEvolve's own circle-packing example evaluator (written anew here, nothing copied). Its
timeout is ``CIRCLE_CHILD_TIMEOUT_S`` (default 60 s); OpenEvolve's ``evaluator.timeout`` is
the outer limit.
"""

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from openevolve.evaluation_result import EvaluationResult

HERE = Path(__file__).resolve().parent
SCORERS = HERE.parent.parent / "src" / "codecrucible" / "benchmarks" / "discovery_scorers.py"
TAG = "openevolve-side-candidate"   # in the child's argv, so the hostile checks can find it
N = 26


def _scorers():
    spec = importlib.util.spec_from_file_location("crucible_discovery_scorers", SCORERS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


circle_packing = _scorers().circle_packing


def _run(program_path: str, timeout_s: float) -> tuple[object, str]:
    """(the value the program returned or None, what went wrong or "")."""
    argv = [sys.executable, str(HERE / "run_candidate.py"), program_path, TAG]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout_s} s"
    lines = done.stdout.strip().splitlines()
    last = lines[-1] if lines else ""
    if last.startswith("RESULT "):
        return json.loads(last[len("RESULT "):]), ""
    return None, (last or done.stderr.strip()[-500:] or f"exit code {done.returncode}")


def evaluate(program_path: str) -> EvaluationResult:
    """The metrics of one program; why it scored nothing goes back to the model as an
    artifact (OpenEvolve shows artifacts in the next prompt, as crucible shows the error)."""
    started = time.perf_counter()
    value, problem = _run(program_path, float(os.environ.get("CIRCLE_CHILD_TIMEOUT_S", "60")))
    score = 0.0
    if not problem:
        try:
            score = circle_packing([(N,)], [value])
        except ValueError as err:
            problem = str(err)
    metrics = {"combined_score": score, "sum_radii": score, "validity": 0.0 if problem else 1.0,
               "eval_time": time.perf_counter() - started}
    return EvaluationResult(metrics=metrics, artifacts={"error": problem[:500]} if problem else {})
