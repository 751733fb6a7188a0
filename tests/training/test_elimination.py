"""Each elimination rule, through a batch of evolutions on scripted models; the code rules run
the answers in the real sandbox, hostile ones included, against the evolver's tests."""

from __future__ import annotations

import pytest
from training.scripted import EVOLVED, QUESTION, RIGHT, TESTS, Scripted, batch

from codecrucible.store.evolutions import Evolution
from codecrucible.training.elimination import answer_rejection, instruction_rejection
from codecrucible.training.heuristics import BY_NAME, evolve_prompt
from codecrucible.training.judging import Job
from codecrucible.training.seeds import Seed

SEED = Seed("Mbpp/601", "Write a function to add numbers.", "def add(a, b): return a + b")
PARENT = Evolution(id="Mbpp/601@0", seed_id="Mbpp/601", round=0, parent=None, heuristic=None,
                   instruction=SEED.instruction, tests=None, answer=SEED.output, code=None,
                   kept=True, rule=None, why=None, evolver_raw=None)


def decided(pool, evolved: str, answer: str, index=None):
    evolver, answerer = Scripted(evolved, "evolver"), Scripted(answer, "answerer")
    [evolution] = batch(evolver, answerer, pool, index).evolve([Job(SEED, 1, PARENT)])
    return evolution, answerer


def test_a_right_answer_is_kept_with_its_lineage(sandbox_pool):
    evolution, _ = decided(sandbox_pool, EVOLVED, RIGHT)
    assert evolution.kept, evolution.why
    assert (evolution.id, evolution.parent, evolution.round) == ("Mbpp/601@1", "Mbpp/601@0", 1)
    assert evolution.instruction == QUESTION and evolution.tests.startswith(TESTS.strip())
    assert evolution.code.startswith("def add_three") and evolution.heuristic
    assert (evolution.tokens_in, evolution.tokens_out) == (24, 14)


@pytest.mark.parametrize("question,rule", [
    ("Rewrite the #Rewritten Prompt# so that add_three(a, b, c) sums three numbers.",
     "copies-template"),
    ("As in the given prompt, write add_three(a, b, c).", "copies-template"),
    ("Write a function to add numbers.", "no-information-gain"),
    ("Write a function to add.", "no-information-gain"),
])
def test_instruction_rules_cost_no_answer(sandbox_pool, question, rule):
    evolved = f"#Rewritten Question#\n{question}\n#Tests#\n{TESTS}"
    evolution, answerer = decided(sandbox_pool, evolved, RIGHT)
    assert (evolution.kept, evolution.rule) == (False, rule)
    assert evolution.answer is None and answerer.requests == []


def test_an_evolution_without_usable_tests_is_dropped(sandbox_pool):
    evolved = f"#Rewritten Question#\n{QUESTION}\n#Tests#\nassert add_three(x, y, z) > 0\n"
    evolution, answerer = decided(sandbox_pool, evolved, RIGHT)
    assert evolution.rule == "no-tests" and answerer.requests == []


@pytest.mark.parametrize("answer,rule", [
    ("I'm sorry, but I cannot help with that request.", "refusal"),
    ("... it is, and then, so!", "stop-words-only"),
    ("The sum of three integers is their total, computed by adding them up.", "no-code"),
    ("```python\ndef add_three(a, b, c)\n    return a + b + c\n```", "no-code"),
    ("```python\ndef add_three(a, b, c):\n    return a + b + c + 1\n```", "fails-tests"),
    ("```python\ndef add_three(a, b, c):\n    return a + b + d\n```", "runtime-error"),
    ("```python\nimport missing_module_xyz\ndef add_three(a, b, c):\n    return a + b + c\n```",
     "runtime-error"),
])
def test_answer_and_code_rules(sandbox_pool, answer, rule):
    evolution, _ = decided(sandbox_pool, EVOLVED, answer)
    assert (evolution.kept, evolution.rule) == (False, rule), evolution.why
    assert evolution.why


def test_a_long_answer_that_apologises_is_not_a_refusal():
    long = "Sorry for the wait. " + "The function adds three numbers together. " * 20
    assert answer_rejection(long) is None


def test_a_new_word_is_information():
    assert instruction_rejection("Write a function to add numbers fast.",
                                 "Write a function to add numbers.") is None


HOSTILE = {
    "infinite loop": "def add_three(a, b, c):\n    while True:\n        pass\n",
    "huge output": "def add_three(a, b, c):\n    print('x' * 10 ** 8)\n    return a + b + c + 1\n",
    "exits early with status 0": "def add_three(a, b, c):\n    import os\n    os._exit(0)\n",
    # Looks for the expected values: in the caller's frames, in every object the interpreter
    # holds, and in every file it can read around it.
    "reads the tests": """
import gc, os, sys
def add_three(a, b, c):
    frame = sys._getframe(1)
    while frame is not None:
        for name in ("expected", "expect", "answer", "answers"):
            if name in frame.f_locals:
                return frame.f_locals[name]
        frame = frame.f_back
    for obj in gc.get_objects():
        if isinstance(obj, str) and "assert add_three" in obj:
            return int(obj.split("==")[1].split()[0])
    for root, _, files in os.walk("/"):
        for name in files:
            try:
                text = open(os.path.join(root, name)).read()
            except Exception:
                continue
            if "assert add_three(%d, %d, %d) ==" % (a, b, c) in text:
                return int(text.split("assert add_three(%d, %d, %d) ==" % (a, b, c))[1].split()[0])
    return -1
""",
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_answers_do_not_pass(sandbox_pool, kind):
    evolution, _ = decided(sandbox_pool, EVOLVED, f"```python\n{HOSTILE[kind]}\n```")
    assert not evolution.kept
    assert evolution.rule in ("runtime-error", "fails-tests"), evolution.why


def test_the_optional_equality_check_asks_the_evolver(sandbox_pool):
    def evolver_answer(request):
        return "Equal" if "Equal or Not Equal" in request.messages[0][1] else EVOLVED
    evolver, answerer = Scripted(evolver_answer, "evolver"), Scripted(RIGHT, "answerer")
    judging = batch(evolver, answerer, sandbox_pool)
    judging.equality_check = True
    [evolution] = judging.evolve([Job(SEED, 1, PARENT)])
    assert (evolution.rule, len(evolver.requests), answerer.requests) == \
        ("no-information-gain", 2, [])
    assert "judged it equal" in evolution.why and evolution.tokens_in == 24
    evolver = Scripted(lambda r: "Not Equal" if "Equal or Not" in r.messages[0][1] else EVOLVED)
    judging = batch(evolver, Scripted(RIGHT), sandbox_pool)
    judging.equality_check = True
    [evolution] = judging.evolve([Job(SEED, 1, PARENT)])
    assert evolution.kept and evolution.tokens_in == 36


def test_a_question_that_copies_the_evolving_prompts_method_is_a_copy():
    # Mbpp/682@1 of the study's run, kept before this rule: the method pasted as a requirement.
    template = evolve_prompt(BY_NAME["rarer-requirement"], "")
    parent = "Write a function to multiply two lists using map and lambda function."
    copied = ("Complete the function to multiply two lists using map and lambda function.\n"
              "Requirements:\n1. You should replace a requirement that programming tasks "
              "commonly have with a less common and more specific one.")
    rejection = instruction_rejection(copied, parent, template)
    assert rejection.rule == "copies-template"
    assert "replace a requirement that programming" in rejection.why
    own = "Write a function to multiply two lists using map and lambda, in linear time."
    assert instruction_rejection(own, parent, template) is None
    # the question's own words are its own, even where the prompt happens to hold them
    same = evolve_prompt(BY_NAME["add-constraints"], "")
    assert instruction_rejection("Make the programming question below a little harder: "
                                 "sort xs stably.", "Make the programming question below a "
                                 "little harder: sort xs.", same) is None
