"""The store's schema: its tables, the statements that write whole rows, its version and the
steps that upgrade an older store to it.

The version is kept in SQLite's ``PRAGMA user_version``. Version 1 is the first schema (stores
made before versions existed read 0 and are taken as 1); each step adds nullable columns (a new
table comes from ``SCHEMA``'s ``CREATE TABLE IF NOT EXISTS``), in place and in one transaction
with the version it reaches, so an old store stays readable and
writable. A store of a newer version is refused.
"""

from __future__ import annotations

import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    benchmark TEXT NOT NULL,
    config_key TEXT NOT NULL,
    config TEXT NOT NULL,
    environment TEXT NOT NULL,
    created REAL NOT NULL,
    finished REAL
);
CREATE INDEX IF NOT EXISTS runs_by_key ON runs (config_key, created);
CREATE TABLE IF NOT EXISTS samples (
    run_id TEXT NOT NULL REFERENCES runs (id),
    task_id TEXT NOT NULL,
    sample INTEGER NOT NULL,
    raw TEXT NOT NULL,
    code TEXT NOT NULL,
    PRIMARY KEY (run_id, task_id, sample)
);
CREATE TABLE IF NOT EXISTS attempts (
    run_id TEXT NOT NULL REFERENCES runs (id),
    task_id TEXT NOT NULL,
    sample INTEGER NOT NULL,
    round INTEGER NOT NULL,
    request TEXT NOT NULL,
    raw TEXT NOT NULL,
    code TEXT,
    status TEXT NOT NULL,
    feedback TEXT,
    tokens_in INTEGER NOT NULL,
    tokens_out INTEGER NOT NULL,
    latency_s REAL NOT NULL,
    cached INTEGER NOT NULL,
    finish_reason TEXT,
    score REAL,
    verdicts TEXT,
    model TEXT,
    PRIMARY KEY (run_id, task_id, sample, round)
);
CREATE TABLE IF NOT EXISTS verdicts (
    run_id TEXT NOT NULL REFERENCES runs (id),
    task_id TEXT NOT NULL,
    sample INTEGER NOT NULL,
    suite TEXT NOT NULL,
    status TEXT NOT NULL,
    tests_passed INTEGER NOT NULL,
    tests_total INTEGER NOT NULL,
    first_failure TEXT,
    stdout TEXT,
    stderr TEXT,
    wall_s REAL,
    cpu_s REAL,
    max_rss_kb INTEGER,
    created REAL NOT NULL,
    score REAL,
    shared_from INTEGER,
    components TEXT,
    PRIMARY KEY (run_id, task_id, sample, suite)
);
CREATE TABLE IF NOT EXISTS scores (
    run_id TEXT NOT NULL REFERENCES runs (id),
    task_id TEXT NOT NULL,
    sample INTEGER NOT NULL,
    name TEXT NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (run_id, task_id, sample, name)
);
CREATE TABLE IF NOT EXISTS findings (
    run_id TEXT NOT NULL REFERENCES runs (id),
    task_id TEXT NOT NULL,
    sample INTEGER NOT NULL,
    judge TEXT NOT NULL,
    rule TEXT NOT NULL,
    line INTEGER NOT NULL,
    severity TEXT,
    confidence TEXT,
    cwe INTEGER,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS findings_by_sample ON findings (run_id, task_id, sample);
CREATE TABLE IF NOT EXISTS evolutions (
    run_id TEXT NOT NULL REFERENCES runs (id),
    id TEXT NOT NULL,
    seed_id TEXT NOT NULL,
    round INTEGER NOT NULL,
    parent TEXT,
    heuristic TEXT,
    instruction TEXT NOT NULL,
    tests TEXT,
    answer TEXT,
    code TEXT,
    kept INTEGER NOT NULL,
    rule TEXT,
    why TEXT,
    evolver_raw TEXT,
    tokens_in INTEGER NOT NULL,
    tokens_out INTEGER NOT NULL,
    model_s REAL NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (run_id, id)
);
"""

INSERT_VERDICT = (
    "INSERT OR REPLACE INTO verdicts (run_id, task_id, sample, suite, status, tests_passed,"
    " tests_total, first_failure, stdout, stderr, wall_s, cpu_s, max_rss_kb, created, score,"
    " shared_from, components) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
INSERT_ATTEMPT = (
    "INSERT OR REPLACE INTO attempts (run_id, task_id, sample, round, request, raw, code,"
    " status, feedback, tokens_in, tokens_out, latency_s, cached, finish_reason, score,"
    " verdicts, model) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
SCHEMA_VERSION = 7

# version reached -> the nullable columns that step adds, per table
MIGRATIONS: dict[int, dict[str, dict[str, str]]] = {
    2: {"verdicts": {"score": "REAL"}},          # score-valued problems
    # the sample whose run gave an identical program its verdict (each distinct one runs once)
    3: {"verdicts": {"shared_from": "INTEGER"}},
    # every program of a search keeps its score and what judging it showed and cost
    4: {"attempts": {"score": "REAL", "verdicts": "TEXT"}},
    # several models in one run: the spec of the model that wrote each attempt
    5: {"attempts": {"model": "TEXT"}},
    # a score problem's verdict keeps its scorer's components (JSON), for every engine
    6: {"verdicts": {"components": "TEXT"}},
    # Evol-Instruct's evolutions (training/): a new table, which ``SCHEMA`` creates in an
    # older store as it opens; the step only records that the store has it
    7: {},
}


def upgrade(db: sqlite3.Connection, target: int) -> None:
    """The step that reaches ``target`` from the version before. A column already there (an
    unversioned store made after it, or a new store made from ``SCHEMA``) is left as it is."""
    for table, columns in MIGRATIONS[target].items():
        have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        for column, kind in columns.items():
            if column not in have:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
