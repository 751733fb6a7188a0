"""Where the items come from: stored runs (will this candidate pass its tests?), the
execution-labelled defect set (which mutation broke this program?), or a user's file.

Every error names its input in one line: a missing store, a user file's bad row (file and row
number), a file with no items.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

from codecrucible.classify import ClassifyError
from codecrucible.classify.items import Item, same_text
from codecrucible.store import Store, StoreError

PASS_LABELS = ("all", "some", "none")


def pass_label(verdicts: list[dict]) -> str:
    """all: every suite passed; none: no test passed in any suite; some: anything between."""
    if verdicts and all(v["status"] == "passed" for v in verdicts):
        return "all"
    if sum(v["tests_passed"] for v in verdicts) == 0:
        return "none"
    return "some"


def pass_items(stores: list[Path]) -> list[Item]:
    """One item per judged candidate with code, from every run in every store. A text seen
    before (the same program written twice, even for another problem) is kept once, under
    its first problem, so no identical text can end up on both sides of a split."""
    items: list[Item] = []
    seen: set[str] = set()
    for path in stores:
        if not Path(path).is_file():
            raise ClassifyError(f"{path}: no such store")
        try:
            store = Store(path)
        except StoreError as err:
            raise ClassifyError(str(err)) from None
        try:
            for run in store.runs():
                judged: dict[tuple[str, int], list[dict]] = defaultdict(list)
                for verdict in store.verdicts(run["id"]):
                    judged[(verdict["task_id"], verdict["sample"])].append(verdict)
                for sample in store.samples(run["id"]):
                    key = (sample["task_id"], sample["sample"])
                    text = sample["code"]
                    if sample["no_code"] or key not in judged or not text.strip():
                        continue
                    if same_text(text) in seen:
                        continue
                    seen.add(same_text(text))
                    items.append(Item(f"{Path(path).stem}:{run['id']}:{key[0]}:{key[1]}",
                                      key[0], text, pass_label(judged[key]), key[0]))
        finally:
            store.close()
    if not items:
        raise ClassifyError(f"{', '.join(map(str, stores))}: no judged candidates with code")
    return items


def defect_items(samples: list) -> list[Item]:
    """Bug type: each mutant (``weights.defects.Sample``) labelled by its mutation operator;
    the clean programs are not part of this task."""
    return [Item(s.id, s.task, s.text, s.kind, s.task) for s in samples if s.buggy]


def user_items(path: Path, text: str = "text", label: str = "label",
               target: str | None = "target", group: str | None = None) -> list[Item]:
    """Items from a CSV (header row) or JSON Lines file. ``text`` and ``label`` are required
    in every row; ``target`` is used where the column exists; ``group`` names the column that
    keeps rows together in a split (default: each row is its own group)."""
    path = Path(path)
    rows = _rows(path)
    items = []
    for number, row in rows:
        where = f"{path}: row {number}"
        if not isinstance(row, dict):
            raise ClassifyError(f"{where}: not an object with named fields")
        for column in (text, label):
            value = row.get(column)
            if isinstance(value, bool) or not isinstance(value, str | int) \
                    or not str(value).strip():
                raise ClassifyError(f"{where}: no {column!r} value (a non-empty string)")
        context = row.get(target, "") if target else ""
        keeper = row.get(group) if group else None
        if group and (keeper is None or str(keeper) == ""):
            raise ClassifyError(f"{where}: no {group!r} value to group by")
        items.append(Item(f"row{number}", str(keeper) if group else f"row{number}",
                          str(row[text]), str(row[label]).strip(), str(context or "")))
    if not items:
        raise ClassifyError(f"{path}: no rows")
    return items


def _rows(path: Path) -> list[tuple[int, object]]:
    """(row number, row) pairs; a JSONL row's number is its line, a CSV row's is its record
    number after the header (the line where it starts)."""
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ClassifyError(f"{path}: cannot read ({err})") from None
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(raw.splitlines(keepends=True))
        rows = []
        try:
            for record in reader:
                if None in record or None in record.values():
                    raise ClassifyError(f"{path}: row {reader.line_num}: not as many fields "
                                        f"as the header's {len(reader.fieldnames or [])}")
                rows.append((reader.line_num, record))
        except csv.Error as err:
            raise ClassifyError(f"{path}: row {reader.line_num}: {err}") from None
        return rows
    rows = []
    for number, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append((number, json.loads(line)))
        except json.JSONDecodeError as err:
            raise ClassifyError(f"{path}: row {number}: not JSON ({err.msg})") from None
    return rows
