"""Every judge behind one protocol: what it needs, which programs it scores, what a run
records of it."""

from __future__ import annotations

import pytest

from codecrucible import judges
from codecrucible.judges import Program, Setting


def test_every_judge_says_what_it_needs():
    needs = {name: judges.get(name).needs for name in judges.names()}
    assert needs == {"efficiency": "referee", "maintainability": "text", "security": "text",
                     "style": "text"}
    assert all(judges.get(name).name == name for name in judges.names())


def test_a_judge_that_runs_programs_needs_a_referee():
    with pytest.raises(ValueError, match="the efficiency judge runs programs"):
        judges.assess(["efficiency"], ["def f():\n    return 1\n"])


def test_efficiency_scores_only_programs_that_passed():
    class Profiler:
        def assess(self, task_id, code):
            return judges.Assessment({"efficiency.ratio": 2.0})

    setting = Setting(referee=object())
    setting.keep("efficiency", Profiler)
    programs = [Program("T/0", "x = 1\n", passed=True), Program("T/0", "x = 1\n"),
                Program("T/0", None, passed=True)]
    scored = judges.assess(["efficiency", "maintainability"], programs, setting)
    assert [a.scores.get("efficiency.ratio") for a in scored] == [2.0, None, None]
    # Text judges run first: each program's scores keep the order they always had.
    assert next(iter(scored[0].scores)).startswith("maintainability.")


def test_a_run_records_every_judges_facts_with_none_for_those_not_chosen():
    chosen = judges.facts(["efficiency"])
    assert chosen["efficiency_metric"].startswith("median ")
    assert judges.facts(["style"]) == {"efficiency_metric": None}
