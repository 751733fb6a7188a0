"""Budgets of rounds, model calls and tokens; each strategy's own check of what it accepts;
strategies see the model's declared capabilities and the referee's protocol only."""

from __future__ import annotations

import typing
from concurrent.futures import Future
from dataclasses import asdict

import pytest

from codecrucible import strategies
from codecrucible.models import CachedModel, Model, ModelOptions
from codecrucible.records import Completion, Problem, Status, Verdict
from codecrucible.runs.from_model import RunConfig, RunError, _workers
from codecrucible.strategies import Budget, Context, Referee, Sampling

PROBLEM = Problem(task_id="T/0", benchmark="tiny", prompt="def one():\n",
                  instruction="Write one() returning 1.", entry_point="one",
                  reference="def one():\n    return 1\n")
ANSWER = "```python\ndef one():\n    return 0\n```"


class _Backend:
    spec = identity = "fake:"
    chat, prefills, serial, concurrency = True, True, False, 6

    def __init__(self, tokens_out: int = 3):
        self.calls, self.tokens_out, self.requests = 0, tokens_out, []

    def generate(self, requests):
        self.calls += len(requests)
        self.requests += requests
        return [Completion(ANSWER, 10, self.tokens_out, 0.0) for _ in requests]

    def describe(self):
        return {}

    def close(self):
        pass


class _AlwaysFails:
    def __init__(self):
        self.submitted = 0

    def submit(self, task_id, code):
        self.submitted += 1
        done = Future()
        done.set_result({"base": Verdict(Status.FAILED, 0, 1, "assert one() == 1")})
        return done


def repaired(budget: Budget, tokens_out: int = 3, temperature: float = 0.5
             ) -> tuple[list[int], _Backend]:
    backend = _Backend(tokens_out)
    ctx = Context(CachedModel(backend, None), _AlwaysFails(),
                  Sampling(n=2, temperature=temperature), budget)
    candidates = strategies.get("repair")(PROBLEM, [0, 1], ctx)
    return [len(c.attempts) for c in candidates], backend


def test_by_default_repair_spends_every_round():
    attempts, backend = repaired(Budget(rounds=3))
    assert attempts == [4, 4] and backend.calls == 8


def test_repair_stops_when_a_samples_calls_are_spent():
    attempts, backend = repaired(Budget(rounds=3, calls=2))
    assert attempts == [2, 2] and backend.calls == 4


def test_repair_stops_when_a_samples_tokens_are_spent():
    # 13 tokens an attempt: after two (26) a budget of 30 allows a third, not a fourth.
    attempts, _ = repaired(Budget(rounds=5, tokens=30))
    assert attempts == [3, 3]
    attempts, _ = repaired(Budget(rounds=5, tokens=26))
    assert attempts == [2, 2]


def test_greedy_repair_never_resends_a_request_the_model_already_answered():
    # The model repeats its failing program: round 1 asks for a fix, round 2 says the program
    # was a repeat, and then the sample stops, its last rounds spent, as a call could only
    # return the same program.
    attempts, backend = repaired(Budget(rounds=5), temperature=0)
    assert attempts == [3, 3] and backend.calls == 6
    texts = [r.messages[-1][1] for r in backend.requests]
    assert sum("already answered with this same program" in t for t in texts) == 2
    distinct = {(r.messages, r.prompt) for r in backend.requests}
    assert len(distinct) == 3  # the two samples share each greedy request; none is resent


def test_the_first_attempt_is_always_made():
    attempts, _ = repaired(Budget(rounds=2, calls=0, tokens=0))
    assert attempts == [1, 1]


def test_stored_configs_without_the_new_budget_fields_still_read():
    stored = asdict(RunConfig(strategy="repair", budget=Budget(rounds=2)))
    stored["budget"] = {"rounds": 2}  # a store written before calls and tokens were counted
    config = RunConfig.from_dict(stored)
    assert config.budget == Budget(rounds=2, calls=None, tokens=None)
    assert RunConfig.from_dict(asdict(config)) == config


def test_a_run_made_before_no_dedupe_existed_keeps_its_key_and_resumes():
    # the key codecrucible gave the default config before --no-dedupe existed (f079e04)
    assert RunConfig().key() == \
        "b8fcbc92bb60c5a5c812045b0f48c238d1eaeaf643599a055ebf0db662112dda"
    assert RunConfig(dedupe=False).key() != RunConfig().key()
    assert RunConfig.from_dict(asdict(RunConfig(dedupe=False))).dedupe is False


@pytest.mark.parametrize("strategy", ["single", "multiturn"])
def test_strategies_without_rounds_refuse_them_with_the_engines_wording(strategy):
    wording = "--rounds applies to the repair and evolve strategies only"
    with pytest.raises(ValueError, match=wording):
        strategies.get(strategy).check(Budget(rounds=1), ())
    with pytest.raises(RunError, match=wording):
        RunConfig(strategy=strategy, budget=Budget(rounds=1)).check()
    strategies.get(strategy).check(Budget(calls=3, tokens=1000), ())  # budgets of any study


def test_multiturn_checks_its_problems_have_turns():
    multiturn = strategies.get("multiturn")
    with pytest.raises(ValueError, match=r"turn by turn \(mtpb\); tiny has no turns"):
        multiturn.check(Budget(), [PROBLEM])
    turned = Problem(**(vars(PROBLEM) | {"metadata": {"turns": ["Write one."]}}))
    multiturn.check(Budget(), [turned])
    strategies.get("repair").check(Budget(rounds=3), [PROBLEM])


def test_strategies_see_the_protocols_not_the_concrete_classes():
    hints = typing.get_type_hints(Context)
    assert hints["referee"] is Referee and hints["model"] is Model


def test_models_declare_what_they_can_do():
    from codecrucible.models.hf import HFModel
    from codecrucible.models.llama import LlamaModel
    from codecrucible.models.openai_api import open_openai
    remote = open_openai("http://server.invalid:9/v1#m", ModelOptions(concurrency=8))
    assert (remote.prefills, remote.serial, remote.concurrency) == (False, False, 8)
    for local in (LlamaModel, HFModel):
        assert (local.prefills, local.serial, local.concurrency) == (True, True, 1)
    cached = CachedModel(_Backend(), None)
    assert (cached.prefills, cached.serial, cached.concurrency) == (True, False, 6)
    assert isinstance(cached, Model)
    assert _workers(cached, samples=2) == 3  # a server's concurrency, shared by samples
    serial = _Backend()
    serial.serial = True
    assert _workers(CachedModel(serial, None), samples=2) == 2

