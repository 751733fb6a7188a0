"""Supervised fine-tuning data: instruction/answer pairs read from JSON Lines and turned into
token ids whose labels cover the answer only.

A line is ``{"instruction": ..., "output": ...}`` (what ``crucible instruct export`` writes)
or Code Alpaca's ``{"instruction", "input", "output"}``, whose non-empty ``input`` follows the
instruction on a line of its own. Other fields are ignored. A bad line stops the read with one
line naming the file and the line number.

The pair is rendered with the model's own chat template (the user's turn, then the assistant's
answer with whatever ends its turn), so the model learns the format llama.cpp later renders; a
model without a template (a base model) gets Alpaca's plain instruction/response layout, the
answer ended by the end-of-sequence token. Prompt tokens are labelled -100 (no loss): the model
is taught to answer, not to write instructions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

IGNORE = -100   # the label transformers' loss skips
PLAIN_PROMPT = "### Instruction:\n{instruction}\n\n### Response:\n"


class DataError(ValueError):
    """A data file that cannot be read as instruction/answer pairs; names file and line."""


@dataclass(frozen=True)
class Pair:
    instruction: str
    output: str


@dataclass(frozen=True)
class Encoded:
    input_ids: tuple[int, ...]
    labels: tuple[int, ...]
    cut: bool = False        # the answer was longer than max_length allowed

    @property
    def answer_tokens(self) -> int:
        return sum(label != IGNORE for label in self.labels)


def read_pairs(path: Path) -> list[Pair]:
    """Every pair in a JSON Lines file; blank lines are skipped."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot read the data file ({err})") from None
    pairs = []
    for number, line in enumerate(lines, 1):
        if line.strip():
            pairs.append(_pair(path, number, line))
    if not pairs:
        raise DataError(f"{path}: no instruction/output pairs in the file")
    return pairs


def _pair(path: Path, number: int, line: str) -> Pair:
    where = f"{path}:{number}"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise DataError(f"{where}: not a JSON object ({err.msg})") from None
    if not isinstance(record, dict):
        raise DataError(f"{where}: not a JSON object")
    for field in ("instruction", "output"):
        if not isinstance(record.get(field), str):
            raise DataError(f"{where}: '{field}' is missing or not a string")
    extra = record.get("input", "")
    if not isinstance(extra, str):
        raise DataError(f"{where}: 'input' is not a string")
    instruction = record["instruction"].strip()
    if not instruction:
        raise DataError(f"{where}: 'instruction' is empty")
    if not record["output"].strip():
        raise DataError(f"{where}: 'output' is empty")
    if extra.strip():
        instruction += "\n" + extra.strip()
    return Pair(instruction, record["output"])


def render(tokenizer, pair: Pair) -> tuple[str, str]:
    """The prompt text and the answer text that follows it, as the model will see them."""
    if getattr(tokenizer, "chat_template", None):
        user = [{"role": "user", "content": pair.instruction}]
        prompt = tokenizer.apply_chat_template(user, tokenize=False,
                                               add_generation_prompt=True)
        whole = tokenizer.apply_chat_template(
            user + [{"role": "assistant", "content": pair.output}], tokenize=False)
        if not whole.startswith(prompt):
            raise DataError("the chat template renders the answer's turn in a way that does not "
                            "start with the prompt's; it cannot be trained on answers only")
        return prompt, whole[len(prompt):]
    return (PLAIN_PROMPT.format(instruction=pair.instruction),
            pair.output + (tokenizer.eos_token or ""))


def encode(tokenizer, pair: Pair, max_length: int) -> Encoded | None:
    """Token ids and labels, cut to ``max_length``; None when the prompt leaves no room for
    a single answer token."""
    prompt, answer = render(tokenizer, pair)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    bos = tokenizer.bos_token_id
    if getattr(tokenizer, "add_bos_token", False) and bos is not None and \
            prompt_ids[:1] != [bos]:
        prompt_ids = [bos, *prompt_ids]
    answer_ids = tokenizer(answer, add_special_tokens=False)["input_ids"]
    if len(prompt_ids) >= max_length:
        return None
    ids = (prompt_ids + answer_ids)[:max_length]
    labels = ([IGNORE] * len(prompt_ids) + answer_ids)[:max_length]
    return Encoded(tuple(ids), tuple(labels), len(prompt_ids) + len(answer_ids) > max_length)
