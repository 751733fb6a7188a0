"""Stores for the HTML report's tests, written through the store's own API (no model): runs of
two benchmarks (HumanEval+ and MBPP+), one of them a two-round repair, and a samples file
judged by ``crucible eval``'s code path."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from codecrucible.records import Attempt, Candidate, Completion, Request, Status, Verdict
from codecrucible.runs.from_model import RunConfig
from codecrucible.runs.from_samples import evaluate
from codecrucible.store import Store
from codecrucible.strategies.base import Budget, Sampling

MODEL = "embedded:qwen2.5-coder-0.5b"
PROMPT = "Write has_close_elements(numbers, threshold): any two closer than threshold?"
WRONG = "def has_close_elements(numbers, threshold):\n    return False\n"
RIGHT = ("def has_close_elements(numbers, threshold):\n"
         "    return any(abs(a - b) < threshold for i, a in enumerate(numbers)"
         " for b in numbers[i + 1:])\n")
FEEDBACK = "assert candidate([1.0, 2.0, 3.9, 4.0], 0.3) == True"
COMPLETION_PROMPT = 'def is_not_prime(n):\n    """Whether n is not a prime."""\n'
HOSTILE = "def f():\n    return '</script><script>alert(1)</script>'\n"


def verdicts(passed: bool, suites=("base", "plus"), cpu_s: float = 0.05) -> dict[str, Verdict]:
    if passed:
        return {s: Verdict(Status.PASSED, 3, 3, wall_s=0.1, cpu_s=cpu_s) for s in suites}
    return {s: Verdict(Status.FAILED, 1, 3, first_failure=FEEDBACK, wall_s=0.1, cpu_s=cpu_s)
            for s in suites}


def chat(*turns: tuple[str, str]) -> Request:
    return Request(messages=(("system", "You are a careful Python programmer."), *turns))


def answer(code: str, latency: float = 0.5) -> Completion:
    return Completion(f"Here it is:\n```python\n{code}```\n", 60, 30, latency)


def model_run(store: Store, benchmark: str, strategy: str, candidates: list[Candidate],
              **config) -> str:
    settings = RunConfig(model=MODEL, benchmark=benchmark, strategy=strategy, **config)
    run_id = store.create_run("run", benchmark, settings.key(), asdict(settings), {})
    store.add_candidates(run_id, candidates)
    store.finish_run(run_id)
    return run_id


def repair_candidate() -> Candidate:
    """Two rounds: a wrong first answer, its failure fed back, a right second answer."""
    first = chat(("user", PROMPT))
    second = chat(("user", PROMPT), ("assistant", answer(WRONG).text),
                  ("user", f"Your code failed this test:\n{FEEDBACK}\nFix it."))
    return Candidate("HumanEval/0", 0, [
        Attempt(0, first, answer(WRONG), WRONG, verdicts(False)),
        Attempt(1, second, answer(RIGHT, 0.7), RIGHT, verdicts(True))])


def single(task: str, code: str, passed: bool, sample: int = 0, latency: float = 0.5,
           request: Request | None = None) -> Candidate:
    return Candidate(task, sample, [Attempt(0, request or chat(("user", f"Solve {task}.")),
                                            answer(code, latency), code, verdicts(passed))])


def build(where: Path, data_dir: Path) -> tuple[Path, dict[str, str]]:
    """The store and its runs by role: repair, single, sampled (the single run's twin at
    temperature 0.8 with two samples), mbpp (another benchmark) and eval (a samples file)."""
    db = where / "runs.db"
    store = Store(db)
    ids = {}
    ids["repair"] = model_run(store, "humaneval+", "repair", [
        repair_candidate(), single("HumanEval/1", HOSTILE, False)], budget=Budget(rounds=1))
    ids["single"] = model_run(store, "humaneval+", "single", [
        single("HumanEval/0", WRONG, False, latency=0.2),
        single("HumanEval/1", HOSTILE, False, latency=0.2)])
    ids["sampled"] = model_run(store, "humaneval+", "single", [
        single("HumanEval/0", RIGHT, True, 0, 2.0), single("HumanEval/0", WRONG, False, 1, 2.0),
        single("HumanEval/1", HOSTILE, False, 0, 2.0),
        single("HumanEval/1", HOSTILE, False, 1, 2.0)],
        sampling=Sampling(n=2, temperature=0.8))
    ids["mbpp"] = model_run(store, "mbpp+", "single", [
        single("Mbpp/2", "def similar_elements(a, b):\n    return set(a) & set(b)\n", True),
        single("Mbpp/3", "def is_not_prime(n):\n    return n == 4\n", False,
               request=Request(prompt=COMPLETION_PROMPT))])
    samples = where / "humaneval_samples.jsonl"
    samples.write_text(json.dumps({"task_id": "HumanEval/0", "solution": RIGHT}) + "\n")
    ids["eval"] = evaluate(samples, "humaneval+", store, data_dir=data_dir, slots=1).run_id
    store.close()
    return db, ids
