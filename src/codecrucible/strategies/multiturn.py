"""The ``multiturn`` strategy: a program written turn by turn, as in the CodeGen paper.

A problem that lists turns (``metadata["turns"]``, e.g. MTPB) is specified one short instruction
at a time, and each answer's code is appended to the program so far. Only the finished program
is judged; every turn is stored as an attempt (round = turn number) with its request, answer,
tokens and time, so the trace of a conversation can be read back and its cost is charged.

- Base (completion) models see the program so far with the turn as a comment line, and their
  answer is cut where the CodeGen sampler cuts it (``extract.truncate_turn``).
- Chat models get each turn as a user message after the earlier turns and their code, and the
  code is extracted from each answer (``extract.extract_script``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from codecrucible.records import Attempt, Candidate, Problem, Request
from codecrucible.strategies import extract, prompting
from codecrucible.strategies.base import Budget, Context, no_rounds, seed_for

# A base model's turn ends at a comment (the next turn's slot), a docstring or a blank gap.
TURN_STOPS = ("\n#", "<|endoftext|>", '\n"""', "\n'''", "\n\n\n")
CHAT_PREAMBLE = ("We are writing one Python program together, step by step. For each step, "
                 "reply with only the new code for that step, in one Python code block; it is "
                 "appended to the program so far, so do not repeat earlier code.\n\n")


@dataclass
class Conversation:
    """One sample's program and dialogue so far."""

    prefix: str
    turns_done: list[tuple[str, str]] = field(default_factory=list)  # (turn, its code)
    messages: tuple[tuple[str, str], ...] = ()

    def program(self) -> str:
        return self.prefix + "".join(f"# {turn}\n{code}\n" for turn, code in self.turns_done)

    def request(self, turn: str, number: int, chat: bool, prefill: bool, **sampling) -> Request:
        if chat:
            ask = f"Step {number + 1}: {turn}"
            messages = self.messages + (("user", (CHAT_PREAMBLE + ask) if number == 0 else ask),)
            return Request(messages=messages, prefill=prompting.CODE_PREFILL if prefill else "",
                           stop=prompting.CHAT_STOPS if prefill else (), **sampling)
        return Request(prompt=f"{self.program()}# {turn}\n", stop=TURN_STOPS, **sampling)

    def add(self, turn: str, request: Request, text: str) -> str:
        """Record the answer to ``turn``; returns the code it added."""
        if request.is_chat:
            code = extract.extract_script(request.prefill + text) or ""
            shown = f"```python\n{code}```" if code else "(no code)"
            self.messages = request.messages + (("assistant", shown),)
        else:
            code = extract.truncate_turn(text).rstrip()
            code = code + "\n" if code.strip() else ""
        self.turns_done.append((turn, code))
        return code


class Multiturn:
    """Each sample's program written turn by turn; only the finished program is judged."""

    def check(self, budget: Budget, problems: Sequence[Problem]) -> None:
        no_rounds(budget)
        lacking = next((p for p in problems if not p.metadata.get("turns")), None)
        if lacking is not None:
            raise ValueError(f"the multiturn strategy needs a benchmark whose problems are "
                             f"specified turn by turn (mtpb); {lacking.benchmark} has no turns")

    def __call__(self, problem: Problem, samples: list[int], ctx: Context) -> list[Candidate]:
        turns = problem.metadata.get("turns")
        if not turns:
            raise ValueError(f"{problem.task_id} has no turns; the multiturn strategy needs a "
                             "benchmark that specifies problems turn by turn (mtpb)")
        return _converse(problem, turns, samples, ctx)


def _converse(problem: Problem, turns: list[str], samples: list[int], ctx: Context
              ) -> list[Candidate]:
    s = ctx.sampling
    budget = problem.metadata.get("turn_max_tokens", s.max_tokens)
    prefill = ctx.model.prefills
    conversations = {sample: Conversation(problem.metadata.get("prefix", "")) for sample in samples}
    attempts: dict[int, list[Attempt]] = {sample: [] for sample in samples}
    wrote_code = dict.fromkeys(samples, False)
    for number, turn in enumerate(turns):
        requests = [conversations[sample].request(
            turn, number, ctx.model.chat, prefill, max_tokens=budget, temperature=s.temperature,
            top_p=s.top_p, seed=seed_for(s.seed, problem.task_id, sample, number), trial=sample)
            for sample in samples]
        # One call per turn for all samples: a shared first prompt is processed once.
        for sample, request, completion in zip(samples, requests, ctx.model.generate(requests),
                                               strict=True):
            conversation = conversations[sample]
            wrote_code[sample] |= bool(conversation.add(turn, request, completion.text))
            attempts[sample].append(Attempt(number, request, completion,
                                            conversation.program()))
    programs = {sample: conversations[sample].program() if wrote_code[sample] else None
                for sample in samples}
    futures = {sample: ctx.referee.submit(problem.task_id, programs[sample]) for sample in samples}
    candidates = []
    for sample in samples:
        final = attempts[sample][-1]
        final.code = programs[sample]
        final.verdicts = futures[sample].result()
        candidates.append(Candidate(problem.task_id, sample, attempts[sample]))
    return candidates


multiturn = Multiturn()
