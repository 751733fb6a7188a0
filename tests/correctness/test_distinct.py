"""Which programs count as copies of each other (``correctness/distinct.py``)."""

from codecrucible.correctness.distinct import Distinct

PROGRAM = 'def f(x):\n    """Twice x."""\n    return 2 * x\n'


def test_exact_copies_share_the_first():
    seen = Distinct()
    assert seen.first("T/0", PROGRAM, 0) is None
    assert seen.first("T/0", PROGRAM, 1) == 0
    assert seen.first("T/0", PROGRAM, 2) == 0


def test_trailing_whitespace_and_line_endings_do_not_make_a_new_program():
    seen = Distinct()
    assert seen.first("T/0", PROGRAM, 0) is None
    variant = PROGRAM.replace("\n", "   \r\n") + "\n\n  \n"
    assert seen.first("T/0", variant, 1) == 0
    assert seen.first("T/0", PROGRAM.replace("\n", "\r"), 2) == 0


def test_other_code_is_another_program():
    seen = Distinct()
    assert seen.first("T/0", PROGRAM, 0) is None
    assert seen.first("T/0", PROGRAM.replace("2 * x", "x + x"), 1) is None
    assert seen.first("T/0", PROGRAM + "# a comment\n", 2) is None


def test_the_same_program_on_another_task_is_judged_again():
    seen = Distinct()
    assert seen.first("T/0", PROGRAM, 0) is None
    assert seen.first("T/1", PROGRAM, 1) is None


def test_whitespace_inside_a_string_is_part_of_the_program():
    seen = Distinct()
    inside = 's = """a\nb"""\n'
    assert seen.first("T/0", inside, 0) is None
    assert seen.first("T/0", inside.replace("a\n", "a   \n"), 1) is None


def test_whitespace_after_a_backslash_changes_the_program():
    seen = Distinct()
    joined = "x = 1 + \\\n    2\n"
    assert seen.first("T/0", joined, 0) is None
    # "\ " is a syntax error; stripping the space would make it the program above
    assert seen.first("T/0", joined.replace("\\\n", "\\ \n"), 1) is None


def test_a_program_that_does_not_parse_shares_only_with_exact_copies():
    seen = Distinct()
    broken = "def f(:\n    return 1\n"
    assert seen.first("T/0", broken, 0) is None
    assert seen.first("T/0", broken, 1) == 0
    assert seen.first("T/0", broken.replace("\n", "  \n"), 2) is None
