"""The parts of generation that need no model: cache keys, the response cache, prompts and
repair feedback, and the judge fed from several threads at once."""

from __future__ import annotations

import threading

import pytest

from codecrucible.benchmarks import get as get_benchmark
from codecrucible.correctness.calibrate import calibrate, data_key
from codecrucible.correctness.expected import TimeLimits
from codecrucible.correctness.referee import Referee
from codecrucible.models import Completion, Request
from codecrucible.models.cache import CachedModel, ResponseCache
from codecrucible.records import Status, Verdict
from codecrucible.strategies import prompting


def test_cache_key_covers_the_request_and_ignores_the_seed_only_when_greedy():
    chat = Request(messages=(("user", "hi"),), temperature=0.0, seed=1)
    assert chat.key("m") == Request(messages=(("user", "hi"),), temperature=0.0, seed=2).key("m")
    assert chat.key("m") != chat.key("other-model")
    hot = Request(prompt="def f():", temperature=0.8, seed=1)
    assert hot.key("m") != hot.with_seed(2).key("m")
    assert hot.key("m") != Request(prompt="def f():", temperature=0.8, seed=1,
                                   max_tokens=5).key("m")
    with pytest.raises(ValueError):
        Request()


class _Counting:
    """A backend that counts its calls, to see what the cache spares it."""

    spec, identity, chat = "count:x", "count:x", True
    prefills, serial, concurrency = False, False, 4

    def __init__(self):
        self.calls = 0

    def generate(self, requests):
        self.calls += len(requests)
        return [Completion(f"answer {r.seed}", 10, 3, 0.5) for r in requests]

    def describe(self):
        return {}

    def close(self):
        pass


def test_response_cache_serves_repeats_marks_hits_and_meters(tmp_path):
    backend = _Counting()
    model = CachedModel(backend, ResponseCache(tmp_path / "r.sqlite"))
    requests = [Request(prompt="p", temperature=1.0, seed=s) for s in (1, 2)]
    first = model.generate(requests)
    assert backend.calls == 2 and not any(c.cached for c in first)
    again = model.generate(requests + [Request(prompt="p", temperature=1.0, seed=3)])
    assert backend.calls == 3
    assert [c.cached for c in again] == [True, True, False]
    assert [c.text for c in again[:2]] == [c.text for c in first]
    meter = model.meter
    assert (meter.calls, meter.cache_hits, meter.tokens_out) == (5, 2, 15)
    assert meter.model_s == pytest.approx(1.5)  # hits cost no model time
    model.close()
    reopened = CachedModel(_Counting(), ResponseCache(tmp_path / "r.sqlite"))
    assert reopened.generate(requests[:1])[0].cached  # the cache outlives the process


def test_chat_and_completion_prompts(data_dir):
    problem = next(p for p in get_benchmark("humaneval").load(data_dir)
                   if p.task_id == "HumanEval/2")
    chat = prompting.first_request(problem, chat=True, max_tokens=100)
    assert chat.is_chat and problem.prompt.strip() in chat.messages[0][1]
    assert chat.prefill.endswith("```python\n")
    plain = prompting.first_request(problem, chat=False)
    assert plain.prompt == problem.prompt and "\ndef " in plain.stop
    # A completion is stitched onto the prompt and cut at the next top-level line.
    body = "    return number % 1.0\n\nprint(truncate_number(3.5))\n"
    program = prompting.program(problem, plain, body)
    assert program.rstrip().endswith("return number % 1.0") and "print(" not in program
    # A chat answer continues the prefilled block; prose after it is dropped.
    answer = "def truncate_number(number):\n    return number % 1.0\n```\nThis works."
    assert "This works" not in prompting.program(problem, chat, answer)
    assert prompting.program(problem, chat.with_seed(0), "Sorry, I cannot.") is None


def test_repair_request_carries_the_failure_for_chat_and_completion(data_dir):
    problem = get_benchmark("humaneval").load(data_dir)[0]
    verdict = Verdict(Status.FAILED, 2, 7, "base test 2: input ([1.0, 2.0], 0.5) gave True, "
                      "expected False")
    chat = prompting.first_request(problem, chat=True)
    fixed = prompting.repair_request(problem, chat, "def has_close_elements(n, t): return 1",
                                     verdict)
    assert [role for role, _ in fixed.messages] == ["user", "assistant", "user"]
    assert "expected False" in fixed.messages[-1][1] and "has_close_elements" in \
        fixed.messages[1][1]
    plain = prompting.first_request(problem, chat=False)
    again = prompting.repair_request(problem, plain, None, verdict)
    assert again.prompt.endswith(problem.prompt) and "# The answer above contains no" in \
        again.prompt


def test_judge_serves_several_threads_at_once(data_dir, sandbox_pool, reference_pool):
    bench = get_benchmark("humaneval")
    problems = {p.task_id: p for p in bench.load(data_dir)[:2]}
    tests = calibrate(list(problems.values()), reference_pool,
                      data_key(*(f.sha256 for f in bench.files)))
    judge = Referee(problems, tests, sandbox_pool, TimeLimits())
    right = {task: p.reference for task, p in problems.items()}
    wrong = {task: f"def {p.entry_point}(*a):\n    return None\n" for task, p in
             problems.items()}
    results: dict = {}

    def worker(n: int) -> None:
        task = sorted(problems)[n % 2]
        code = right[task] if n % 3 else wrong[task]
        results[n] = (n % 3 != 0, judge.submit(task, code).result(timeout=60))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    judge.close()
    assert len(results) == 12
    for should_pass, verdicts in results.values():
        assert verdicts["base"].passed is should_pass
    assert judge.submit(sorted(problems)[0], None).result()["base"].status is Status.NO_CODE
