"""Dropping evolved data that overlaps a benchmark the tuned model will be judged on.

An instruction and its answer are contaminated when they share a run of ``N`` consecutive
normalised words (lower case, runs of letters, digits and underscores; punctuation and layout
ignored) with a benchmark's problem statement. ``N = 13`` is the choice of GPT-3's
decontamination: long enough that common phrasing ("write a python function to ...") and
common code shapes do not match by chance, short enough that a copied docstring does. A
benchmark text shorter than ``N`` words counts whole, so a short MBPP task copied verbatim is
caught too. (WizardCoder used embedding retrieval and a GPT-4 judge; this needs no model.)

The index holds every n-gram of HumanEval's prompts, MBPP's test split (ids 11-510: its text
and asserts), MBPP+'s prompts, DS-1000's prompts and MTPB's turns, read from the same data
files the benchmarks load, as a set of 64-bit hashes: built once per run, in about a second.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from codecrucible import benchmarks
from codecrucible.benchmarks.data import locate
from codecrucible.benchmarks.ds1000 import DS1000_FILE
from codecrucible.benchmarks.jsonl import read_records
from codecrucible.training.elimination import words
from codecrucible.training.seeds import Seed

N = 13
SOURCES = ("humaneval", "mbpp", "mbpp+", "ds1000", "mtpb")


def _hash(gram: Iterable[str]) -> int:
    digest = hashlib.blake2b(" ".join(gram).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


class NgramIndex:
    """N-grams of benchmark texts, each mapped to the first task it came from."""

    def __init__(self, n: int = N):
        self.n = n
        self.owner: dict[int, str] = {}
        self.short: dict[int, str] = {}  # whole texts shorter than n words
        self.sizes: set[int] = set()      # their lengths in words
        self.texts = 0

    def add(self, task: str, text: str) -> None:
        found = words(text)
        self.texts += 1
        if len(found) < self.n:
            if found:
                self.short.setdefault(_hash(found), task)
                self.sizes.add(len(found))
            return
        for i in range(len(found) - self.n + 1):
            self.owner.setdefault(_hash(found[i:i + self.n]), task)

    def overlap(self, text: str) -> str | None:
        """The task whose text ``text`` shares an n-gram with, or None."""
        found = words(text)
        for i in range(max(1, len(found) - self.n + 1)):
            task = self.owner.get(_hash(found[i:i + self.n]))
            if task is not None:
                return task
        for size in sorted(self.sizes):
            # A benchmark text shorter than n words, found whole inside ``text``.
            for i in range(len(found) - size + 1):
                task = self.short.get(_hash(found[i:i + size]))
                if task is not None:
                    return task
        return None


def benchmark_index(data_dir: Path | None, n: int = N) -> NgramIndex:
    """The index over every benchmark in ``SOURCES``, from the data directory."""
    index = NgramIndex(n)
    for name in ("humaneval", "mbpp", "mbpp+", "mtpb"):
        for problem in benchmarks.get(name).load(data_dir):
            index.add(problem.task_id, "\n".join((problem.prompt, *(problem.snippets or ()))))
    # DS-1000's problems build harnesses on loading; its prompts alone are all we need.
    for number, record in enumerate(read_records(locate(DS1000_FILE, data_dir), ("prompt",))):
        index.add(f"DS-1000/{number}", record["prompt"])
    return index


def clean_seeds(seeds: list[Seed], index: NgramIndex) -> tuple[list[Seed], list[Seed]]:
    """The seeds that overlap no benchmark, and those that do. A seed's evolutions keep much
    of its text, so a seed that repeats a benchmark task would only spend model calls on
    evolutions that decontamination then drops (MBPP repeats some tasks across its splits)."""
    kept, dropped = [], []
    for seed in seeds:
        (dropped if index.overlap(f"{seed.instruction}\n{seed.output}") else kept).append(seed)
    return kept, dropped
