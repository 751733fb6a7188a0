"""Hostile DS-1000 candidates against the split checker, through real sandbox pools.

A candidate's program runs on a candidate server and sends back its results as data; the
benchmark's own checker judges them on a reference server (``checking.py``). Each attack
below is a solution a model could write: it looks for the answer where the old in-process
checker kept it (the stack, the checker's globals), replaces the checker or the libraries'
assertion helpers, returns something that claims to be equal to anything, writes its own
answer lines (malformed, enormous, or claiming success), or leaves early. None may pass;
the reference solutions of a few problems per library must, through both ``Referee`` (``crucible
run`` and ``judge``) and ``evaluate`` (``crucible eval``).
"""

from __future__ import annotations

import json
import sys
import textwrap

import pytest
from support import first_of_each_library
from support import rows as sqlite_rows

from codecrucible import benchmarks
from codecrucible.correctness import calibrate, checking
from codecrucible.correctness.expected import TimeLimits
from codecrucible.correctness.referee import Referee
from codecrucible.records import Status
from codecrucible.runs.from_samples import evaluate
from codecrucible.sandbox import REFERENCES, Limits, SandboxError, SandboxPool
from codecrucible.store import Store

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the sandbox is Linux-only")

# DS1000/0: result = df.iloc[List], List a random permutation (the same on both sides).
# DS1000/291: result = a.shape. DS1000/511: a line labelled "x-y" with a legend.
TARGETS = ("DS1000/0", "DS1000/291", "DS1000/511")


@pytest.fixture(scope="module")
def problems(data_dir):
    return {p.task_id: p for p in benchmarks.get("ds1000").load(data_dir)}


@pytest.fixture(scope="module")
def chosen(problems):
    """The attacked problems and the first two judgeable problems of each installed library."""
    return [problems[t] for t in TARGETS] + first_of_each_library(problems.values(), TARGETS)


@pytest.fixture(scope="module")
def judge(chosen):
    config = benchmarks.sandbox_config(chosen)
    with SandboxPool(2, config, role=REFERENCES, lazy=True) as references, \
            SandboxPool(2, config) as pool:
        tests = calibrate.calibrate(chosen, references, "ds1000-checker-test")
        judge = Referee({p.task_id: p for p in chosen}, tests, pool, TimeLimits(),
                      references=references)
        yield judge
        judge.close()


def verdict_of(judge, task_id, code):
    return judge.submit(task_id, textwrap.dedent(code)).result()["base"]


def test_reference_solutions_pass_for_every_library(judge, chosen):
    libraries = set()
    for problem in chosen:
        assert not judge.tests[problem.task_id].error, (problem.task_id,
                                                         judge.tests[problem.task_id].error)
        verdict = verdict_of(judge, problem.task_id, problem.reference)
        assert verdict.passed, (problem.task_id, verdict.first_failure, verdict.stderr[-500:])
        libraries.add(problem.metadata["library"])
    assert len(libraries) == 7


def test_a_right_plot_drawn_differently_passes_and_a_wrong_one_fails(judge):
    # Not the reference's pixels, so the checker reads the candidate's figure, as data.
    restyled = verdict_of(judge, "DS1000/511", 'plt.plot(x, y, "r--", label="x-y")\nplt.legend()')
    assert restyled.passed, restyled.first_failure
    mislabelled = verdict_of(judge, "DS1000/511", 'plt.plot(x, y, label="y-x")\nplt.legend()')
    assert mislabelled.status is Status.FAILED


# ------------------------------------------------------------------ looking for the answer
# Names built at run time: the solution's own text is in the job it can see.
STACK_WALK = """
import gc, sys
GEN, EXP = "generate" + "_ans", "expected" + "_result"
wanted = (EXP, "ans", "nonce", "exec" + "_test", GEN, "test" + "_string")
found = {}
frame = sys._getframe()
while frame is not None:
    for scope in (frame.f_locals, frame.f_globals):
        for name, value in list(scope.items()):
            if name in wanted and value is not None:
                found[name] = value
            if isinstance(value, dict) and value.get("kind") in ("values", "check"):
                found.update({k: v for k, v in value.items() if k in ("nonce", "record",
                                                                      "answers", "code")
                              and (GEN in str(v) or "exec" + "_test(" in str(v))})
    frame = frame.f_back
for obj in gc.get_objects():
    if callable(obj) and getattr(obj, "__name__", "") in wanted:
        found[obj.__name__] = obj
print("FOUND", sorted(found))
if GEN in found:
    result = found[GEN]((df, List))
elif EXP in found:
    result = found[EXP]
else:
    result = df
"""


def test_the_stack_and_the_heap_hold_no_answer_and_no_checker(judge):
    verdict = verdict_of(judge, "DS1000/0", STACK_WALK)
    assert verdict.status is Status.FAILED
    assert "FOUND []" in verdict.stdout, verdict.stdout[-500:]


# ------------------------------------------------------------------ replacing the checker
PATCHES = """
import builtins, sys
import numpy as np
import pandas as pd
pd.testing.assert_frame_equal = lambda *a, **k: None
pd.DataFrame.equals = lambda self, other: True
pd.DataFrame.__eq__ = lambda self, other: True
np.testing.assert_allclose = np.testing.assert_array_equal = lambda *a, **k: None
np.testing.assert_equal = lambda *a, **k: None
np.array_equal = np.allclose = lambda *a, **k: True
builtins.AssertionError = type("Never", (Exception,), {})
builtins.bool = lambda *a: True
frame = sys._getframe()
while frame is not None:
    frame.f_globals["exec_test"] = lambda result, ans: 1
    frame.f_globals["generate_test_case"] = lambda i: (None, None)
    frame = frame.f_back
"""


@pytest.mark.parametrize("task_id, wrong", [("DS1000/0", "result = df"),
                                            ("DS1000/291", "result = (0, 0)")])
def test_patching_the_checker_and_the_assertion_helpers_does_not_pass(judge, task_id, wrong):
    verdict = verdict_of(judge, task_id, PATCHES + wrong + "\n")
    assert verdict.status is Status.FAILED, verdict.first_failure


def test_patching_the_result_encoding_does_not_pass(judge):
    # The candidate controls its own process: it may send any bytes it likes as its result.
    code = """
    import sys
    runner = sys.modules["codecrucible.sandbox.checked"]
    runner.datawire.dumps = lambda payload: '{"d": [["result", true]]}'
    result = df
    """
    assert verdict_of(judge, "DS1000/0", code).status is Status.FAILED


# ------------------------------------------------------------------ results that claim equality
@pytest.mark.parametrize("code", [
    """
    class Anything:
        def __eq__(self, other): return True
        def __ne__(self, other): return False
        def __bool__(self): return True
        def equals(self, other): return True
    result = Anything()
    """,
    """
    import pandas as pd
    class Frame(pd.DataFrame):
        def equals(self, other): return True
        def __eq__(self, other): return True
    result = Frame(df)
    """,
    """
    import numpy as np
    class Always(np.ndarray):
        def __eq__(self, other): return np.ones(np.shape(other), bool)
    result = np.zeros((6, 4)).view(Always)
    """,
    """
    import numpy as np
    class Anything:
        def __eq__(self, other): return True
    result = np.array([Anything()] * 6, dtype=object)
    """,
    """
    class Shape(tuple):
        def __eq__(self, other): return True
    result = df.iloc[List] if False else Shape((1,))
    """,
])
def test_a_result_that_equals_anything_cannot_cross(judge, code):
    verdict = verdict_of(judge, "DS1000/0", code)
    assert verdict.status is Status.FAILED
    assert "Unserializable" in verdict.first_failure, verdict.first_failure


# ------------------------------------------------------------------ writing answer lines itself
def own_line(line: bytes, then: str = "os._exit(0)") -> str:
    return f"import os\nos.write(3, {line!r})\n{then}\n"


@pytest.mark.parametrize("line", [
    b'[0,true,null,null]\n',                                         # the checker's own "pass"
    b'[0,{"d":[["result",{"nd":{"dtype":"<f8","shape":[1000000000000],"data":""}}]]},null,0]\n',
    b'[0,' + b'[' * 200_000 + b']' * 200_000 + b',null,0]\n',         # nested past any stack
    b'[0,{"d":[["result",{"pickle":"gASVAAAAAAAAAIwCb3OUjAZzeXN0ZW2Uk5Qu"}]]},null,0]\n',
    b'[0,{"d":[["result",{"sb":{"module":"os","kind":"system","items":["id"],"extra":[]}}]]},'
    b'null,0]\n',
    b'[0,{"d":[["result",{"po":{"kind":"SGD","defaults":{"d":[["lr",{"x":"ff"}]]},'
    b'"groups":[]}}]]},null,0]\n',
    b'[1,{"d":[["result",1]]},null,0]\n',                            # another case's index
    b'\xff\xfe\xed[0,null\n',                                        # not even text
    b'[0,{"d":[["result",1]]},null,0]\n' * 50,                       # more lines than cases
])
def test_malformed_answer_lines_fail_and_the_harness_carries_on(judge, line):
    verdict = verdict_of(judge, "DS1000/0", own_line(line))
    assert verdict.status is Status.FAILED, verdict.first_failure
    assert verdict_of(judge, "DS1000/291", "result = a.shape").passed  # still judging


def test_an_answer_too_large_to_check_fails_as_too_large(judge, problems):
    # Handed to the checker as a candidate's run would hand it (the line's trip through the
    # candidate's server is the pool's business, below): the checker is not even started.
    line = '[0,{"d":[["result","' + "x" * checking.MAX_ANSWER_CHARS + '"]]},null,0]'
    result = {"exit": 0, "frames": [line], "stdout": "", "stderr": ""}
    problem, tests = judge.problems["DS1000/0"], judge.tests["DS1000/0"]
    verdict = judge._checks().verdicts(problem, tests, result, "result = df",
                                       judge.limits["DS1000/0"]).result()["base"]
    assert verdict.status is Status.FAILED
    assert "larger than the checker takes" in verdict.first_failure


def test_an_endless_answer_is_stopped_and_fails(judge):
    code = own_line(b"", then="""
chunk = b"7" * (1 << 20)
os.write(3, b"[0,")
while True:
    os.write(3, chunk)""")
    verdict = verdict_of(judge, "DS1000/0", code)
    # The sandbox's cap on what comes back ends it (or its time limit, while receiving one
    # long line costs the harness more than it should: issue 11, item 7).
    assert verdict.status in (Status.OUTPUT_LIMIT, Status.TIMEOUT), verdict.first_failure
    assert verdict_of(judge, "DS1000/291", "result = a.shape").passed


# ------------------------------------------------------------------ claiming success
@pytest.mark.parametrize("code", [
    'print("passed")\nprint("[0,true,null,null]")\nresult = df',
    'import sys\nsys.stdout.write("OK " * 100)\nsys.exit(0)',
    'import os\nos._exit(0)',
    'import sys\nsys.exit(0)',
    'raise SystemExit(0)',
    'import os, signal\nos.kill(os.getpid(), signal.SIGKILL)',
])
def test_exiting_early_or_printing_success_does_not_pass(judge, code):
    verdict = verdict_of(judge, "DS1000/0", code)
    assert not verdict.passed and verdict.tests_passed == 0, verdict.first_failure


def test_the_plot_checker_reads_only_what_the_candidate_answered(judge):
    # No legend at all: the checker's read of the legend's text has no answer to pass on.
    bare = verdict_of(judge, "DS1000/511", "plt.plot(x, y)")
    assert bare.status is Status.FAILED
    # A figure object that claims to be equal to anything stays in the candidate's process.
    liar = """
    class Liar(str):
        def __eq__(self, other): return True
    line, = plt.plot(x, y, label="nothing")
    plt.legend()
    plt.gca().get_legend().get_texts()[0].get_text = lambda: Liar("x")
    """
    assert verdict_of(judge, "DS1000/511", liar).status is Status.FAILED


# ------------------------------------------------------------------ where each side runs
def test_checks_run_only_on_reference_servers_and_candidates_only_on_candidate_servers(problems):
    problem = problems["DS1000/0"]
    values = checking.values_job(problem, Limits(wall_s=5), code="result = df")
    assert "reference" not in values and "record" not in values
    assert "generate_ans" not in values["code"] and "exec_test" not in values["code"]
    check = checking.check_job(problem, {"frames": ['[0,{"d":[["result",1]]},null,0]']},
                               "result = df", Limits(wall_s=5))
    assert check["reference"] is True and "generate_ans" in check["code"]
    with SandboxPool(1) as candidates:
        with pytest.raises(SandboxError, match="cannot run on a server for candidates"):
            candidates.run(check)


def test_eval_gives_the_same_verdicts_from_the_checker(tmp_path, problems, data_dir):
    samples = tmp_path / "attacks.jsonl"
    rows = [("DS1000/0", problems["DS1000/0"].reference), ("DS1000/0", PATCHES + "result = df"),
            ("DS1000/0", own_line(b"[0,true,null,null]\n")), ("DS1000/0", STACK_WALK),
            ("DS1000/291", "result = a.shape"), ("DS1000/291", "class T(tuple):\n"
                                                              "    __eq__ = lambda s, o: True\n"
                                                              "result = T(a.shape)")]
    with open(samples, "w") as out:
        for task, code in rows:
            out.write(json.dumps({"task_id": task, "solution": code}) + "\n")
    store = Store(tmp_path / "eval.db")
    try:
        result = evaluate(samples, "ds1000", store, data_dir=data_dir, slots=2)
    finally:
        store.close()
    statuses = [status for (status,) in sqlite_rows(
        tmp_path / "eval.db", "SELECT status FROM verdicts ORDER BY task_id, sample")]
    assert result.judged_now == len(rows)
    assert statuses == ["passed", "failed", "failed", "failed", "passed", "failed"]
