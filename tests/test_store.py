"""The store's schema version: new stores carry it, old ones upgrade in place step by step,
newer ones are refused with a message naming the file and both versions."""

from __future__ import annotations

import json
import sqlite3

import pytest
from support import STORE_VERSION_1

from codecrucible.records import Status, Verdict
from codecrucible.store import SCHEMA_VERSION, Store, StoreError
from codecrucible.store.schema import MIGRATIONS


def _user_version(path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA user_version").fetchone()[0]


def test_a_new_store_carries_the_current_version(tmp_path):
    store = Store(tmp_path / "new.db")
    assert store.version() == SCHEMA_VERSION == 7
    store.close()
    assert _user_version(tmp_path / "new.db") == SCHEMA_VERSION
    Store(tmp_path / "new.db").close()  # reopening changes nothing
    assert _user_version(tmp_path / "new.db") == SCHEMA_VERSION


@pytest.mark.parametrize("stamped", [0, 1], ids=["unversioned", "version-1"])
def test_an_old_store_upgrades_in_place_and_keeps_its_data(tmp_path, stamped):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(STORE_VERSION_1 + f"PRAGMA user_version = {stamped};")
    store = Store(path)
    assert store.version() == SCHEMA_VERSION
    assert store.run("r1")["created"] == 1.0 and store.run("r1")["finished"] == 2.0
    [row] = list(store.verdicts("r1"))
    assert row["status"] == "passed" and row["tests_passed"] == 3 and "score" not in row
    # the upgraded store takes the newer columns
    store.add_verdicts("r1", [("HumanEval/1", 0, {"base": Verdict(Status.PASSED, 1, 1,
                                                                  score=0.5)})])
    assert store.suite_scores("r1", "base") == [0.5]
    store.close()
    assert _user_version(path) == SCHEMA_VERSION


def test_an_unversioned_store_that_already_has_scores_is_stamped(tmp_path):
    path = tmp_path / "unversioned.db"
    Store(path).close()
    with sqlite3.connect(path) as conn:  # as stores were made before versions existed
        conn.execute("PRAGMA user_version = 0")
    store = Store(path)
    assert store.version() == SCHEMA_VERSION
    store.close()


def test_a_store_from_a_newer_codecrucible_is_refused_untouched(tmp_path):
    path = tmp_path / "future.db"
    newer = SCHEMA_VERSION + 1
    with sqlite3.connect(path) as conn:
        conn.executescript(STORE_VERSION_1 + f"PRAGMA user_version = {newer};")
    with pytest.raises(StoreError) as caught:
        Store(path)
    message = str(caught.value)
    assert str(path) in message
    assert f"version {newer}" in message and f"version {SCHEMA_VERSION}" in message
    assert _user_version(path) == newer
    with sqlite3.connect(path) as conn:  # no table was added, no column changed
        columns = {row[1] for row in conn.execute("PRAGMA table_info(verdicts)")}
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master "
                                                 "WHERE type = 'table'")}
    assert "score" not in columns and tables == {"runs", "verdicts"}


def _attempts_as_of(path, version: int) -> None:
    """A store whose attempts table is as ``version`` made it (the later steps' columns
    dropped), holding one attempt."""
    Store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO attempts (run_id, task_id, sample, round, request, raw, code,"
                     " status, tokens_in, tokens_out, latency_s, cached) VALUES ('r', 'T/0', 0,"
                     " 0, '{}', 'raw', 'code', 'passed', 1, 2, 0.5, 0)")
        for step in range(version + 1, SCHEMA_VERSION + 1):
            for column in MIGRATIONS[step].get("attempts", {}):
                conn.execute(f"ALTER TABLE attempts DROP COLUMN {column}")
        conn.execute(f"PRAGMA user_version = {version}")


def test_a_version_2_store_gets_attempt_scores_and_keeps_its_attempts(tmp_path):
    path = tmp_path / "v2.db"
    _attempts_as_of(path, 2)  # no score, no verdicts, no model
    store = Store(path)
    assert store.version() == SCHEMA_VERSION
    [row] = store.db.execute("SELECT raw, tokens_out, score, verdicts FROM attempts").fetchall()
    assert tuple(row) == ("raw", 2, None, None)
    store.close()


def test_every_attempt_keeps_its_score_and_verdicts(tmp_path):
    from codecrucible.records import Attempt, Candidate, Completion, Request
    store = Store(tmp_path / "s.db")
    run_id = store.create_run("run", "discovery", "k", {}, {})
    answer = Completion("raw", 1, 2, 0.5)
    judged = Attempt(0, Request(prompt="p"), answer, "code",
                     {"base": Verdict(Status.PASSED, 1, 1, wall_s=0.25, score=2.5,
                                      components={"sum_of_radii": 2.5}, stage="full")})
    repeat = Attempt(1, Request(prompt="p"), answer, "code", {})   # refused before it ran
    store.add_candidates(run_id, [Candidate("T/0", 0, [repeat, judged])])
    rows = store.db.execute("SELECT round, status, score, verdicts FROM attempts ORDER BY round"
                            ).fetchall()
    assert [tuple(r)[:3] for r in rows] == [(0, "passed", 2.5), (1, "unjudged", None)]
    base = json.loads(rows[0][3])["base"]
    assert (base["status"], base["wall_s"], base["score"]) == ("passed", 0.25, 2.5)
    assert (base["components"], base["stage"]) == ({"sum_of_radii": 2.5}, "full")
    assert rows[1][3] is None
    store.close()


def test_a_version_4_store_gets_the_model_of_each_attempt(tmp_path):
    from codecrucible.records import Attempt, Candidate, Completion, Request
    path = tmp_path / "v4.db"
    _attempts_as_of(path, 4)  # no model
    store = Store(path)
    assert store.version() == SCHEMA_VERSION == 7
    [row] = store.db.execute("SELECT raw, tokens_out, model FROM attempts").fetchall()
    assert tuple(row) == ("raw", 2, None)
    assert store.by_model("r") == {}  # attempts made before models were recorded
    # and new attempts say who wrote them
    run_id = store.create_run("run", "humaneval", "k", {}, {})
    verdict = {"base": Verdict(Status.PASSED, 1, 1)}
    store.add_candidates(run_id, [
        Candidate("T/0", s, [Attempt(0, Request(prompt="p", trial=s),
                                     Completion("raw", 1, 2, 0.5, model=m), "code", verdict)])
        for s, m in ((0, "embedded:a"), (1, "gguf:/b.gguf"), (2, "embedded:a"))])
    assert [tuple(r) for r in store.db.execute(
        "SELECT sample, model FROM attempts WHERE run_id = ? ORDER BY sample", (run_id,))] == \
        [(0, "embedded:a"), (1, "gguf:/b.gguf"), (2, "embedded:a")]
    shares = store.by_model(run_id)
    assert {m: (s["calls"], s["candidates"], s["passed"]) for m, s in shares.items()} == \
        {"embedded:a": (2, 2, 2), "gguf:/b.gguf": (1, 1, 1)}
    assert [a["model"] for a in store.attempts(run_id)[("T/0", 1)]] == ["gguf:/b.gguf"]
    store.close()
