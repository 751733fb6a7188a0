"""DS-1000: the data, its context split into the candidate's program and the checker, both run
in the real sandbox with the libraries preloaded, reference solutions passing, wrong and forged
solutions failing, and missing libraries skipped (hostile candidates: test_ds1000_checker.py)."""

from __future__ import annotations

import collections
import json

import pytest
from support import crucible, first_of_each_library, rows

from codecrucible import benchmarks
from codecrucible.correctness import calibrate
from codecrucible.correctness.expected import TimeLimits
from codecrucible.correctness.referee import Referee
from codecrucible.records import Problem, Status
from codecrucible.sandbox import REFERENCES, SandboxPool

# Library -> the module it is imported as.
MODULES = {"Pandas": "pandas", "Numpy": "numpy", "Matplotlib": "matplotlib", "Sklearn": "sklearn",
           "Scipy": "scipy", "Pytorch": "torch", "Tensorflow": "tensorflow"}


@pytest.fixture(scope="module")
def problems(data_dir):
    return benchmarks.get("ds1000").load(data_dir)


def test_the_thousand_problems_and_their_libraries(problems):
    assert len(problems) == 1000
    per_library = collections.Counter(p.metadata["library"] for p in problems)
    assert per_library == {"Pandas": 291, "Numpy": 220, "Matplotlib": 155, "Sklearn": 115,
                           "Scipy": 106, "Pytorch": 68, "Tensorflow": 45}  # as in the paper
    first = problems[0]
    assert first.task_id == "DS1000/0" and first.check == "checked"
    assert first.metadata["requires"] == ["copy", "numpy", "pandas"]
    program = first.program({"completion": "result = df.iloc[List]\n"})
    assert "test_execution(_solution)" in program and "'result = df.iloc[List]\\n'" in program
    # The candidate's program holds the inputs, never the reference or the checker.
    for absent in ("generate_ans", "exec_test", "assert_frame_equal", "return df.iloc[List]"):
        assert absent not in program and absent in first.checker


def test_every_context_splits_and_four_check_inside_the_candidates_program(problems):
    unjudgeable = {p.task_id: p.metadata["unjudgeable"] for p in problems
                   if p.metadata["unjudgeable"]}
    assert sorted(unjudgeable) == ["DS1000/706", "DS1000/852", "DS1000/853", "DS1000/930"]
    assert all("assertions inside the program" in why for why in unjudgeable.values())
    for problem in problems:
        if problem.task_id in unjudgeable:
            continue
        assert "generate_ans" not in problem.harness and "def exec_test" not in problem.harness
        assert "__crucible_answer__(i, test_env)" in problem.harness
        assert "__crucible_check__(i, expected_result)" in problem.checker
        assert "exec(code" not in problem.checker  # the checker never runs the solution
        if problem.metadata["library"] == "Matplotlib":  # the reference plot stays behind
            assert "savefig('ans.png'" not in problem.harness


@pytest.fixture(scope="module")
def sample_problems(problems):
    return first_of_each_library(problems)


@pytest.fixture(scope="module")
def ds_pools(sample_problems):
    config = benchmarks.sandbox_config(sample_problems)
    with SandboxPool(2, config, role=REFERENCES, lazy=True) as references, \
            SandboxPool(2, config) as pool:
        yield pool, references


@pytest.fixture(scope="module")
def judge(sample_problems, ds_pools):
    pool, references = ds_pools
    tests = calibrate.calibrate(sample_problems, references, "ds1000-test")
    judge = Referee({p.task_id: p for p in sample_problems}, tests, pool, TimeLimits(),
                  references=references)
    yield judge
    judge.close()


def test_reference_solutions_pass_for_every_installed_library(sample_problems, judge):
    installed = {lib for lib, module in MODULES.items() if not benchmarks.unavailable(
        [Problem("x", "x", "", "", "", "", metadata={"requires": [module]})])}
    assert {"Pandas", "Numpy"} <= installed
    assert {p.metadata["library"] for p in sample_problems} == installed
    for problem in sample_problems:
        assert not judge.tests[problem.task_id].error, problem.task_id
        verdict = judge.submit(problem.task_id, problem.reference).result()["base"]
        assert verdict.passed, (problem.task_id, verdict.first_failure, verdict.stderr[-500:])


def test_a_wrong_solution_fails_with_the_checkers_error(problems, judge):
    verdict = judge.submit("DS1000/0", "result = df\n").result()["base"]
    assert verdict.status is Status.FAILED
    assert verdict.first_failure == ("test case 1 of 1: the result is not the expected one "
                                     "(exec_test returned 0)")
    broken = judge.submit("DS1000/0", "result = df.iloc[List\n").result()["base"]
    assert broken.status is Status.FAILED and "SyntaxError" in broken.first_failure
    wrong = judge.submit("DS1000/291", "result = a.size\n").result()["base"]
    assert wrong.status is Status.FAILED and "AssertionError" in wrong.first_failure


@pytest.mark.parametrize("forgery", [
    "import os\nos._exit(0)\n",                                      # leave early, status 0
    "import os\nos.write(3, b'[0,true,null,null]\\n')\nos._exit(0)\n",  # fake success frame
    "import sys\nsys.exit(0)\n",
])
def test_a_solution_cannot_forge_a_pass(judge, forgery):
    verdict = judge.submit("DS1000/0", forgery).result()["base"]
    assert not verdict.passed, forgery


def test_problems_needing_a_missing_module_are_skipped_not_failed():
    needy = Problem("X/1", "x", "", "", "", "", metadata={"requires": ["numpy", "no_such_mod"]})
    fine = Problem("X/2", "x", "", "", "", "", metadata={"requires": ["numpy"]})
    assert benchmarks.unavailable([needy, fine]) == {"X/1": "no_such_mod not installed"}


def test_eval_judges_a_ds1000_sample_file(tmp_path, problems, data_dir):
    samples = tmp_path / "ds.jsonl"
    with open(samples, "w") as out:
        out.write(json.dumps({"task_id": "DS1000/0", "completion": problems[0].reference}) + "\n")
        out.write(json.dumps({"task_id": "DS1000/1", "solution": "result = None\n"}) + "\n")
    db = tmp_path / "eval.db"
    result = crucible("eval", str(samples), "-b", "ds1000", "--store", str(db),
                      "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    assert rows(db, "SELECT task_id, status FROM verdicts ORDER BY task_id") == [
        ("DS1000/0", "passed"), ("DS1000/1", "failed")]
    assert "by library" in result.stdout


@pytest.mark.parametrize("args, message", [
    (("-b", "ds1000", "--libraries", "cobol"), "ds1000 has no library 'cobol'"),
    (("-b", "humaneval", "--libraries", "numpy"), "--libraries applies to ds1000 only"),
])
def test_bad_libraries_are_one_line_and_exit_2(args, message, tmp_path, data_dir):
    result = crucible("run", *args, "--store", str(tmp_path / "x.db"), "--data-dir",
                      str(data_dir))
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_a_chat_answer_is_fitted_to_the_slot(problems):
    from codecrucible.strategies.extract import fit_to_slot
    by_id = {p.task_id: p for p in problems}
    top = by_id["DS1000/300"].metadata
    answer = ("import numpy as np\n\na = np.array([1,2,3,4,5])\np = 25\n"
              "result = np.percentile(a, p)\n")
    # The setup the model repeated would overwrite the test's inputs: it goes, imports stay.
    assert fit_to_slot(answer, top["setup"], top["slot_function"]) == (
        "import numpy as np\nresult = np.percentile(a, p)\n")
    body = by_id["DS1000/700"].metadata
    assert body["slot_function"] == "f"
    answer = "import tensorflow as tf\n\ndef f(x=example_x):\n    y = x * 2\n    return y\n"
    assert fit_to_slot(answer, body["setup"], "f") == "    y = x * 2\n    return y\n"
    assert fit_to_slot("return x\n", body["setup"], "f") == "    return x\n"
