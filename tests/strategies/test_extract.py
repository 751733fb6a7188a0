import ast

from codecrucible.strategies.extract import (
    extract_code,
    program_from_completion,
    sanitize,
    truncate_completion,
)

PROMPT = 'def add_one(x):\n    """Return x plus one."""\n'
TYPED_PROMPT = (
    "from typing import List\n\n\n"
    "def has_close_elements(numbers: List[float], threshold: float) -> bool:\n"
    '    """Check if any two numbers are closer to each other than the threshold."""\n'
)


def run(program: str, call: str):
    """Execute a program and evaluate ``call`` in its namespace."""
    namespace: dict = {}
    exec(compile(program, "<program>", "exec"), namespace)
    return eval(call, namespace)


# --- extract_code: fenced blocks ------------------------------------------------------------


def test_prose_then_block_then_explanation():
    answer = (
        "Here is a Python function that adds one to its argument:\n\n"
        "```python\n"
        "def add_one(x):\n"
        "    return x + 1\n"
        "```\n\n"
        "This function takes a number `x` and returns `x + 1`. For example, `add_one(2)` is 3."
    )
    assert extract_code(answer, PROMPT, "add_one") == "def add_one(x):\n    return x + 1"


def test_example_usage_block_is_dropped():
    answer = (
        "```python\n"
        "from typing import List\n\n\n"
        "def has_close_elements(numbers: List[float], threshold: float) -> bool:\n"
        "    numbers = sorted(numbers)\n"
        "    return any(b - a < threshold for a, b in zip(numbers, numbers[1:]))\n"
        "```\n\n"
        "### Example usage\n\n"
        "```python\n"
        "print(has_close_elements([1.0, 2.0, 3.0], 0.5))  # False\n"
        "numbers = [1.0, 2.8, 3.0, 4.0, 5.0, 2.0]\n"
        "assert has_close_elements(numbers, 0.3)\n"
        "```\n"
    )
    code = extract_code(answer, TYPED_PROMPT, "has_close_elements")
    assert "def has_close_elements" in code
    assert "print(" not in code and "assert" not in code
    assert run(code, "has_close_elements([1.0, 2.8, 3.0], 0.3)") is True


def test_helper_in_an_earlier_block_is_joined():
    answer = (
        "First, a helper that checks primality:\n\n"
        "```python\n"
        "def is_prime(n):\n"
        "    return n > 1 and all(n % d for d in range(2, int(n ** 0.5) + 1))\n"
        "```\n\n"
        "Now the main function:\n\n"
        "```py\n"
        "def count_primes(limit):\n"
        "    return sum(is_prime(n) for n in range(limit))\n"
        "```\n\n"
        "Output:\n\n"
        "```\n"
        "4\n"
        "```\n"
    )
    code = extract_code(answer, "def count_primes(limit):\n    pass\n", "count_primes")
    assert code.index("def is_prime") < code.index("def count_primes")
    assert "\n4" not in code
    assert run(code, "count_primes(10)") == 4


def test_non_python_blocks_are_ignored():
    answer = (
        "Install nothing:\n\n```bash\npip install nothing\n```\n\n"
        "```python\ndef add_one(x):\n    return x + 1\n```\n\n"
        "```javascript\nconst add_one = x => x + 1;\n```\n"
    )
    assert extract_code(answer, PROMPT, "add_one") == "def add_one(x):\n    return x + 1"


def test_language_tag_variants():
    for tag in ("python", "Python", "py", "python3", "py3", ""):
        answer = f"```{tag}\ndef add_one(x):\n    return x + 1\n```\n"
        assert extract_code(answer, PROMPT, "add_one") == "def add_one(x):\n    return x + 1"


def test_answer_starting_inside_a_prefilled_block():
    answer = (
        "def add_one(x):\n"
        "    return x + 1\n"
        "```\n\n"
        "This function returns its argument plus one.\n\n"
        "```python\nprint(add_one(1))\n```\n"
    )
    assert extract_code(answer, PROMPT, "add_one") == "def add_one(x):\n    return x + 1"


def test_prefill_put_back_in_front_of_the_answer():
    prefill = "Below is a Python script that solves the problem:\n```python\n"
    answer = (
        "def add_one(x):\n"
        "    return x + 1\n"
        "\n"
        "\n"
        "# Example usage\n"
        "print(add_one(5))  # Output: 6\n"
        "```\n\n"
        "### Explanation\n"
        "The function adds one to its input.\n"
    )
    code = extract_code(prefill + answer, PROMPT, "add_one")
    assert sanitize(code, "add_one") == "def add_one(x):\n    return x + 1\n"


def test_prose_before_a_bare_fence_is_not_taken_for_a_prefilled_block():
    answer = "Sure\n```\ndef add_one(x):\n    return x + 1\n```\n"
    assert extract_code(answer, PROMPT, "add_one") == "def add_one(x):\n    return x + 1"


def test_unterminated_final_block():
    answer = (
        "Here's the implementation:\n\n"
        "```python\n"
        "def add_one(x):\n"
        "    return x + 1\n"
        "\n"
        "\n"
        "def unfinished(y):\n"
        "    return (y +"
    )
    code = extract_code(answer, PROMPT, "add_one")
    assert code.startswith("def add_one(x):\n    return x + 1")
    assert "unfinished" not in code
    assert run(code, "add_one(1)") == 2


def test_block_inside_a_list_item_is_dedented():
    answer = (
        "1. Define the function:\n"
        "   ```python\n"
        "   def add_one(x):\n"
        "       return x + 1\n"
        "   ```\n"
        "2. Call it.\n"
    )
    assert extract_code(answer, PROMPT, "add_one") == "def add_one(x):\n    return x + 1"


def test_reasoning_is_skipped():
    answer = (
        "<think>\nMaybe:\n```python\ndef add_one(x):\n    return x - 1\n```\nNo, wrong.\n"
        "</think>\n\n```python\ndef add_one(x):\n    return x + 1\n```\n"
    )
    assert extract_code(answer, PROMPT, "add_one") == "def add_one(x):\n    return x + 1"


def test_crlf_line_endings():
    answer = "Code:\r\n```python\r\ndef add_one(x):\r\n    return x + 1\r\n```\r\n"
    assert extract_code(answer, PROMPT, "add_one") == "def add_one(x):\n    return x + 1"


def test_entry_point_defined_by_assignment():
    answer = "```python\nadd_one = lambda x: x + 1\n```"
    assert extract_code(answer, PROMPT, "add_one") == "add_one = lambda x: x + 1"


# --- extract_code: the prompt's context ----------------------------------------------------


def test_missing_prompt_import_is_added():
    answer = (
        "```python\n"
        "def has_close_elements(numbers: List[float], threshold: float) -> bool:\n"
        "    return False\n"
        "```\n"
    )
    code = extract_code(answer, TYPED_PROMPT, "has_close_elements")
    assert code.startswith("from typing import List\n")
    assert run(code, "has_close_elements([1.0], 0.5)") is False


def test_present_prompt_import_is_not_repeated():
    answer = (
        "```python\n"
        "from typing import List\n\n"
        "def has_close_elements(numbers: List[float], threshold: float) -> bool:\n"
        "    return False\n"
        "```\n"
    )
    code = extract_code(answer, TYPED_PROMPT, "has_close_elements")
    assert code.count("from typing import List") == 1


def test_prompt_helper_the_answer_relies_on_is_added():
    prompt = (
        "def encode_shift(s: str):\n"
        '    """shift every character by 5"""\n'
        '    return "".join(chr(((ord(ch) + 5 - ord("a")) % 26) + ord("a")) for ch in s)\n\n\n'
        "def decode_shift(s: str):\n"
        '    """takes as input string encoded with encode_shift function."""\n'
    )
    answer = (
        "```python\n"
        "def decode_shift(s: str):\n"
        '    return "".join(chr(((ord(ch) - 5 - ord("a")) % 26) + ord("a")) for ch in s)\n'
        "```\n"
    )
    code = extract_code(answer, prompt, "decode_shift")
    assert code.count("def encode_shift") == 1 and code.count("def decode_shift") == 1
    assert run(code, "decode_shift(encode_shift('hello'))") == "hello"


# --- extract_code: no fences ---------------------------------------------------------------


def test_unfenced_code_followed_by_prose():
    answer = (
        "def add_one(x):\n"
        "    return x + 1\n"
        "\n"
        "This function simply returns x + 1.\n"
    )
    assert extract_code(answer, PROMPT, "add_one") == "def add_one(x):\n    return x + 1\n"


def test_unfenced_code_after_prose():
    answer = (
        "Here is the solution:\n\n"
        "import math\n\n"
        "def add_one(x):\n"
        "    return math.floor(x) + 1\n\n"
        "It floors first.\n"
    )
    code = extract_code(answer, PROMPT, "add_one")
    assert code.startswith("import math\n")
    assert run(code, "add_one(2.5)") == 3


def test_body_only_continuation_is_stitched_onto_the_prompt():
    assert extract_code("    return x + 1\n", PROMPT, "add_one") == PROMPT + "    return x + 1\n"


def test_body_only_continuation_with_trailing_prose():
    program = extract_code("    return x + 1\n\nThat adds one.\n", PROMPT, "add_one")
    assert program == PROMPT + "    return x + 1\n"
    assert run(program, "add_one(41)") == 42


def test_body_only_continuation_in_a_fence():
    program = extract_code("```python\n    return x + 1\n```\n", PROMPT, "add_one")
    assert run(program, "add_one(1)") == 2


def test_body_only_continuation_in_a_prefilled_block():
    program = extract_code("    return x + 1\n```\n\nThis adds one.", PROMPT, "add_one")
    assert run(program, "add_one(1)") == 2


def test_no_code_at_all():
    assert extract_code("I cannot help with that.", PROMPT, "add_one") is None
    assert extract_code("", PROMPT, "add_one") is None
    assert extract_code("Sure", PROMPT, "add_one") is None


def test_code_that_defines_another_function_only():
    answer = "```python\ndef something_else(x):\n    return x\n```\n"
    assert extract_code(answer, PROMPT, "add_one") is None


# --- sanitize ------------------------------------------------------------------------------


def test_sanitize_keeps_what_the_entry_point_needs():
    code = (
        "import math\n"
        "from functools import lru_cache\n"
        "\n"
        "SCALE = 3\n"
        "UNUSED = 99\n"
        "\n"
        "def helper(x):\n"
        "    return x * SCALE\n"
        "\n"
        "def f(x):\n"
        "    return helper(x) + math.floor(0.5)\n"
        "\n"
        "def test_f():\n"
        "    assert f(3) == 9\n"
        "\n"
        "print(f(3))\n"
        "test_f()\n"
        "\n"
        'if __name__ == "__main__":\n'
        "    print(f(4))\n"
    )
    program = sanitize(code, "f")
    assert program == (
        "import math\n\n"
        "from functools import lru_cache\n\n"
        "SCALE = 3\n\n"
        "def helper(x):\n    return x * SCALE\n\n"
        "def f(x):\n    return helper(x) + math.floor(0.5)\n"
    )
    assert run(program, "f(3)") == 9


def test_sanitize_follows_nested_reference_chains():
    code = (
        "BASE = 10\n"
        "OFFSET = BASE + 1\n"
        "TABLE = {k: k * OFFSET for k in range(3)}\n"
        "def c(x):\n    return TABLE[x]\n"
        "def b(x):\n    return c(x) + 1\n"
        "def a(x):\n    return b(x) * 2\n"
        "def lonely():\n    return BASE\n"
    )
    program = sanitize(code, "a")
    assert "lonely" not in program
    for name in ("BASE =", "OFFSET =", "TABLE =", "def c", "def b", "def a"):
        assert name in program
    assert run(program, "a(2)") == 46


def test_sanitize_keeps_decorators():
    code = (
        "from functools import lru_cache\n\n"
        "@lru_cache(maxsize=None)\n"
        "def fib(n):\n"
        "    return n if n < 2 else fib(n - 1) + fib(n - 2)\n\n"
        "print(fib(30))\n"
    )
    program = sanitize(code, "fib")
    assert "@lru_cache(maxsize=None)\ndef fib(n):" in program
    assert "print" not in program
    assert run(program, "fib(80)") == 23416728348467685


def test_sanitize_keeps_a_decorator_defined_in_the_code():
    code = (
        "def twice(fn):\n    return lambda x: fn(fn(x))\n\n"
        "@twice\ndef inc(x):\n    return x + 1\n"
    )
    assert run(sanitize(code, "inc"), "inc(0)") == 2


def test_sanitize_class_entry_point():
    code = (
        "from collections import deque\n\n"
        "LIMIT = 2\n\n"
        "class Base:\n    pass\n\n"
        "def clip(items):\n    return items[:LIMIT]\n\n"
        "class Queue(Base):\n"
        "    def __init__(self):\n        self.items = deque()\n\n"
        "    def head(self):\n        return clip(list(self.items))\n\n"
        "q = Queue()\nprint(q.head())\n"
    )
    program = sanitize(code, "Queue")
    for name in ("class Base", "def clip", "LIMIT = 2", "class Queue", "from collections"):
        assert name in program
    assert "q = Queue()" not in program and "print" not in program


def test_sanitize_truncated_generation_uses_the_longest_parsing_prefix():
    code = (
        "def helper(x):\n    return x * 2\n\n"
        "def f(x):\n    return helper(x)\n\n"
        "def g(y):\n    if y >"
    )
    program = sanitize(code, "f")
    assert "def g" not in program
    assert run(program, "f(4)") == 8


def test_sanitize_entry_point_lost_in_the_truncation():
    assert sanitize("def f(x):\n    return (x +", "f") is None


def test_sanitize_without_the_entry_point():
    assert sanitize("def g():\n    return 1\n", "f") is None
    assert sanitize("This is not code at all.", "f") is None


def test_sanitize_local_names_do_not_pull_in_example_code():
    code = (
        "def f(xs):\n"
        "    result = []\n"
        "    for x in xs:\n"
        "        result.append(x * 2)\n"
        "    return result\n\n"
        "result = f([1, 2, 3])\n"
        "print(result)\n"
    )
    assert sanitize(code, "f") == (
        "def f(xs):\n    result = []\n    for x in xs:\n        result.append(x * 2)\n"
        "    return result\n"
    )


def test_sanitize_with_non_ascii_text_and_shared_lines():
    code = (
        'GREETING = "héllo wörld ✓"; print(GREETING)\n'
        "def f():\n    return GREETING.upper()  # naïve\n"
        "f(); f()\n"
    )
    program = sanitize(code, "f")
    assert program == 'GREETING = "héllo wörld ✓"\n\ndef f():\n    return GREETING.upper()\n'
    assert run(program, "f()") == "HÉLLO WÖRLD ✓"


def test_sanitize_keeps_a_global_the_function_updates():
    code = (
        "calls = 0\n\n"
        "def f():\n    global calls\n    calls += 1\n    return calls\n\n"
        "f()\n"
    )
    program = sanitize(code, "f")
    assert program.startswith("calls = 0\n")
    assert run(program, "f()") == 1


def test_sanitize_keeps_statements_that_fill_a_kept_global():
    code = "memo = {}\nmemo[0] = 1\nother = 5\n\ndef f(n):\n    return memo[n]\n"
    assert run(sanitize(code, "f"), "f(0)") == 1
    assert "other" not in sanitize(code, "f")


def test_sanitize_keep_names_the_tests_use():
    code = (
        "def poly(xs, x):\n    return sum(c * x ** i for i, c in enumerate(xs))\n\n"
        "def find_zero(xs):\n    return -xs[0] / xs[1]\n"
    )
    assert "poly" not in sanitize(code, "find_zero")
    assert "def poly" in sanitize(code, "find_zero", keep=["poly"])


def test_sanitize_output_parses_and_keeps_order():
    code = "import os\nX = 1\ndef f():\n    return g() + X\nimport sys\ndef g():\n    return 2\n"
    program = sanitize(code, "f")
    ast.parse(program)
    assert [program.index(s) for s in ("import os", "X = 1", "def f", "import sys", "def g")] \
        == sorted(program.index(s) for s in ("import os", "X = 1", "def f", "import sys", "def g"))


# --- truncate_completion and program_from_completion --------------------------------------


def test_truncate_at_the_next_top_level_statement():
    completion = (
        "    return x + 1\n"
        "\n"
        "\n"
        "def test_add_one():\n"
        "    assert add_one(1) == 2\n"
    )
    assert truncate_completion(completion) == "    return x + 1\n"


def test_truncate_at_main_block_print_and_comment():
    for tail in ('if __name__ == "__main__":\n    main()\n', "print(add_one(1))\n", "# test\n"):
        assert truncate_completion("    y = x\n    return y + 1\n\n" + tail) == \
            "    y = x\n    return y + 1\n"


def test_truncate_keeps_a_completion_without_top_level_lines():
    assert truncate_completion("    return x + 1\n") == "    return x + 1\n"
    assert truncate_completion("    if x:\n        return 1\n\n    return 2") == \
        "    if x:\n        return 1\n\n    return 2"


def test_truncate_never_cuts_the_first_line():
    # The prompt's last line may be unfinished; the completion's first line finishes it.
    assert truncate_completion("x + 1\nprint(3)\n") == "x + 1\n"


def test_program_from_completion():
    completion = (
        "    return x + 1\n\n\n"
        "def check():\n    assert add_one(1) == 2\n\n"
        "check()\n"
    )
    program = program_from_completion(PROMPT, completion, "add_one")
    assert program == PROMPT + "    return x + 1\n"
    assert run(program, "add_one(1)") == 2


def test_program_from_completion_keeps_the_prompts_definitions():
    prompt = (
        "import math\n\n\n"
        "def poly(xs: list, x: float):\n"
        '    """Evaluates polynomial with coefficients xs at point x."""\n'
        "    return sum(coeff * math.pow(x, i) for i, coeff in enumerate(xs))\n\n\n"
        "def find_zero(xs: list):\n"
        '    """Find x such that poly(x) = 0."""\n'
    )
    program = program_from_completion(prompt, "    return -xs[0] / xs[1]\n", "find_zero")
    assert "def poly" in program and "import math" in program
    assert run(program, "poly([1, 2], find_zero([1, 2]))") == 0


def test_program_from_completion_falls_back_to_the_whole_completion():
    # A multi-line string returns to column 0, so truncation breaks the function apart.
    completion = '    text = """\nline\n"""\n    return text + str(x)\n'
    program = program_from_completion(PROMPT, completion, "add_one")
    assert run(program, "add_one(1)") == "\nline\n1"


def test_program_from_completion_with_a_truncated_generation():
    program = program_from_completion(PROMPT, "    y = x + 1\n    return (y", "add_one")
    assert program is not None
    ast.parse(program)


def test_program_from_completion_without_the_entry_point():
    assert program_from_completion("Write a function.\n", "Sure thing", "add_one") is None
