"""SEARCH/REPLACE blocks parsed and applied to a parent program (``search.diffs``): exact
matches first, then tolerant of trailing spaces and of a consistent indentation; a block not
found, found twice, empty or unfinished spoils the answer and says which block and why."""

from __future__ import annotations

from codecrucible.search.diffs import Block, edited, parse

PARENT = "def best():\n    x = 2\n    y = 3\n    return x\n"


def block(search: str, replace: str) -> str:
    return f"<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"


def test_a_block_replaces_the_lines_it_finds():
    answer = "Raise x:\n```\n" + block("    x = 2\n", "    x = 7\n") + "```\n"
    assert parse(answer) == (Block("    x = 2\n", "    x = 7\n"),)
    result = edited(PARENT, answer)
    assert result.code == PARENT.replace("x = 2", "x = 7") and not result.failure


def test_several_blocks_apply_in_order_each_to_what_the_last_left():
    answer = block("    x = 2\n", "    x = 5\n    z = 1\n") + "and\n" + \
        block("    z = 1\n    y = 3\n", "    y = 4\n") + \
        block("    return x\n", "    return x + y\n")
    assert edited(PARENT, answer).code == "def best():\n    x = 5\n    y = 4\n    return x + y\n"


def test_trailing_spaces_and_a_consistent_indentation_are_tolerated():
    assert edited(PARENT, block("    x = 2   \n", "    x = 8\n")).code == \
        PARENT.replace("x = 2", "x = 8")
    # Written without the function's indentation: the replacement lands inside it.
    answer = block("x = 2\ny = 3\n", "x = 1\nif x:\n    y = 9\n")
    assert edited(PARENT, answer).code == \
        "def best():\n    x = 1\n    if x:\n        y = 9\n    return x\n"
    # Over-indented: the extra indentation is taken off the replacement too.
    assert edited(PARENT, block("        return x\n", "        return -x\n")).code == \
        PARENT.replace("return x", "return -x")


def test_a_block_not_found_or_found_twice_spoils_the_answer_and_says_which():
    answer = block("    x = 2\n", "    x = 5\n") + block("    return y\n", "    return 0\n")
    result = edited(PARENT, answer)
    assert result.code is None and len(result.blocks) == 2
    assert result.failure == ("block 2 of 2 (SEARCH starting 'return y'): its SEARCH text is "
                              "not in the program")
    twice = edited("x = 1\nx = 1\n", block("x = 1\n", "x = 2\n"))
    assert twice.code is None and "occurs 2 times in the program (lines 1, 2)" in twice.failure
    assert "the block" in twice.failure
    assert "empty" in edited(PARENT, block("\n", "    pass\n")).failure


def test_an_unfinished_block_spoils_the_answer_and_an_answer_without_one_is_no_edit():
    cut = block("    x = 2\n", "    x = 5\n") + "<<<<<<< SEARCH\n    y = 3\n=======\n    y ="
    result = edited(PARENT, cut)
    assert result.code is None and "block 2 is unfinished: it has no >>>>>>> REPLACE line" \
        in result.failure
    assert edited(PARENT, "```python\ndef best():\n    return 9\n```") is None
