"""N-gram decontamination against the benchmarks the tuned model is judged on: a planted
HumanEval prompt, MBPP test task, DS-1000 or MTPB text is caught; ordinary text is not."""

from __future__ import annotations

import pytest
from training.scripted import EVOLVED, Scripted, batch
from training.test_elimination import PARENT, SEED

from codecrucible import benchmarks
from codecrucible.training.decontamination import N, NgramIndex, benchmark_index, clean_seeds
from codecrucible.training.judging import Job


@pytest.fixture(scope="module")
def index(data_dir):
    return benchmark_index(data_dir)


def test_the_index_covers_every_benchmark(index):
    # HumanEval 164, MBPP's test split 500, MBPP+ 378, MTPB 575 turns' problems, DS-1000 1000
    assert index.texts == 164 + 500 + 378 + 575 + 1000
    assert index.n == N == 13


def test_a_planted_humaneval_prompt_is_caught(index, data_dir):
    prompt = benchmarks.get("humaneval").load(data_dir)[17].prompt
    docstring = prompt.split('"""')[1]
    text = f"Here is a harder task for you.\n{docstring}\nAlso handle empty input."
    assert index.overlap(text) == "HumanEval/17"


def test_other_benchmarks_are_caught_too(index, data_dir):
    mbpp = next(p for p in benchmarks.get("mbpp").load(data_dir) if p.task_id == "Mbpp/100")
    assert index.overlap("Please solve: " + mbpp.prompt.strip('"\n')) == "Mbpp/100"
    mtpb = benchmarks.get("mtpb").load(data_dir)[0]
    assert index.overlap(mtpb.prompt).startswith("MTPB/")
    assert index.overlap("Problem: " + "I have the following DataFrame: Col1 Col2 Col3 Type "
                         "0 1 2 3 1 1 4 5 6 1 2 7 8 9 2") is not None


def test_ordinary_text_is_not_caught(index):
    assert index.overlap("Write a function add_three(a, b, c) that returns the sum of three "
                         "integers, using no loops and no builtins at all please.") is None


def test_seeds_that_overlap_a_benchmark_are_left_out(index, data_dir):
    """MBPP+ holds 154 of MBPP's training tasks (``mbpp`` leaves them out); some other
    training tasks repeat a test task's text or test inputs (MBPP has near-duplicates across
    its splits): those seeds are left out too."""
    from codecrucible.training.seeds import mbpp_seeds
    every = mbpp_seeds(data_dir, with_mbpp_plus=True)
    assert len(clean_seeds(every, index)[1]) >= 120   # MBPP+ rewords some: ids leave all out
    kept, dropped = clean_seeds(mbpp_seeds(data_dir), index)
    assert 0 < len(dropped) <= 40 and len(kept) + len(dropped) == 320
    assert "Mbpp/530" in [s.id for s in dropped]   # "ration of negative numbers" vs Mbpp/137


def test_a_short_benchmark_text_counts_whole():
    index = NgramIndex()
    index.add("T/0", "Reverse a string.")
    assert index.overlap("Please: reverse a string, quickly.") == "T/0"
    assert index.overlap("Reverse a list.") is None


def test_a_contaminated_evolution_is_dropped(sandbox_pool, index, data_dir):
    docstring = benchmarks.get("humaneval").load(data_dir)[0].prompt.split('"""')[1]
    answer = f"{docstring}\n```python\ndef add_three(a, b, c):\n    return a + b + c\n```"
    [evolution] = batch(Scripted(EVOLVED), Scripted(answer), sandbox_pool,
                        index).evolve([Job(SEED, 1, PARENT)])
    assert (evolution.kept, evolution.rule) == (False, "contaminated")
    assert "HumanEval/0" in evolution.why
