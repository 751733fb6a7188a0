"""The SQLite store: runs, samples and verdicts, committed as they are produced.

WAL mode, one transaction per batch of verdicts; primary keys make every write idempotent, so a
run killed at any moment resumes without losing or duplicating anything. No text can make a
write fail: what UTF-8 cannot hold is stored escaped (``records.valid_text``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from codecrucible.records import Attempt, Status, Verdict, valid_text
from codecrucible.store import attempts as attempt_rows
from codecrucible.store import evolutions as evolution_rows
from codecrucible.store.schema import (
    INSERT_ATTEMPT,
    INSERT_VERDICT,
    SCHEMA,
    SCHEMA_VERSION,
    upgrade,
)


class StoreError(RuntimeError):
    pass


class _Connection(sqlite3.Connection):
    """Every parameter passes through ``valid_text``: a lone surrogate in one candidate's
    output would otherwise make SQLite refuse the whole batch, and every resume after it.

    One connection serves every thread of a run (the strategies' workers record programs as
    they are produced, the main thread commits candidates): each statement, and each
    transaction as a whole, holds ``lock``, so no thread's statement lands inside another's
    transaction."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lock = threading.RLock()

    def execute(self, sql, parameters=()):
        with self.lock:
            return super().execute(sql, _storable(parameters))

    def executemany(self, sql, rows):
        with self.lock:
            return super().executemany(sql, (_storable(row) for row in rows))


def _storable(row):
    if isinstance(row, dict):
        return {key: valid_text(v) if isinstance(v, str) else v for key, v in row.items()}
    return tuple(valid_text(v) if isinstance(v, str) else v for v in row)


class Store:
    """Everything a run produced, in one SQLite file: the source of resume and of every report.

    What it keeps, per run (``runs``: kind, benchmark, config and its key, environment, times):
    ``samples`` (raw output and extracted code of each (task, sample)), ``attempts`` (every
    model call of every round, with its request, tokens, latency, cache hit, score and
    verdicts),
    ``verdicts`` (one per sample and suite), ``scores`` and ``findings`` (the judges beyond
    correctness); for an Evol-Instruct run, ``evolutions`` (``store/evolutions.py``).

    Guarantees:

    - Committed as produced: each write is its own transaction, and a sample's attempts,
      program, verdicts and scores go in one (``add_candidates``, ``add_verdicts``), so a
      sample is either wholly recorded or absent, whenever the process dies.
    - Resume without duplicates: primary keys make every write idempotent (a re-judged sample
      replaces its rows), and ``judged`` says which samples a resumed run can skip.
    - Any text is storable: lone surrogates and other text UTF-8 cannot hold are escaped
      (``records.valid_text``) rather than failing the batch.
    - A file that is not a store raises ``StoreError`` naming it, never a SQLite traceback.
    - Versioned (``SCHEMA_VERSION``, in ``PRAGMA user_version``): an older store is upgraded
      in place on opening, step by step; a newer one raises ``StoreError`` untouched.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, factory=_Connection,
                                      check_same_thread=False)
            version = self.version()
            if version > SCHEMA_VERSION:
                self.db.close()
                raise StoreError(
                    f"{self.path}: store schema version {version} is newer than this "
                    f"codecrucible reads (version {SCHEMA_VERSION}); use a newer codecrucible")
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
            self._migrate(max(version, 1))
        except sqlite3.DatabaseError as err:
            raise StoreError(f"{self.path}: not a usable codecrucible store ({err})") from err

    def version(self) -> int:
        """The store's schema version (``SCHEMA_VERSION`` once opened; 0: never versioned)."""
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self, version: int) -> None:
        """Upgrade step by step from ``version`` to ``SCHEMA_VERSION``, each step in one
        transaction with the version it reaches. A new (empty) store runs the steps too: they
        find nothing to do, since ``SCHEMA`` is the latest, and only set the version."""
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self._transaction():
                upgrade(self.db, target)
                self.db.execute(f"PRAGMA user_version = {target}")

    def close(self) -> None:
        self.db.close()

    # ------------------------------------------------------------------ runs
    def create_run(self, kind: str, benchmark: str, config_key: str, config: dict,
                   environment: dict) -> str:
        run_id = uuid.uuid4().hex[:12]
        self.db.execute(
            "INSERT INTO runs (id, kind, benchmark, config_key, config, environment, created)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (run_id, kind, benchmark, config_key, json.dumps(config), json.dumps(environment),
             time.time()))
        return run_id

    def latest_run(self, config_key: str) -> dict | None:
        row = self.db.execute("SELECT id FROM runs WHERE config_key = ? ORDER BY created DESC "
                              "LIMIT 1", (config_key,)).fetchone()
        return self.run(row[0]) if row else None

    def run(self, run_id: str) -> dict:
        row = self.db.execute("SELECT id, kind, benchmark, config, environment, created, finished "
                              "FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise StoreError(f"no run {run_id!r} in {self.path}")
        keys = ("id", "kind", "benchmark", "config", "environment", "created", "finished")
        run = dict(zip(keys, row, strict=True))
        run["config"] = json.loads(run["config"])
        run["environment"] = json.loads(run["environment"])
        return run

    def finish_run(self, run_id: str) -> None:
        self.db.execute("UPDATE runs SET finished = ? WHERE id = ?", (time.time(), run_id))

    def add_energy(self, run_id: str, joules: float) -> None:
        """Energy measured while the run (or a resumed part of it) was going."""
        environment = self.run(run_id)["environment"]
        environment["energy_j"] = (environment.get("energy_j") or 0.0) + joules
        self.db.execute("UPDATE runs SET environment = ? WHERE id = ?",
                        (json.dumps(environment), run_id))

    # ------------------------------------------------------------------ samples
    def add_samples(self, run_id: str, rows: Iterable[tuple[str, int, str, str]]) -> None:
        with self._transaction():
            self.db.executemany("INSERT OR IGNORE INTO samples (run_id, task_id, sample, raw, code)"
                                " VALUES (?, ?, ?, ?, ?)",
                                ((run_id, *row) for row in rows))

    def add_candidates(self, run_id: str, candidates: Iterable,
                       assessments: list | None = None) -> None:
        """Generated candidates (``strategies.Candidate``): every attempt, the final program,
        its verdicts and its judges' assessments (``judges.Assessment``, one per candidate, if
        any), in one transaction, so a sample is either wholly recorded or not at all."""
        candidates = list(candidates)
        now = time.time()
        attempts, samples, verdicts = [], [], []
        for c in candidates:
            attempts += [(run_id, c.task_id, c.sample, *attempt_rows.row(a)) for a in c.attempts]
            final = c.final
            samples.append((run_id, c.task_id, c.sample, final.completion.text, final.code or ""))
            verdicts += [_verdict_row(run_id, c.task_id, c.sample, suite, v, now)
                         for suite, v in final.verdicts.items()]
        with self._transaction():
            self.db.executemany(INSERT_ATTEMPT, attempts)
            self.db.executemany("INSERT OR REPLACE INTO samples (run_id, task_id, sample, raw,"
                                " code) VALUES (?, ?, ?, ?, ?)", samples)
            self.db.executemany(INSERT_VERDICT, verdicts)
            for c, assessment in zip(candidates, assessments or [None] * len(candidates),
                                     strict=True):
                if assessment is not None:
                    self._add_assessment(run_id, c.task_id, c.sample, assessment)

    def add_attempt(self, run_id: str, task_id: str, sample: int, attempt: Attempt) -> None:
        """One program of a sample still in progress, as soon as it is judged (a search's
        round): a run killed before the sample ends keeps it, and a resumed run replays it
        (``stored_attempts``) instead of asking the model and the sandbox again."""
        self.db.execute(INSERT_ATTEMPT, (run_id, task_id, sample, *attempt_rows.row(attempt)))

    def stored_attempts(self, run_id: str, task_id: str, sample: int) -> list[Attempt]:
        """The attempts stored for one sample, in round order, as ``Attempt`` records."""
        columns = ", ".join(attempt_rows.COLUMNS)
        with self.db.lock:
            rows = self.db.execute(
                f"SELECT {columns} FROM attempts WHERE run_id = ? AND task_id = ? AND sample = ?"
                " ORDER BY round", (run_id, task_id, sample)).fetchall()
        return [attempt_rows.from_row(r) for r in rows]

    def _add_assessment(self, run_id: str, task_id: str, sample: int, assessment) -> None:
        key = (run_id, task_id, sample)
        self.db.execute("DELETE FROM findings WHERE run_id = ? AND task_id = ? AND sample = ?",
                        key)
        self.db.executemany("INSERT OR REPLACE INTO scores VALUES (?, ?, ?, ?, ?)",
                            [(*key, name, value) for name, value in assessment.scores.items()])
        self.db.executemany("INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [(*key, f.judge, f.rule, f.line, f.severity, f.confidence, f.cwe,
                              f.message) for f in assessment.findings])

    def passed_samples(self, run_id: str) -> set[tuple[str, int]]:
        """(task, sample) pairs that passed every suite."""
        rows = self.db.execute(
            "SELECT task_id, sample FROM verdicts WHERE run_id = ? GROUP BY task_id, sample "
            "HAVING SUM(status != 'passed') = 0", (run_id,))
        return {(task, sample) for task, sample in rows}

    def scores(self, run_id: str) -> dict[tuple[str, int], dict[str, float]]:
        """Every judge score of a run, per (task, sample)."""
        out: dict[tuple[str, int], dict[str, float]] = {}
        for task, sample, name, value in self.db.execute(
                "SELECT task_id, sample, name, value FROM scores WHERE run_id = ?", (run_id,)):
            out.setdefault((task, sample), {})[name] = value
        return out

    def usage(self, run_id: str) -> dict:
        """Tokens, model time, calls and calls that ran out of time, over every attempt."""
        row = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0),"
            " COALESCE(SUM(CASE WHEN cached THEN 0 ELSE latency_s END), 0), COALESCE(SUM(cached),"
            " 0), COALESCE(SUM(code IS NULL), 0), COALESCE(SUM(finish_reason = 'timeout'), 0)"
            " FROM attempts WHERE run_id = ?", (run_id,)).fetchone()
        keys = ("calls", "tokens_in", "tokens_out", "model_s", "cache_hits", "no_code_attempts",
                "timeouts")
        return dict(zip(keys, row, strict=True))

    def by_model(self, run_id: str) -> dict[str, dict]:
        """Per model that wrote a run's attempts (a run with several): its calls, tokens,
        timeouts, programs that ran (attempts judged), candidates (samples whose final
        program it wrote) and how many passed, and the best score of any of its programs.
        Attempts stored before the model was recorded are left out."""
        out: dict[str, dict] = {}
        for model, calls, tokens_in, tokens_out, timeouts, ran, best in self.db.execute(
                "SELECT model, COUNT(*), SUM(tokens_in), SUM(tokens_out),"
                " SUM(finish_reason = 'timeout'), SUM(status NOT IN ('unjudged', 'no_code')),"
                " MAX(score) FROM attempts WHERE run_id = ? AND model IS NOT NULL"
                " GROUP BY model ORDER BY model", (run_id,)):
            out[model] = {"calls": calls, "tokens_in": tokens_in, "tokens_out": tokens_out,
                          "timeouts": timeouts, "programs_ran": ran, "best_score": best,
                          "candidates": 0, "passed": 0}
        # A candidate belongs to the model that wrote its attempts: one trial, one model.
        passed = self.passed_samples(run_id)
        for task, sample, model in self.db.execute(
                "SELECT task_id, sample, MIN(model) FROM attempts WHERE run_id = ?"
                " AND model IS NOT NULL GROUP BY task_id, sample", (run_id,)):
            if model in out:
                out[model]["candidates"] += 1
                out[model]["passed"] += (task, sample) in passed
        return out

    def runs(self) -> list[dict]:
        ids = [r[0] for r in self.db.execute("SELECT id FROM runs ORDER BY created")]
        return [self.run(i) for i in ids]

    def judged(self, run_id: str) -> set[tuple[str, int]]:
        """(task, sample) pairs that already have every verdict they need."""
        rows = self.db.execute("SELECT DISTINCT task_id, sample FROM verdicts WHERE run_id = ?",
                               (run_id,))
        return {(task, sample) for task, sample in rows}

    # ------------------------------------------------------------------ verdicts
    def add_verdicts(self, run_id: str, batch: Iterable[tuple]) -> None:
        """One transaction for a batch of ``(task, sample, verdicts by suite)``, or with a
        fourth item, the sample of the same task whose identical program's run gave these
        verdicts (None: its own run); all suites of a sample land together or not at all."""
        now = time.time()
        rows = [_verdict_row(run_id, task, sample, suite, v, now, shared_from)
                for task, sample, by_suite, *rest in batch
                for shared_from in [rest[0] if rest else None]
                for suite, v in by_suite.items()]
        with self._transaction():
            self.db.executemany(INSERT_VERDICT, rows)

    def verdicts(self, run_id: str) -> Iterator[dict]:
        cursor = self.db.execute(
            "SELECT task_id, sample, suite, status, tests_passed, tests_total, first_failure,"
            " wall_s, cpu_s, max_rss_kb, score, shared_from FROM verdicts WHERE run_id = ?"
            " ORDER BY task_id, sample, suite", (run_id,))
        keys = [d[0] for d in cursor.description]
        for row in cursor:
            verdict = dict(zip(keys, row, strict=True))
            for optional in ("score", "shared_from"):  # score problems; copies of a program
                if verdict[optional] is None:
                    del verdict[optional]
            yield verdict

    def best_scored(self, run_id: str, suite: str) -> dict[str, tuple[int, float, dict]]:
        """Each task's best-scored verdict in ``suite`` (the earliest sample of equals): its
        sample, score and the scorer's components; tasks with no valid answer are left out."""
        best: dict[str, tuple[int, float, dict]] = {}
        for task, sample, score, components in self.db.execute(
                "SELECT task_id, sample, score, components FROM verdicts WHERE run_id = ? AND"
                " suite = ? AND score IS NOT NULL ORDER BY task_id, score DESC, sample",
                (run_id, suite)):
            if task not in best:
                best[task] = (sample, score, json.loads(components or "{}"))
        return best

    def suite_scores(self, run_id: str, suite: str) -> list[float]:
        """The scores of a suite's verdicts that have one (score problems)."""
        return [row[0] for row in self.db.execute(
            "SELECT score FROM verdicts WHERE run_id = ? AND suite = ? AND score IS NOT NULL",
            (run_id, suite))]

    def candidates(self, run_id: str) -> list[dict]:
        """One row per candidate (task, sample): its verdict per suite and overall, what its
        attempts cost (calls, tokens, model seconds) and what its runs took, and every score.
        An answer served from the response cache is charged what it cost when it was made:
        the candidate's cost does not depend on whether this run or an earlier one paid it."""
        rows: dict[tuple[str, int], dict] = {}
        for v in self.verdicts(run_id):
            row = rows.setdefault((v["task_id"], v["sample"]), {
                "run_id": run_id, "task_id": v["task_id"], "sample": v["sample"],
                "status": Status.PASSED.value, "sandbox_cpu_s": 0.0, "sandbox_wall_s": 0.0,
                "max_rss_kb": 0})
            row[f"{v['suite']}_status"] = v["status"]
            if v["first_failure"] and "first_failure" not in row:
                row["first_failure"] = v["first_failure"]
            row[f"{v['suite']}_tests"] = f"{v['tests_passed']}/{v['tests_total']}"
            if row["status"] == Status.PASSED.value and v["status"] != Status.PASSED.value:
                row["status"] = v["status"]  # the first suite that did not pass decides
            row["sandbox_cpu_s"] += v["cpu_s"] or 0.0
            row["sandbox_wall_s"] += v["wall_s"] or 0.0
            row["max_rss_kb"] = max(row["max_rss_kb"], v["max_rss_kb"] or 0)
        for task, sample, calls, tokens_in, tokens_out, model_s, hits in self.db.execute(
                "SELECT task_id, sample, COUNT(*), SUM(tokens_in), SUM(tokens_out), "
                "SUM(latency_s), SUM(cached) FROM attempts "
                "WHERE run_id = ? GROUP BY task_id, sample", (run_id,)):
            if (task, sample) in rows:
                rows[(task, sample)].update(model_calls=calls, tokens_in=tokens_in,
                                            tokens_out=tokens_out, model_s=model_s,
                                            cache_hits=hits)
        for key, values in self.scores(run_id).items():
            if key in rows:
                rows[key].update(values)
        return [rows[key] for key in sorted(rows)]

    def programs(self, run_id: str) -> dict[tuple[str, int], str]:
        """Each candidate's program, as judged."""
        return {(task, sample): code for task, sample, code in self.db.execute(
            "SELECT task_id, sample, code FROM samples WHERE run_id = ?", (run_id,))}

    def attempts(self, run_id: str) -> dict[tuple[str, int], list[dict]]:
        """Every model call of each candidate, in round order: the request as stored (the JSON
        of a ``records.Request``), the raw answer, the code found in it, its status, the
        feedback the next round was given, tokens, latency, whether it was cached, and the
        model that wrote it (None in a store made before runs recorded it)."""
        cursor = self.db.execute(
            "SELECT task_id, sample, round, request, raw, code, status, feedback, tokens_in,"
            " tokens_out, latency_s, cached, finish_reason, model FROM attempts WHERE run_id = ?"
            " ORDER BY task_id, sample, round", (run_id,))
        keys = [d[0] for d in cursor.description][2:]
        out: dict[tuple[str, int], list[dict]] = {}
        for task, sample, *rest in cursor:
            row = dict(zip(keys, rest, strict=True))
            row["request"] = json.loads(row["request"])
            row["cached"] = bool(row["cached"])
            out.setdefault((task, sample), []).append(row)
        return out

    def samples(self, run_id: str) -> list[dict]:
        """Each candidate's text as stored: ``raw`` (a model's whole answer, or a samples
        file's ``solution`` or ``completion``) and ``code`` (the program as judged), with
        ``no_code`` true where every verdict found no code in it."""
        cursor = self.db.execute(
            "SELECT s.task_id, s.sample, s.raw, s.code, COALESCE(MIN(v.status = ?), 0)"
            " FROM samples s LEFT JOIN verdicts v ON v.run_id = s.run_id"
            " AND v.task_id = s.task_id AND v.sample = s.sample WHERE s.run_id = ?"
            " GROUP BY s.task_id, s.sample ORDER BY s.task_id, s.sample",
            (Status.NO_CODE.value, run_id))
        keys = ("task_id", "sample", "raw", "code", "no_code")
        return [dict(zip(keys, (*row[:4], bool(row[4])), strict=True)) for row in cursor]

    def findings(self, run_id: str) -> dict[tuple[str, int], list[dict]]:
        out: dict[tuple[str, int], list[dict]] = {}
        cursor = self.db.execute("SELECT task_id, sample, judge, rule, line, severity, cwe, "
                                 "message FROM findings WHERE run_id = ? ORDER BY line", (run_id,))
        keys = [d[0] for d in cursor.description][2:]
        for task, sample, *rest in cursor:
            out.setdefault((task, sample), []).append(dict(zip(keys, rest, strict=True)))
        return out

    def counts(self, run_id: str, suite: str) -> dict[str, tuple[int, int]]:
        """problem -> (samples, samples passed) for one suite."""
        rows = self.db.execute(
            "SELECT task_id, COUNT(*), SUM(status = ?) FROM verdicts WHERE run_id = ? AND suite = ?"
            " GROUP BY task_id", (Status.PASSED.value, run_id, suite))
        return {task: (n, int(c or 0)) for task, n, c in rows}

    def status_counts(self, run_id: str, suite: str) -> dict[str, int]:
        rows = self.db.execute("SELECT status, COUNT(*) FROM verdicts WHERE run_id = ? AND "
                               "suite = ? GROUP BY status", (run_id, suite))
        return dict(rows.fetchall())

    # ------------------------------------------------------------------ evolutions
    def add_evolutions(self, run_id: str, evolutions: list) -> None:
        """Decided evolutions (``evolutions.Evolution``), in one transaction; one stored
        before is left as it was (a resumed run never duplicates one)."""
        rows = evolution_rows.rows(run_id, evolutions)
        with self._transaction():
            self.db.executemany(evolution_rows.INSERT, rows)

    def evolutions(self, run_id: str) -> list:
        """A run's evolutions (``evolutions.Evolution``), seeds first, then by round."""
        with self.db.lock:
            return evolution_rows.read(self.db, run_id)

    def _transaction(self):
        return _Transaction(self.db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.lock.acquire()
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.db.lock.release()
            raise

    def __exit__(self, exc_type, *_):
        try:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.db.lock.release()


def _verdict_row(run_id: str, task: str, sample: int, suite: str, v: Verdict, now: float,
                 shared_from: int | None = None) -> tuple:
    """The values of ``INSERT_VERDICT`` for one verdict."""
    return (run_id, task, sample, suite, v.status.value, v.tests_passed, v.tests_total,
            v.first_failure, v.stdout, v.stderr, v.wall_s, v.cpu_s, v.max_rss_kb, now, v.score,
            shared_from, json.dumps(v.components) if v.components else None)
