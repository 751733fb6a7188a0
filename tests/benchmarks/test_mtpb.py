"""MTPB: the data and its quirks, the type-tolerant oracle, hand-written programs judged in the
real sandbox, and ``crucible run -b mtpb`` turn by turn and single-turn on the embedded model."""

from __future__ import annotations

import json

import pytest
from support import crucible, rows, run_id_of

from codecrucible import benchmarks
from codecrucible.correctness import calibrate
from codecrucible.correctness.expected import TimeLimits
from codecrucible.correctness.oracle import mtpb_equal
from codecrucible.correctness.referee import Referee
from codecrucible.records import Status
from codecrucible.sandbox import REFERENCES, SandboxPool
from codecrucible.strategies.extract import truncate_turn

# Module fixtures run the embedded model; their time counts against the first test's limit.
pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def episodes(data_dir):
    return {p.task_id: p for p in benchmarks.get("mtpb").load(data_dir)}


def test_every_problem_becomes_one_episode_per_test_case(episodes):
    assert len(episodes) == 575  # 115 problems x 5 cases
    first = episodes["MTPB/1/0"]
    assert first.metadata["turns"][0] == (
        'Assign the string "abcde" to a variable named "my_string".')
    assert first.metadata["groups"] == {"category": "string", "problem": "MTPB/1"}
    assert json.loads(first.expected_output) == ["a", "b", "c", "d", "e"]
    # The single-turn baseline: every turn as a comment (base models) or a numbered list (chat),
    # with the summed per-turn budget.
    assert first.prompt.count("\n# ") == 5 and "import numpy as np" in first.prompt
    assert "5. Print the resulting list of characters." in first.instruction
    assert first.metadata["max_tokens"] == 5 * first.metadata["turn_max_tokens"] == 640


def test_the_data_quirks_are_handled(episodes):
    # Problem 57 lists six outputs for five inputs: paired in order, the extra one ignored.
    assert sorted(t for t in episodes if t.startswith("MTPB/57/")) == [
        f"MTPB/57/{case}" for case in range(5)]
    # Problems 39-45 have no max_gen_length: 256 tokens per turn, as the official sampler.
    for number in range(39, 46):
        assert episodes[f"MTPB/{number}/0"].metadata["turn_max_tokens"] == 256
    assert episodes["MTPB/1/0"].metadata["turn_max_tokens"] == 128


@pytest.mark.parametrize("out, expected, same", [
    ([1, 2], [1, 2], True),
    ((1, 2), [1, 2], True),            # a tuple is cast to the expected list
    (3, 3.0, True),                    # an int printed for a float
    (0.1 + 0.2, 0.3, True),            # within 1e-6
    (0.3001, 0.3, False),
    ("5", 5, True),                    # cast to the expected type, as the evaluator does
    ("abc", ["a", "b", "c"], True),
    (True, "True", True),              # booleans compare as strings
    (1, True, False),
    ([1.0000001, [2]], [1, [2.0]], True),  # containers element by element
    ({"a": 1.0}, {"a": 1}, True),
    ("x", None, False),
    (None, None, True),
    ([1, 2, 3], [1, 2], False),
])
def test_the_type_tolerant_comparison(out, expected, same):
    assert mtpb_equal(out, expected) is same


@pytest.fixture(scope="module")
def judge(episodes):
    chosen = [episodes[t] for t in ("MTPB/1/0", "MTPB/1/3", "MTPB/6/0", "MTPB/57/0")]
    config = benchmarks.sandbox_config(chosen)  # MTPB allows numpy, pandas and scikit-learn
    with SandboxPool(2, config, role=REFERENCES, lazy=True) as references, \
            SandboxPool(2, config) as pool:
        tests = calibrate.calibrate(chosen, references, "mtpb-test")
        judge = Referee({p.task_id: p for p in chosen}, tests, pool, TimeLimits(),
                      references=references)
        yield judge
        judge.close()


def _verdict(judge, task: str, code: str):
    return judge.submit(task, code).result()["base"]


def test_hand_written_correct_programs_pass(judge, episodes):
    assert _verdict(judge, "MTPB/1/0", 'my_string = "abcde".lower()\nchars = set(my_string)\n'
                    'chars = sorted(chars)\nprint(chars)\n').passed
    # A final bare expression is printed, as the evaluator does.
    assert _verdict(judge, "MTPB/1/3", 'chars = sorted(set("Jerry jERRY JeRRRY".lower()))\n'
                    'chars\n').passed
    # A pandas Series becomes a list before the comparison.
    assert _verdict(judge, "MTPB/6/0", 'import pandas as pd\n'
                    'df = pd.DataFrame({"Yes": [50, 21], "No": [131, 2]})\n'
                    'means = df.mean()\nprint(means)\n').passed
    # Only the last print counts.
    assert _verdict(judge, "MTPB/1/0", 'print("working")\nprint(list("abcde"))\n').passed


def test_subtly_wrong_programs_fail(judge):
    wrong_case = _verdict(judge, "MTPB/1/0", 'print(sorted(set("abcdE")))\n')  # not lowercased
    assert wrong_case.status is Status.FAILED
    assert wrong_case.first_failure == ("printed ['E', 'a', 'b', 'c', 'd'], "
                                        "expected ['a', 'b', 'c', 'd', 'e']")
    assert not _verdict(judge, "MTPB/6/0", 'import pandas as pd\n'
                        'df = pd.DataFrame({"Yes": [50, 21], "No": [131, 2]})\n'
                        'print(df.sum())\n').passed
    silent = _verdict(judge, "MTPB/1/0", 'chars = sorted(set("abcde"))\n')
    assert silent.status is Status.FAILED and silent.first_failure == "the program printed nothing"
    crash = _verdict(judge, "MTPB/1/0", 'print(list("abcde"))\nraise ValueError("late")\n')
    assert crash.status is Status.FAILED and "ValueError: late" in crash.first_failure


def test_a_base_models_turn_is_cut_as_the_codegen_sampler_cuts_it():
    assert truncate_turn("x = 1\nprint(x)\ny = 2\nprint(y)\n") == "x = 1\nprint(x)\ny = 2"
    assert truncate_turn("def f():\n    return 1\ndef g():\n    pass") == "def f():\n    return 1"
    assert truncate_turn("x = 1\n# Now the next step\ny = 2") == "x = 1\n"
    assert truncate_turn("x = 1\n\n\n\nmore") == "x = 1"
    assert truncate_turn('x = 1\n"""docs"""') == "x = 1\n"


@pytest.fixture(scope="module")
def mtpb_runs(tmp_path_factory, data_dir):
    """The same two episodes turn by turn and as one prompt, on the embedded default model."""
    db = tmp_path_factory.mktemp("mtpb") / "runs.db"
    tasks = ("--task", "MTPB/1/0", "--task", "MTPB/6/0")
    multi = crucible("run", "-b", "mtpb", "-s", "multiturn", *tasks, "--store", str(db),
                     "--data-dir", str(data_dir))
    assert multi.returncode == 0, multi.stderr
    single = crucible("run", "-b", "mtpb", "-s", "single", *tasks, "--store", str(db),
                      "--data-dir", str(data_dir))
    assert single.returncode == 0, single.stderr
    return db, run_id_of(multi.stderr + multi.stdout), run_id_of(single.stderr + single.stdout)


def test_multiturn_stores_every_turn_and_judges_the_whole_program(mtpb_runs, episodes):
    db, multi, _ = mtpb_runs
    turns = rows(db, f"SELECT task_id, round, request, raw, code, status, tokens_out FROM attempts"
                     f" WHERE run_id = '{multi}' ORDER BY task_id, round")
    for task in ("MTPB/1/0", "MTPB/6/0"):
        trace = [t for t in turns if t[0] == task]
        expected_turns = episodes[task].metadata["turns"]
        assert [t[1] for t in trace] == list(range(len(expected_turns)))
        for (_, number, request, _, code, _, tokens_out), turn in zip(
                trace, expected_turns, strict=True):
            messages = json.loads(request)["messages"]
            assert messages[-1][1].endswith(f"Step {number + 1}: {turn}")
            assert len(messages) == 2 * number + 1  # every earlier turn and its answer
            assert f"# {turn}" in code  # the program so far, turn by turn
            assert tokens_out > 0
        assert [t[5] for t in trace[:-1]] == ["unjudged"] * (len(trace) - 1)
        assert trace[-1][5] in ("passed", "failed", "error", "no_code")
    final = rows(db, f"SELECT code FROM samples WHERE run_id = '{multi}' AND task_id = 'MTPB/1/0'")
    assert final[0][0].startswith("# Import libraries.")


def test_single_turn_is_one_prompt_with_every_turn(mtpb_runs):
    db, _, single = mtpb_runs
    attempts = rows(db, f"SELECT request FROM attempts WHERE run_id = '{single}'")
    assert len(attempts) == 2
    request = json.loads(attempts[0][0])
    assert request["max_tokens"] in (5 * 128, 4 * 128)  # the summed per-turn budgets
    assert "1. " in request["messages"][0][1] and "4. " in request["messages"][0][1]


def test_report_compares_multiturn_with_single_turn_per_category(mtpb_runs):
    db, multi, single = mtpb_runs
    result = crucible("report", multi, single, "--store", str(db))
    assert result.returncode == 0, result.stderr
    assert "base category string pass@1 (n)" in result.stdout.replace("\n", " ") or \
        "category string" in result.stdout
    assert "multiturn" in result.stdout and "single" in result.stdout


def test_multiturn_needs_a_benchmark_with_turns(tmp_path, data_dir):
    result = crucible("run", "-b", "humaneval", "-s", "multiturn", "--limit", "1",
                      "--store", str(tmp_path / "x.db"), "--data-dir", str(data_dir))
    assert result.returncode == 2 and "has no turns" in result.stderr


def test_multiturn_for_a_completion_model_writes_turns_as_comments(tmp_path, data_dir, episodes):
    db = tmp_path / "completion.db"
    result = crucible("run", "-b", "mtpb", "-s", "multiturn", "--prompt-style", "completion",
                      "--task", "MTPB/1/0", "--store", str(db), "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    turns = episodes["MTPB/1/0"].metadata["turns"]
    trace = rows(db, "SELECT round, request, raw, code FROM attempts ORDER BY round")
    assert len(trace) == len(turns)
    history = "# Import libraries.\n\nimport numpy as np\n"
    for (_, request, raw, code), turn in zip(trace, turns, strict=True):
        prompt = json.loads(request)["prompt"]
        assert prompt == f"{history}# {turn}\n"  # the program so far, the turn as a comment
        added = truncate_turn(raw).rstrip()
        history = code
        # The answer cut as the CodeGen sampler cuts it, and a blank line before the next turn.
        assert code.endswith(f"# {turn}\n" + (added + "\n" if added.strip() else "") + "\n")
