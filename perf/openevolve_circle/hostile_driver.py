"""Judges one program through OpenEvolve's own evaluation path, for ``side_hostile.py``.

``python hostile_driver.py PROGRAM TIMEOUT_S``: builds OpenEvolve's ``Evaluator`` with an
``EvaluatorConfig`` whose ``timeout`` is TIMEOUT_S (no cascade), on ``evaluator.py`` here, and
awaits ``evaluate_program`` on the program's code, as an OpenEvolve worker does. Prints one
line, ``VERDICT <json>`` (the metrics, the artifacts and the seconds until them), then returns normally, so
that whatever the evaluation left behind (a thread still waiting, a child) lives on as it
would in a long OpenEvolve run: the caller looks for leftovers meanwhile, then ends us.
"""

import asyncio
import json
import sys
import time
from pathlib import Path

from openevolve.config import EvaluatorConfig
from openevolve.evaluator import Evaluator


async def judge(code: str, timeout_s: int) -> tuple[dict, dict]:
    """The metrics, and the artifacts OpenEvolve would show the model next."""
    config = EvaluatorConfig(timeout=timeout_s, cascade_evaluation=False)
    evaluator = Evaluator(config, str(Path(__file__).resolve().parent / "evaluator.py"))
    metrics = await evaluator.evaluate_program(code, "hostile")
    return metrics, evaluator.get_pending_artifacts("hostile") or {}


def main() -> None:
    started = time.perf_counter()
    metrics, artifacts = asyncio.run(judge(Path(sys.argv[1]).read_text(), int(sys.argv[2])))
    verdict = {"metrics": metrics, "artifacts": artifacts,
               "seconds": time.perf_counter() - started}
    print("VERDICT " + json.dumps(verdict, default=str), flush=True)


if __name__ == "__main__":
    main()
