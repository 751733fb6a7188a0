"""The run's journal (``strategies.Journal``): a search's programs go to the store one by one,
as they are judged, and come back from it when a killed run is resumed.

A sample's attempts share the ``attempts`` table's rows with its finished candidate (the same
primary key: run, task, sample, round), so committing the candidate later rewrites them as
they are; until then a sample without a verdict is one a resumed run redoes, replaying what
the journal holds. Each recorded program is also reported to the front end, which shows the
best fitness so far.
"""

from __future__ import annotations

from collections.abc import Callable

from codecrucible.records import Attempt
from codecrucible.store import Store


class StoreJournal:
    def __init__(self, store: Store, run_id: str,
                 on_record: Callable[[str, int, Attempt], None] = lambda *_: None):
        self.store, self.run_id, self.on_record = store, run_id, on_record

    def record(self, task_id: str, sample: int, attempt: Attempt) -> None:
        self.store.add_attempt(self.run_id, task_id, sample, attempt)
        self.on_record(task_id, sample, attempt)

    def stored(self, task_id: str, sample: int) -> list[Attempt]:
        return self.store.stored_attempts(self.run_id, task_id, sample)
