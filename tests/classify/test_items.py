"""The split by problem, and the check that refuses a leak across it."""

from __future__ import annotations

import pytest

from codecrucible.classify.items import Item, LeakError, check_split, split_by_problem


def _items(problems: int = 10, per_problem: int = 3) -> list[Item]:
    return [Item(f"P{p}:{s}", f"P{p}", f"def f{p}_{s}(): return {s}", "all" if s else "none")
            for p in range(problems) for s in range(per_problem)]


def test_no_problem_is_on_both_sides():
    train, test = split_by_problem(_items(), 0.3, seed=1)
    assert {i.group for i in train}.isdisjoint({i.group for i in test})
    assert len({i.group for i in test}) == 3 and len(train) + len(test) == 30


def test_the_split_does_not_depend_on_the_order_of_items():
    items = _items()
    assert split_by_problem(items, 0.3, 2) == split_by_problem(items[::-1][::-1], 0.3, 2)
    train, test = split_by_problem(list(reversed(items)), 0.3, 2)
    assert {i.id for i in test} == {i.id for i in split_by_problem(items, 0.3, 2)[1]}


def test_a_planted_problem_leak_is_refused():
    train, test = split_by_problem(_items(), 0.3)
    planted = Item("leak", test[0].group, "something new", "all")
    with pytest.raises(LeakError, match=f"problem '{test[0].group}' is in both train and test"):
        check_split(train + [planted], test)


def test_a_planted_identical_text_is_refused_even_under_another_problem():
    train, test = split_by_problem(_items(), 0.3)
    planted = Item("copy", "elsewhere", "  " + test[0].text.replace(" ", "  ") + "\n", "none")
    with pytest.raises(LeakError, match=f"test item '{test[0].id}' has the same text as train "
                                        "item 'copy'"):
        check_split(train + [planted], test)
