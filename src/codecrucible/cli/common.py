"""What every command shares: the consoles, option help, error exits and progress bars."""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

console = Console(stderr=True)  # progress and remarks
out = Console()                 # results

DATA_HELP = "Directory holding the benchmark files (as shared/datasets); replaces the " \
            "download. Default: $CRUCIBLE_DATA_DIR."
STORE_HELP = "SQLite store for runs and verdicts. Default: $CRUCIBLE_STORE or ./crucible.db."
MODEL_HELP = ("embedded:NAME (see 'crucible models'), gguf:PATH[#sha256=HEX], "
              "openai:URL#MODEL or hf:PATH.")


def fail(message: str) -> NoReturn:
    # One plain line, never wrapped, so scripts and people can both read it.
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(2)


def store_path(store: Path | None) -> Path:
    return store or Path(os.environ.get("CRUCIBLE_STORE", "crucible.db"))


def megabytes(text: str) -> int:
    units = {"K": 1 / 1024, "M": 1, "G": 1024}
    text = text.strip().upper().removesuffix("B")
    try:
        if text[-1:] in units:
            return max(1, int(float(text[:-1]) * units[text[-1]]))
        return int(text)
    except ValueError:
        fail(f"memory limit {text!r} is not a size like 512M or 2G")


def progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), console=console,
                    transient=True, disable=not console.is_terminal)  # no bars in logs


def print_skipped(skipped: dict[str, str]) -> None:
    """Problems left out because a module they need is missing: counted, never failed."""
    if not skipped:
        return
    reasons = Counter(skipped.values())
    console.print(f"[yellow]skipped {len(skipped)} problems[/] (not scored): "
                  + "; ".join(f"{count} need {why}" for why, count in reasons.most_common()),
                  highlight=False)


def print_unjudgeable(unjudgeable: dict[str, str], shown: int = 5) -> None:
    """Tasks whose reference solution fails on this host: left out of the scores, with why."""
    if not unjudgeable:
        return
    console.print(f"[yellow]{len(unjudgeable)} problems cannot be judged here[/] (their "
                  "reference solution fails; not scored):", highlight=False)
    for task, why in list(unjudgeable.items())[:shown]:
        console.print(f"  {task}: {why}", highlight=False, soft_wrap=True)
    if len(unjudgeable) > shown:
        console.print(f"  ... and {len(unjudgeable) - shown} more (all in the JSON summary)")
