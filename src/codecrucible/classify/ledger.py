"""The study's ledger: one SQLite file holding every prediction as it is made, each arm's
one-off cost, and the study's settings, so a killed study resumes without redoing anything.

- ``predictions``: (arm, item) -> answer, label, CPU-seconds, wall, tokens, cache hits;
  written one item at a time (a baseline's batch in one transaction);
- ``setups``: per arm, the one-off cost (fitting, training) once it is done;
- ``settings``: the study's settings, so a resume with other ones is refused rather than
  mixing two studies' predictions.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from codecrucible.classify import ClassifyError
from codecrucible.classify.prompting import Prediction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS predictions (
    arm TEXT NOT NULL, item_id TEXT NOT NULL, answer TEXT NOT NULL, label TEXT,
    cpu_s REAL NOT NULL, wall_s REAL NOT NULL, tokens_in INTEGER NOT NULL,
    tokens_out INTEGER NOT NULL, cached INTEGER NOT NULL, PRIMARY KEY (arm, item_id));
CREATE TABLE IF NOT EXISTS setups (
    arm TEXT PRIMARY KEY, cpu_s REAL NOT NULL, wall_s REAL NOT NULL, tokens INTEGER NOT NULL,
    peak_rss_mb REAL NOT NULL, joules REAL, detail TEXT NOT NULL);
"""


class Ledger:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        try:
            self.db = sqlite3.connect(path, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as err:
            raise ClassifyError(f"{path}: not a classify study's ledger ({err})") from None

    def check_settings(self, settings: dict) -> None:
        """Record the settings, or refuse those that differ from the recorded ones."""
        wanted = json.dumps(settings, sort_keys=True)
        row = self.db.execute("SELECT value FROM settings WHERE key = 'study'").fetchone()
        if row is None:
            self.db.execute("INSERT INTO settings VALUES ('study', ?)", (wanted,))
        elif row[0] != wanted:
            found = json.loads(row[0])
            differs = sorted(k for k in found.keys() | settings.keys()
                             if found.get(k) != settings.get(k))
            raise ClassifyError(f"{self.path} holds a study with other settings "
                                f"({', '.join(differs)} differ): use another --out-dir")

    def done(self, arm: str) -> set[str]:
        return {r[0] for r in self.db.execute(
            "SELECT item_id FROM predictions WHERE arm = ?", (arm,))}

    def add(self, arm: str, predictions: list[Prediction]) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR REPLACE INTO predictions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(arm, p.item_id, p.answer, p.label, p.cpu_s, p.wall_s, p.tokens_in,
                  p.tokens_out, p.cached) for p in predictions])

    def predictions(self, arm: str) -> dict[str, Prediction]:
        return {row[0]: Prediction(*row) for row in self.db.execute(
            "SELECT item_id, answer, label, cpu_s, wall_s, tokens_in, tokens_out, cached "
            "FROM predictions WHERE arm = ?", (arm,))}

    def setup(self, arm: str) -> dict | None:
        row = self.db.execute("SELECT cpu_s, wall_s, tokens, peak_rss_mb, joules, detail "
                              "FROM setups WHERE arm = ?", (arm,)).fetchone()
        if row is None:
            return None
        keys = ("cpu_s", "wall_s", "tokens", "peak_rss_mb", "joules")
        return dict(zip(keys, row[:5], strict=True)) | {"detail": json.loads(row[5])}

    def add_setup(self, arm: str, cpu_s: float, wall_s: float, tokens: int,
                  peak_rss_mb: float, joules: float | None, detail: dict) -> None:
        self.db.execute("INSERT OR REPLACE INTO setups VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (arm, cpu_s, wall_s, tokens, peak_rss_mb, joules, json.dumps(detail)))

    def close(self) -> None:
        self.db.close()
