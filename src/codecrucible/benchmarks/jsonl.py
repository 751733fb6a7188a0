"""Reading benchmark files: JSON Lines (plain or gzip) and JSON arrays, with errors that name
the file and line."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

from codecrucible.benchmarks.data import DataError


def read_records(path: Path, required: tuple[str, ...] = ()) -> list[dict]:
    if path.suffix == ".json":
        try:
            records = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            raise DataError(f"{path}: not valid JSON ({err})") from err
        lines = list(enumerate(records, 1))
    else:
        lines = list(_jsonl(path))
    for number, record in lines:
        missing = [key for key in required if key not in record]
        if missing:
            raise DataError(f"{path}:{number}: record lacks {', '.join(missing)}")
    return [record for _, record in lines]


def _jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError as err:
                    raise DataError(f"{path}:{number}: malformed JSON ({err})") from err
                if not isinstance(record, dict):
                    raise DataError(f"{path}:{number}: expected a JSON object")
                yield number, record
    except (OSError, EOFError) as err:  # gzip truncation shows up here
        raise DataError(f"{path}: cannot be read ({err})") from err
