"""The labelled item, the split by problem, and the check that nothing crosses it.

Items of one problem (every candidate a model wrote for it, every mutant of its reference)
share most of their text, so a random split by item would let a classifier recognise the
problem rather than learn the label. The split puts whole problems on one side, and
``check_split`` refuses any split where a problem, or an identical text, is on both sides.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from codecrucible.classify import ClassifyError


@dataclass(frozen=True)
class Item:
    id: str
    group: str        # the problem it belongs to; a split keeps a group on one side
    text: str         # what is classified: a program, or a user's text
    label: str
    target: str = ""  # context the prompts may name (the problem, a stance target)


class LeakError(ClassifyError):
    """A split where train and test share a problem or a text."""


def same_text(text: str) -> str:
    """Texts that differ only in whitespace count as identical."""
    return " ".join(text.split())


def split_by_problem(items: list[Item], test_fraction: float = 0.3, seed: int = 0
                     ) -> tuple[list[Item], list[Item]]:
    """(train, test): about ``test_fraction`` of the problems go to test, chosen by a hash of
    the seed and the problem's name, so the split does not depend on the items' order."""
    if not 0 < test_fraction < 1:
        raise ClassifyError(f"test fraction {test_fraction}: must be between 0 and 1")
    groups = sorted({item.group for item in items},
                    key=lambda g: hashlib.sha256(f"{seed}:{g}".encode()).hexdigest())
    if len(groups) < 2:
        raise ClassifyError(f"{len(groups)} problem(s): a split by problem needs two or more")
    count = min(max(1, math.ceil(len(groups) * test_fraction)), len(groups) - 1)
    held_out = set(groups[:count])
    train = [item for item in items if item.group not in held_out]
    test = [item for item in items if item.group in held_out]
    check_split(train, test)
    return train, test


def check_split(train: list[Item], test: list[Item]) -> None:
    """Refuse a split where a problem or an identical text is in both train and test."""
    train_groups = {item.group for item in train}
    for item in test:
        if item.group in train_groups:
            raise LeakError(f"label leak: problem {item.group!r} is in both train and test "
                            f"(test item {item.id!r}); split by problem")
    train_texts = {same_text(item.text): item.id for item in train}
    for item in test:
        twin = train_texts.get(same_text(item.text))
        if twin is not None:
            raise LeakError(f"label leak: test item {item.id!r} has the same text as train "
                            f"item {twin!r}; drop one of them")


def labels_of(items: list[Item]) -> tuple[str, ...]:
    """The labels in a stable order (sorted)."""
    return tuple(sorted({item.label for item in items}))
