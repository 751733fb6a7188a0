"""Seed instructions for evolution: MBPP's training splits, or a user's Code Alpaca file.

MBPP's own README reserves tasks 11-510 for evaluation; 1-10 (prompting), 511-600
(validation) and 601-974 (training) are free to learn from: 474 tasks. MBPP+ is drawn from the
evaluation split, so a seed from it would leak the benchmark the tuned model is judged on;
``mbpp_seeds`` therefore filters by id and never yields 11-510, whatever the file holds.

MBPP+ (v0.2.0) is not drawn from the test split alone: 154 of its 378 tasks are seed tasks
(2-9 and 554-809). Training on them would contaminate MBPP+ before and after fine-tuning, so
``mbpp`` leaves them out too (320 seeds); ``mbpp-all`` keeps them (all 474) for whoever evaluates
on neither.

A Code Alpaca file is JSON Lines with ``instruction``, ``input`` and ``output``; a line that
is not such an object is a one-line error naming the file and the line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from codecrucible.benchmarks.data import DataError, locate
from codecrucible.benchmarks.evalplus import MBPP_PLUS
from codecrucible.benchmarks.jsonl import read_records
from codecrucible.benchmarks.mbpp import MBPP_FULL

MBPP_TEST_SPLIT = range(11, 511)
MBPP_SEED_IDS = (*range(1, 11), *range(511, 601), *range(601, 975))  # prompt, validation, train
MBPP_SOURCES = ("mbpp", "mbpp-all")
ALPACA_FIELDS = ("instruction", "input", "output")


class SeedError(ValueError):
    """Seeds that cannot be read: the message names the file and line."""


@dataclass(frozen=True)
class Seed:
    """One seed: an instruction and its answer (MBPP's reference code, Alpaca's output)."""

    id: str
    instruction: str
    output: str


def load_seeds(source: str, data_dir: Path | None, limit: int | None = None) -> list[Seed]:
    """``mbpp`` (from the data directory or the user cache; ``mbpp-all`` with MBPP+'s tasks),
    or a path to a Code Alpaca file; the first ``limit`` of them."""
    if source in MBPP_SOURCES:
        seeds = mbpp_seeds(data_dir, with_mbpp_plus=source == "mbpp-all")
    else:
        seeds = alpaca_seeds(Path(source))
    return seeds[:limit] if limit is not None else seeds


def mbpp_seeds(data_dir: Path | None, with_mbpp_plus: bool = False) -> list[Seed]:
    path = locate(MBPP_FULL, data_dir)
    wanted = set(MBPP_SEED_IDS)
    if not with_mbpp_plus:
        wanted -= mbpp_plus_ids(data_dir)
    records = read_records(path, ("task_id", "text", "code", "test_list"))
    seeds = [_mbpp_seed(r) for r in sorted(records, key=lambda r: r["task_id"])
             if r["task_id"] in wanted and r["task_id"] not in MBPP_TEST_SPLIT]
    if not seeds:
        raise DataError(f"{path}: holds none of MBPP's seed tasks (1-10, 511-974)")
    return seeds


def mbpp_plus_ids(data_dir: Path | None) -> set[int]:
    """The MBPP task ids MBPP+ holds (its ids are ``Mbpp/N``)."""
    records = read_records(locate(MBPP_PLUS, data_dir), ("task_id",))
    return {int(str(r["task_id"]).rpartition("/")[2]) for r in records}


def _mbpp_seed(record: dict) -> Seed:
    tests = "\n".join(record["test_list"])
    instruction = f"{record['text']}\nYour code should pass these tests:\n{tests}"
    return Seed(f"Mbpp/{record['task_id']}", instruction,
                record["code"].replace("\r\n", "\n"))


def alpaca_seeds(path: Path) -> list[Seed]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise SeedError(f"{path}: cannot be read ({err})") from err
    seeds = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        record = _alpaca_record(path, number, line)
        instruction = record["instruction"].strip()
        if record["input"].strip():
            instruction += "\n" + record["input"].strip()
        seeds.append(Seed(f"{path.stem}/{number}", instruction, record["output"]))
    if not seeds:
        raise SeedError(f"{path}: holds no seeds (expected JSON Lines with "
                        f"{', '.join(ALPACA_FIELDS)})")
    return seeds


def _alpaca_record(path: Path, number: int, line: str) -> dict:
    try:
        record = json.loads(line)
    except ValueError as err:
        raise SeedError(f"{path}:{number}: not valid JSON ({err})") from None
    if not isinstance(record, dict):
        raise SeedError(f"{path}:{number}: expected a JSON object with "
                        f"{', '.join(ALPACA_FIELDS)}")
    record.setdefault("input", "")
    for field in ALPACA_FIELDS:
        if not isinstance(record.get(field), str):
            raise SeedError(f"{path}:{number}: {field!r} is missing or not a string")
    if not record["instruction"].strip():
        raise SeedError(f"{path}:{number}: 'instruction' is empty")
    return record
