"""Prompts for a problem, and the repair prompt built from a failing verdict.

Chat (instruct) models get the problem's code prompt in the wording EvalPlus uses for instruct
models, with the answer prefilled up to the opening of a Python code block where the backend
allows it; that is the protocol under which the published pass@1 numbers were measured.
Completion (base) models continue the code prompt and are stopped at the next top-level line.
Whole-program benchmarks (MTPB, DS-1000) write their own instruction for chat models and their
own stops for base models; the chat answer is prefilled up to an opened Python block there too.
"""

from __future__ import annotations

from codecrucible.records import Problem, Request, Verdict
from codecrucible.strategies import extract

CHAT_INSTRUCTION = ("Please provide a self-contained Python script that solves the following "
                    "problem in a markdown code block:\n```\n{prompt}\n```\n")
CHAT_PREFILL = ("Below is a Python script with a self-contained function that solves the "
                "problem and passes corresponding tests:\n```python\n")
CODE_PREFILL = "```python\n"
# A prefilled answer is done when its code block closes; the prose after it costs tokens only.
CHAT_STOPS = ("\n```",)
# A base model continuing a function body is done at the next top-level statement.
COMPLETION_STOPS = ("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\nassert ", "\n#")
_FEEDBACK_CHARS = 1500


def first_request(problem: Problem, chat: bool, prefill: bool = True, **sampling) -> Request:
    """``prefill``: whether the backend can start the answer for the model (chat APIs cannot)."""
    if not problem.calls:
        sampling["max_tokens"] = problem.metadata.get("max_tokens", sampling["max_tokens"])
        if chat:
            return Request(messages=(("user", problem.instruction),),
                           prefill=CODE_PREFILL if prefill else "",
                           stop=CHAT_STOPS if prefill else (), **sampling)
        return Request(prompt=problem.prompt, stop=tuple(problem.metadata.get("stops", ())),
                       **sampling)
    if chat:
        text = problem.prompt.strip() or problem.instruction.strip()
        return Request(messages=(("user", CHAT_INSTRUCTION.format(prompt=text)),),
                       prefill=CHAT_PREFILL if prefill else "",
                       stop=CHAT_STOPS if prefill else (), **sampling)
    return Request(prompt=problem.prompt, stop=COMPLETION_STOPS, **sampling)


def program(problem: Problem, request: Request, text: str) -> str | None:
    """The candidate program in a model's answer, or None when it holds no usable code.
    For a problem with a harness, that is the code that goes into it (``Problem.program``)."""
    if not problem.calls:
        if request.is_chat:
            code = extract.extract_script(request.prefill + text)
            if code and problem.harness is not None and "setup" in problem.metadata:
                code = extract.fit_to_slot(code, problem.metadata["setup"],
                                           problem.metadata.get("slot_function"))
            return code if code and code.strip() else None
        if problem.harness is not None:
            return text if text.strip() else None
        return request.prompt + text if text.strip() else None
    if request.is_chat:
        # With a prefill the answer starts inside the code block; put the fence back so the
        # extractor sees the block the model was writing.
        answer = request.prefill + text if request.prefill else text
        code = extract.extract_code(answer, problem.prompt, problem.entry_point)
        if code is None:
            return None
        keep = extract.prompt_names(problem.prompt)
        return extract.sanitize(code, problem.entry_point, keep) or code
    return extract.program_from_completion(request.prompt, text, problem.entry_point)


def feedback(verdict: Verdict) -> str:
    """What a failing run showed, in the words a developer would read: the failing test or the
    error the program raised."""
    parts = [verdict.first_failure or f"the program ended with status {verdict.status.value}"]
    tail = (verdict.stderr or "").strip()
    if tail:
        parts.append("Error output:\n" + tail[-_FEEDBACK_CHARS:])
    return "\n".join(parts)[:2 * _FEEDBACK_CHARS]


def repair_request(problem: Problem, previous: Request, code: str | None, verdict: Verdict,
                   *, repeated: bool = False) -> Request:
    """The next round's request: the conversation so far, the candidate and why it failed.
    ``repeated`` says the model already answered this very request with this program."""
    if code is None:
        why = "The answer above contains no usable Python code."
    else:
        why = f"Running it against the tests failed:\n{feedback(verdict)}"
    if repeated:
        why += ("\nYou already answered with this same program once, and it failed the same "
                "way: write a different one.")
    ask = (f"{why}\nFix the program. Return the whole corrected program, including the function "
           f"`{problem.entry_point}`, in a single Python code block.")
    if previous.is_chat:
        shown = f"```python\n{code}\n```" if code else "(no code)"
        messages = previous.messages[:1] + (("assistant", shown), ("user", ask))
        return Request(messages=messages, prefill="```python\n" if previous.prefill else "",
                       max_tokens=previous.max_tokens,
                       temperature=previous.temperature, top_p=previous.top_p,
                       seed=previous.seed, stop=previous.stop, trial=previous.trial)
    comment = "\n".join("# " + line for line in ask.splitlines())
    prompt = f"{code or ''}\n\n{comment}\n{problem.prompt}"
    return Request(prompt=prompt, max_tokens=previous.max_tokens,
                   temperature=previous.temperature, top_p=previous.top_p, seed=previous.seed,
                   stop=previous.stop, trial=previous.trial)
