"""MTPB, the Multi-Turn Programming Benchmark (CodeGen, Nijkamp et al., ICLR 2023).

115 problems, each a short program specified as 3 to 9 turns of natural language, with five
test cases. A test case's input values are written into the turn texts themselves, so each
(problem, test case) pair is one episode, and one ``Problem`` here: ``MTPB/<id>/<case>``.
The program's answer is the first argument of the last value it prints (a final bare
expression is printed); it is compared with the case's expected output by MTPB's type-tolerant
rules (``oracle.mtpb_equal``).

The episode carries its filled turns (``metadata["turns"]``) for the ``multiturn`` strategy,
and the single-turn baseline the paper compares against: every turn in one prompt, with the
sum of the per-turn token budgets.

Quirks of the data, handled here:
- problems 39-45 have no ``max_gen_length``; they get 256 tokens per turn, as the official
  sampler does;
- problem 57 lists six outputs for five inputs; as in the official code, inputs and outputs are
  paired in order and the extra output is ignored;
- input values are written into the turn text with ``str()``, placeholder by placeholder, so a
  turn with literal braces is left intact.
"""

from __future__ import annotations

from pathlib import Path

from codecrucible.benchmarks.data import DataFile, locate
from codecrucible.benchmarks.jsonl import read_records
from codecrucible.records import Problem
from codecrucible.sandbox import wire

MTPB_FILE = DataFile(
    relpath="mtpb/mtpb.jsonl",
    url="https://raw.githubusercontent.com/salesforce/CodeGen/main/codegen1/benchmark/mtpb.jsonl",
    sha256="3ab79ddb160f484a63491330ba72204930d56cc946f7c0c5fb469622a941f89c")
DEFAULT_TURN_TOKENS = 256
# What a program starts with, before the first turn (the official sampler's history prefix).
PREFIX = "# Import libraries.\n\nimport numpy as np\n"
# The third-party libraries MTPB's turns ask for (numpy, pandas, scikit-learn): a candidate may
# import them where they are installed; the rest of site-packages stays out of its sight.
ALLOWS = ("numpy", "pandas", "sklearn")
# A base model's single-turn answer is done at a blank gap or the end of its text.
SINGLE_TURN_STOPS = ("\n\n\n", "<|endoftext|>", "\nif __name__")
_FIELDS = ("id", "prompts", "inputs", "outputs", "category", "name")


class Mtpb:
    name = "mtpb"
    description = ("MTPB (CodeGen): 115 programs specified turn by turn, 5 test cases each; "
                   "one episode per test case")
    size = 575
    suites = ("base",)
    files = (MTPB_FILE,)

    def load(self, data_dir: Path | None) -> list[Problem]:
        records = read_records(locate(MTPB_FILE, data_dir), _FIELDS)
        return [episode for record in records for episode in episodes(record)]


def fill(template: str, values: dict) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", str(value))
    return template


def episodes(record: dict) -> list[Problem]:
    """One problem per test case (see the module docstring for the pairing rule)."""
    turn_tokens = int(record.get("max_gen_length", DEFAULT_TURN_TOKENS))
    out = []
    # Not strict: problem 57 has an extra output, which is ignored (module docstring).
    pairs = zip(record["inputs"], record["outputs"], strict=False)
    for case, (values, expected) in enumerate(pairs):
        turns = [fill(template, values) for template in record["prompts"]]
        out.append(Problem(
            task_id=f"MTPB/{record['id']}/{case}", benchmark="mtpb",
            prompt=PREFIX + "".join(f"# {turn}\n" for turn in turns),
            instruction=single_turn_instruction(turns),
            entry_point="", reference="", check="last_print", oracle="mtpb",
            expected_output=wire.dumps(expected),
            metadata={"name": record["name"], "prefix": PREFIX, "turns": turns, "allows": ALLOWS,
                      "groups": {"category": record["category"],
                                 "problem": f"MTPB/{record['id']}"},
                      "turn_max_tokens": turn_tokens,
                      "max_tokens": turn_tokens * len(turns), "stops": SINGLE_TURN_STOPS}))
    return out


def single_turn_instruction(turns: list[str]) -> str:
    steps = "\n".join(f"{n}. {turn}" for n, turn in enumerate(turns, 1))
    return ("Write a Python program that does the following steps in order, and reply with the "
            f"whole program in one Python code block:\n{steps}\n")
