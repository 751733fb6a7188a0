"""The records that flow through the spine: problems, requests and completions, verdicts,
and the candidates (with every attempt that led to them) that strategies produce."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from enum import Enum


@dataclass(frozen=True)
class Problem:
    """One benchmark task and its tests.

    Tests come in one of two shapes. ``inputs`` maps a suite name ("base", "plus") to argument
    tuples for the entry point (EvalPlus data). ``snippets`` are test statements (asserts, or a
    ``check(candidate)`` call) that are run once against the reference solution in the sandbox,
    which records every call they make; the recorded arguments then become the inputs.
    Either way the expected outputs come from the reference solution, run in the sandbox.

    Whole-program problems (``check`` other than ``"calls"``) have no entry point to call:
    ``"last_print"`` compares the value the program printed last with ``expected_output``
    (MTPB); ``"checked"`` runs the candidate's code in ``harness``, which sends back each test
    case's result as data, and the benchmark's own ``checker`` judges those results in a
    process of its own, one the candidate never ran in (DS-1000, see ``checking.py``).

    A ``"score"`` problem is judged by a number, not by expected values: the entry point is
    called with each input as for ``"calls"``, and the values it returned (as data) go to
    ``scorer``, a trusted function in the harness (``"module:function"``) that returns the
    candidate's score, or raises when the values are not a valid answer (``correctness/
    score.py``). The candidate's process never computes its own score. A score problem whose
    ``metadata["game"]`` names a game is judged by playing it: the entry point is a policy,
    called on one observation at a time while the harness holds the game (``correctness/
    play.py``), and the score is its mean return.
    """

    task_id: str
    benchmark: str
    prompt: str                      # code prefix for completion models
    instruction: str                 # natural-language statement for chat models
    entry_point: str
    reference: str                   # a whole program that solves the task
    inputs: dict[str, list[tuple]] | None = None
    snippets: tuple[str, ...] | None = None
    snippet_oracles: tuple[str | None, ...] | None = None
    atol: float = 0.0
    oracle: str = "exact"
    check: str = "calls"             # "calls", "last_print", "checked" or "score"
    expected_output: str | None = None  # wire-encoded, for "last_print"
    harness: str | None = None       # the program around SOLUTION_SLOT, for "checked"
    checker: str | None = None       # the program that judges its results, for "checked"
    scorer: str | None = None        # "module:function" scoring the values, for "score"
    metadata: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def calls(self) -> bool:
        """Whether its tests call an entry point (``"calls"`` and ``"score"``)."""
        return self.check in ("calls", "score")

    def program(self, sample: dict) -> str:
        """The whole program a sample stands for: EvalPlus ``solution`` or prompt + completion;
        with a harness, the sample's code (solution or completion) placed in the checker."""
        if self.harness is not None:
            before, _, after = self.harness.rpartition(SOLUTION_SLOT)
            return before + repr(self.slot_code(sample)) + after
        if sample.get("solution") is not None:
            return sample["solution"]
        return self.prompt + (sample.get("completion") or "")

    @staticmethod
    def slot_code(sample: dict) -> str:
        """The code a sample puts in a harness's slot: its solution, or else its completion."""
        code = sample.get("solution")
        return sample.get("completion") or "" if code is None else code


# Where ``Problem.program`` puts a candidate's code, as a string literal, in a harness.
SOLUTION_SLOT = "__CRUCIBLE_SOLUTION__"


class Status(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    TIMEOUT = "timeout"
    MEMORY = "memory"
    OUTPUT_LIMIT = "output_limit"
    KILLED = "killed"
    NO_CODE = "no_code"


def valid_text(text: str) -> str:
    """``text`` as UTF-8 can hold it. A lone surrogate (a candidate can put one in an
    exception's name, or in any JSON string it writes) becomes its escape, ``\\ud800``,
    instead of failing whatever writes the text: the store, the terminal, a JSON file."""
    if text.isascii():
        return text
    try:
        text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode()
    return text


@dataclass(frozen=True)
class Verdict:
    """What running one candidate against one test suite showed."""

    status: Status
    tests_passed: int
    tests_total: int
    first_failure: str | None = None
    stdout: str = ""
    stderr: str = ""
    wall_s: float | None = None
    cpu_s: float | None = None
    max_rss_kb: int | None = None
    score: float | None = None       # a score problem's score, when its values were valid
    # What the trusted scorer found besides the score (``Scored``): plain named numbers.
    components: dict[str, float] = field(default_factory=dict, hash=False)
    stage: str | None = None         # the cascade stage that decided it (``cascade.py``)

    def __post_init__(self):
        # Its text comes from what a candidate sent back: made valid once, here.
        for name in ("first_failure", "stdout", "stderr"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, valid_text(value))

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED


def components_text(components: dict[str, float]) -> str:
    """A scorer's components, compactly: ``"sum_of_radii 2.54, circles 26"``."""
    return ", ".join(f"{name} {value:.6g}" for name, value in components.items())


@dataclass(frozen=True)
class Scored:
    """What a score problem's trusted scorer returns: the score, and the named numbers that
    explain it (for circle packing: the sum of radii, the circles, the largest overlap)."""

    score: float
    components: dict[str, float] = field(default_factory=dict)


class Invalid(ValueError):
    """What a trusted scorer raises for values that are not a valid answer, with the numbers
    that show by how much (a plain ``ValueError`` says why without them)."""

    def __init__(self, why: str, components: dict[str, float]):
        super().__init__(why)
        self.components = components


@dataclass(frozen=True)
class Request:
    """One generation request. ``messages`` (chat) or ``prompt`` (plain completion), not both.

    ``prefill`` starts the assistant's answer (a chat model then continues it); backends whose
    API cannot prefill ignore it, which the prompt texts tolerate. ``temperature == 0`` is greedy.
    ``trial`` is the sample (one trial of a search) the request belongs to: with several models
    in a run it picks the one that answers (``models.ensemble``); it is not part of the
    question, so the response cache ignores it.
    """

    prompt: str | None = None
    messages: tuple[tuple[str, str], ...] | None = None   # (role, content) pairs
    prefill: str = ""
    max_tokens: int = 768
    temperature: float = 0.0
    top_p: float = 0.95
    seed: int = 0
    stop: tuple[str, ...] = ()
    trial: int | None = None

    def __post_init__(self):
        if (self.prompt is None) == (self.messages is None):
            raise ValueError("a request has either a prompt or messages")

    @property
    def is_chat(self) -> bool:
        return self.messages is not None

    def key(self, model_identity: str) -> str:
        """The response-cache key: the model's identity and the whole request, seed included.
        Greedy decoding ignores the seed, so it does not split the cache."""
        fields = asdict(self)
        del fields["trial"]  # who answers is the identity's business, not the request's
        if self.temperature == 0:
            fields["seed"] = None
        blob = json.dumps([model_identity, fields], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()

    def with_seed(self, seed: int) -> Request:
        return replace(self, seed=seed)


@dataclass(frozen=True)
class Completion:
    text: str
    tokens_in: int
    tokens_out: int
    latency_s: float
    finish_reason: str = "stop"       # "stop", "length", or "timeout" (the call's time ran out)
    cached: bool = False              # served by the response cache: no model time spent
    model: str | None = None          # the spec of the model that wrote it

    @property
    def timed_out(self) -> bool:
        """Ended by the call's wall-clock bound (``ModelOptions.call_timeout_s``): the text is
        what came before it (llama.cpp) or empty (a server)."""
        return self.finish_reason == "timeout"

    def as_cached(self) -> Completion:
        return replace(self, cached=True)


@dataclass
class Attempt:
    """One model call and what came of it: the request, the answer, the code extracted from it
    (``None`` when it held none) and its verdicts per suite. ``round`` is the repair round or
    the turn that produced it."""

    round: int
    request: Request
    completion: Completion
    code: str | None
    verdicts: dict[str, Verdict] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return bool(self.verdicts) and all(v.passed for v in self.verdicts.values())


@dataclass
class Candidate:
    """One sample of one problem, with every attempt that led to it; the last one is judged."""

    task_id: str
    sample: int
    attempts: list[Attempt]

    @property
    def final(self) -> Attempt:
        return self.attempts[-1]

    @property
    def tokens(self) -> tuple[int, int]:
        return (sum(a.completion.tokens_in for a in self.attempts),
                sum(a.completion.tokens_out for a in self.attempts))
