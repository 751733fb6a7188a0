"""The records that flow through the spine: problems, verdicts and runs."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    check: str = "calls"             # "calls", "last_print" or "checked"
    expected_output: str | None = None  # wire-encoded, for "last_print"
    harness: str | None = None       # the program around SOLUTION_SLOT, for "checked"
    checker: str | None = None       # the program that judges its results, for "checked"
    metadata: dict = field(default_factory=dict, compare=False, hash=False)

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

    def __post_init__(self):
        # Its text comes from what a candidate sent back: made valid once, here.
        for name in ("first_failure", "stdout", "stderr"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, valid_text(value))

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED
