"""Where items come from: stored runs (the pass task), the defect set, a user's file, each
bad input named in one line."""

from __future__ import annotations

import pytest

from codecrucible.classify import ClassifyError
from codecrucible.classify.tasks import defect_items, pass_items, pass_label, user_items
from codecrucible.records import Attempt, Candidate, Completion, Request, Status, Verdict
from codecrucible.store import Store
from codecrucible.weights.defects import Sample


def test_pass_label_from_verdicts():
    assert pass_label([{"status": "passed", "tests_passed": 3}] * 2) == "all"
    assert pass_label([{"status": "passed", "tests_passed": 3},
                       {"status": "failed", "tests_passed": 1}]) == "some"
    assert pass_label([{"status": "error", "tests_passed": 0}]) == "none"


def _store(path, programs):
    store = Store(path)
    run = store.create_run("run", "humaneval", "k", {}, {})
    for sample, (task, code, verdict) in enumerate(programs):
        store.add_candidates(run, [Candidate(task, sample, [Attempt(
            0, Request(prompt="p"), Completion(code, 1, 1, 0.1), code, {"base": verdict})])])
    store.close()


def test_pass_items_read_stores_and_keep_one_copy_of_a_text(tmp_path):
    _store(tmp_path / "a.sqlite", [
        ("T/0", "def f(): return 1", Verdict(Status.PASSED, 2, 2)),
        ("T/0", "def f(): return 2", Verdict(Status.FAILED, 1, 2)),
        ("T/1", "def f(): return 1", Verdict(Status.PASSED, 2, 2)),   # same text: dropped
        ("T/1", "def g(): raise", Verdict(Status.ERROR, 0, 2))])
    items = pass_items([tmp_path / "a.sqlite"])
    assert [(i.group, i.label) for i in items] == [("T/0", "all"), ("T/0", "some"),
                                                   ("T/1", "none")]


def test_a_missing_store_is_named(tmp_path):
    with pytest.raises(ClassifyError, match="nope.sqlite: no such store"):
        pass_items([tmp_path / "nope.sqlite"])


def test_defect_items_are_the_mutants_labelled_by_operator():
    samples = [Sample("T/0", "T/0", "clean", "x", "passed"),
               Sample("T/0:off_by_one", "T/0", "off_by_one", "y", "failed")]
    [item] = defect_items(samples)
    assert (item.id, item.group, item.label) == ("T/0:off_by_one", "T/0", "off_by_one")


def test_a_user_jsonl_file_reads_and_a_malformed_row_is_named(tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text('{"text": "I love it", "label": "favor", "target": "cats"}\n\n'
                    '{"text": "No", "label": "against"}\n')
    items = user_items(good)
    assert [(i.label, i.target, i.group) for i in items] == [("favor", "cats", "row1"),
                                                             ("against", "", "row3")]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "label": "x"}\n{"text": "b", "label": \n')
    with pytest.raises(ClassifyError) as caught:
        user_items(bad)
    assert str(caught.value).startswith(f"{bad}: row 2: not JSON")
    assert "\n" not in str(caught.value)


def test_a_user_csv_row_without_a_label_is_named(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("text,label\nhello,a\n\"multi\nline\",b\nbye,\n")
    with pytest.raises(ClassifyError, match=r"data.csv: row 5: no 'label' value"):
        user_items(path)
    path.write_text("text,label\nhello,a,extra\n")
    with pytest.raises(ClassifyError, match=r"data.csv: row 2: not as many fields"):
        user_items(path)
