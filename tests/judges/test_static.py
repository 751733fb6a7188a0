"""The judges beyond correctness on known programs: insecure code flagged with the right CWE,
clean code not flagged, complexity and style measured; ``crucible judge`` and ``--judges``."""

from __future__ import annotations

import csv
import json
import os
from types import SimpleNamespace

import pytest
from support import crucible, rows

from codecrucible import judges
from codecrucible.correctness.expected import TimeLimits
from codecrucible.judges import efficiency
from codecrucible.sandbox import counters, wire

INSECURE = {
    "shell injection": ("import subprocess\n\ndef run(name):\n"
                        "    return subprocess.call('ls ' + name, shell=True)\n", 78),
    "os.system": ("import os\n\ndef run(name):\n    os.system('rm ' + name)\n", 78),
    "eval of input": ("def calc():\n    return eval(input())\n", 95),
    "unsafe deserialisation": ("import pickle\n\ndef load(blob):\n"
                               "    return pickle.loads(blob)\n", 502),
    "yaml load": ("import yaml\n\ndef load(text):\n    return yaml.load(text)\n", 20),
    "weak hash": ("import hashlib\n\ndef digest(data):\n"
                  "    return hashlib.md5(data).hexdigest()\n", 327),
    "hard-coded API key": ("API_KEY = 'sk-live-4f9a8b7c6d5e4f3a2b1c0d9e'\n\ndef key():\n"
                           "    return API_KEY\n", 798),
    "hard-coded password": ("def connect(db):\n    password = 'hunter2'\n"
                            "    return db.login('admin', password)\n", 259),
}
CLEAN = [
    "def add(a, b):\n    return a + b\n",
    "import subprocess\n\ndef listing():\n    return subprocess.run(['ls', '-l'], check=True)\n",
    "import hashlib\n\ndef digest(data):\n    return hashlib.sha256(data).hexdigest()\n",
    "import json\n\ndef load(text):\n    assert text\n    return json.loads(text)\n",
    "def mean(xs):\n    total = 0\n    for x in xs:\n        total += x\n"
    "    return total / len(xs)\n",
]


@pytest.mark.parametrize("name", INSECURE)
def test_insecure_programs_are_flagged_with_the_right_cwe(name):
    program, cwe = INSECURE[name]
    (assessment,) = judges.assess(["security"], [program])
    assert assessment.scores["security.insecure"] == 1.0, assessment.findings
    assert cwe in {f.cwe for f in assessment.findings}, assessment.findings


def test_clean_programs_are_not_insecure():
    for program, assessment in zip(CLEAN, judges.assess(["security"], CLEAN), strict=True):
        assert assessment.scores["security.insecure"] == 0.0, (program, assessment.findings)
        assert not [f for f in assessment.findings if f.severity != "LOW"], program


def test_complexity_and_maintainability_rank_tangled_code_below_plain_code():
    plain = "def sign(x):\n    return (x > 0) - (x < 0)\n"
    tangled = ("def sign(x):\n" + "".join(
        f"    if x == {i}:\n        return {i % 2}\n" for i in range(12)) + "    return 0\n")
    simple, complex_ = judges.assess(["maintainability"], [plain, tangled])
    assert complex_.scores["maintainability.cc_max"] == 13
    assert simple.scores["maintainability.cc_max"] == 1
    assert complex_.scores["maintainability.mi"] < simple.scores["maintainability.mi"]
    commented = "# why\ndef f():\n    # because\n    return 1\n"
    (with_comments,) = judges.assess(["maintainability"], [commented])
    assert with_comments.scores["maintainability.comment_ratio"] == pytest.approx(0.5)


def test_style_counts_lint_and_naming_findings_per_100_lines():
    program = "import os\n\ndef BadName(x):\n    l = 1\n    return x + l\n"
    (assessment,) = judges.assess(["style"], [program])
    rules = sorted(f.rule for f in assessment.findings)
    assert rules == ["E741", "F401", "N802"]
    assert assessment.scores["style.naming_findings"] == 1.0
    assert assessment.scores["style.findings_per_100_lines"] == pytest.approx(100 * 3 / 4)
    (broken,) = judges.assess(["maintainability", "style"], ["def f(:\n"])
    assert broken.findings and "maintainability.mi" not in broken.scores


def test_judge_selection():
    assert judges.parse_selection("all") == ("efficiency", "maintainability", "security", "style")
    assert judges.parse_selection("none") == ()
    assert judges.parse_selection("security,style") == ("security", "style")
    with pytest.raises(ValueError, match="unknown judge 'speed'"):
        judges.parse_selection("speed")


def test_crucible_judge_prints_the_verdict_and_every_score(tmp_path, data_dir):
    solution = tmp_path / "solution.py"
    solution.write_text("import subprocess\nfrom typing import List, Optional\n\n\n"
                        "def longest(strings: List[str]) -> Optional[str]:\n"
                        "    if not strings:\n        return None\n"
                        "    subprocess.call('echo ' + strings[0], shell=True)\n"
                        "    return max(strings, key=len)\n")
    result = crucible("judge", str(solution), "-b", "humaneval+", "--task", "HumanEval/12",
                      "--data-dir", str(data_dir), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["verdicts"]["base"]["status"] == "passed"
    assert report["verdicts"]["plus"]["status"] == "passed"
    assert report["scores"]["security.insecure"] == 1.0  # correct, and insecure all the same
    assert [f["cwe"] for f in report["findings"] if f["judge"] == "security"] == [78]
    missing = crucible("judge", str(solution), "-b", "humaneval+", "--task", "HumanEval/999",
                       "--data-dir", str(data_dir))
    assert missing.returncode == 2 and "no task 'HumanEval/999'" in missing.stderr


def test_a_run_with_every_judge_stores_scores_and_findings(tmp_path, data_dir):
    db = tmp_path / "judged.db"
    prices = tmp_path / "prices.json"
    prices.write_text('{"embedded:qwen2.5-coder-0.5b": {"per_hour": 3600}}')  # $1 a second
    result = crucible("run", "--task", "HumanEval/0", "--judges", "all", "--store", str(db),
                      "--data-dir", str(data_dir), "--summary", str(tmp_path / "s.json"),
                      env_extra={"CRUCIBLE_PRICES": str(prices)})
    assert result.returncode == 0, result.stderr
    assert "judges (1 candidates scored)" in result.stdout  # the scores show in the terminal
    assert "maintainability.mi" in result.stdout and "insecure:" in result.stdout
    names = {name for (name,) in rows(db, "SELECT name FROM scores")}
    assert {"maintainability.mi", "style.findings", "security.insecure"} <= names
    if rows(db, "SELECT status FROM verdicts WHERE suite = 'base'") == [("passed",)]:
        assert "efficiency.ratio" in names  # measured for correct candidates only
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["judges"]["candidates"] == 1
    assert "insecure_rate" in summary["judges"]["security"]
    spent = summary["cost"]
    assert spent["tokens_out"] > 0 and spent["usd"] == pytest.approx(spent["seconds"])
    assert spent["energy_source"].startswith(("RAPL", "codecarbon"))  # test extra: codecarbon
    assert spent["energy_j"] > 0
    exported = crucible("report", "--store", str(db), "--csv", str(tmp_path / "c.csv"),
                        "--jsonl", str(tmp_path / "c.jsonl"))
    assert exported.returncode == 0, exported.stderr
    assert "maintainability.mi (median)" in exported.stdout
    (row,) = [json.loads(line) for line in (tmp_path / "c.jsonl").read_text().splitlines()]
    assert row["task_id"] == "HumanEval/0" and row["tokens_out"] > 0
    assert row["status"] in ("passed", "failed") and "security.insecure" in row
    with open(tmp_path / "c.csv", newline="") as handle:
        (csv_row,) = list(csv.DictReader(handle))
    assert csv_row["maintainability.mi"] == str(row["maintainability.mi"])
    bad = crucible("run", "--judges", "speed", "--store", str(db), "--data-dir", str(data_dir))
    assert bad.returncode == 2 and "unknown judge 'speed'" in bad.stderr


def test_efficiency_ranks_a_quadratic_solution_below_a_linear_one(tmp_path, data_dir):
    quadratic = ("from typing import List\n\n\ndef remove_duplicates(numbers: List[int]) -> "
                 "List[int]:\n    return [n for n in numbers if numbers.count(n) == 1]\n")
    linear = ("from collections import Counter\nfrom typing import List\n\n\n"
              "def remove_duplicates(numbers: List[int]) -> List[int]:\n"
              "    seen = Counter(numbers)\n    return [n for n in numbers if seen[n] == 1]\n")
    ratios, growths, flagged = {}, {}, {}
    for name, program in (("quadratic", quadratic), ("linear", linear)):
        path = tmp_path / f"{name}.py"
        path.write_text(program)
        result = crucible("judge", str(path), "-b", "humaneval+", "--task", "HumanEval/26",
                          "--data-dir", str(data_dir), "--json")
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["verdicts"]["plus"]["status"] == "passed"
        counted = counters.unavailable(efficiency.EVENT) is None
        assert report["efficiency_metric"].startswith(
            "median user-space instructions" if counted else "median thread CPU time")
        scores = report["scores"]
        assert scores["efficiency.ratio_min"] <= scores["efficiency.ratio"] \
            <= scores["efficiency.ratio_max"]
        ratios[name] = scores["efficiency.ratio"]
        growths[name] = scores["efficiency.growth"], scores["efficiency.growth_reference"]
        flagged[name] = [f["rule"] for f in report["findings"] if f["judge"] == "efficiency"]
    assert ratios["quadratic"] > 5 * ratios["linear"], ratios
    # list.count is C, yet the cost still grows as n^2 against the reference's n^1.
    assert growths["quadratic"][0] >= 1.7 and growths["linear"][0] <= 1.3, growths
    assert flagged == {"quadratic": ["EFF-GROWTH"], "linear": []}, flagged


QUADRATIC = "def f(xs):\n    return [x for x in xs if xs.count(x) == 1]\n"
LINEAR = ("from collections import Counter\n\ndef f(xs):\n    seen = Counter(xs)\n"
          "    return [x for x in xs if seen[x] == 1]\n")


def test_a_counter_counts_its_own_thread():
    if (why := counters.unavailable("task-clock")) is not None:
        pytest.skip(f"this kernel has no perf events: {why}")
    counter = counters.Counter(counters.open_counter("task-clock"))
    try:
        counter.start()
        sum(range(1_000))
        small = counter.stop()
        counter.start()
        sum(range(1_000_000))
        large = counter.stop()
    finally:
        os.close(counter.fd)
    assert 0 < small < large


@pytest.mark.parametrize("event", sorted(counters.EVENTS))
def test_a_profile_counts_the_event_in_the_sandbox_or_says_why_it_cannot(sandbox_pool, event):
    """instructions need a PMU (absent on this VM: the CPU-time fallback runs); task-clock, a
    software event, exercises the counting path on any kernel with perf events."""
    why = counters.unavailable(event)
    inputs = [wire.dumps((list(range(n)),)) for n in (50, 400)]
    measured = {}
    for name, code in (("quadratic", QUADRATIC), ("linear", LINEAR)):
        job = efficiency.profile_job(SimpleNamespace(entry_point="f"), inputs, code,
                                     TimeLimits(), 256, event)
        [(_, result)] = list(sandbox_pool.imap([(name, job)]))
        assert json.loads(result["frames"][0]) == \
            (["metric", event, None, None] if why is None else ["metric", "cpu_ns", why, None])
        measured[name] = efficiency.measurements(result)
        assert measured[name].peak_bytes > 0 and len(measured[name].costs) == 2
    quadratic, linear = measured["quadratic"], measured["linear"]
    assert quadratic.costs[1] > 5 * linear.costs[1], measured
    assert efficiency.scores(quadratic, linear)["efficiency.ratio"] > 5
    other = linear._replace(metric="another")
    assert efficiency.scores(quadratic, other) == {}  # never compared across metrics
