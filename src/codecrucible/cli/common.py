"""What every command shares: the consoles, option help, error exits and progress bars."""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

console = Console(stderr=True)  # progress and remarks
out = Console()                 # results

DATA_HELP = "Directory holding the benchmark files (as shared/datasets); replaces the " \
            "download. Default: $CRUCIBLE_DATA_DIR."
STORE_HELP = "SQLite store for runs and verdicts. Default: $CRUCIBLE_STORE or ./crucible.db."
MODEL_HELP = ("embedded:NAME (see 'crucible models'), gguf:PATH[#sha256=HEX], either with "
              "+lora=ADAPTER.gguf (crucible finetune writes one), "
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


def progress() -> Progress | PlainProgress:
    """Bars on a terminal; in a log (CI, nohup, a pipe) a plain line every few seconds."""
    if not console.is_terminal:
        return PlainProgress()
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), console=console,
                    transient=True)


class PlainProgress:
    """The part of rich's ``Progress`` the commands use, writing one plain line to stderr at
    most every $CRUCIBLE_PROGRESS_INTERVAL seconds (default 5): phase, done/total, the rate
    field, the time left."""

    def __init__(self, interval: float | None = None):
        self.interval = interval if interval is not None else \
            float(os.environ.get("CRUCIBLE_PROGRESS_INTERVAL", "5"))
        self.tasks: dict[int, dict] = {}
        self.last = time.monotonic()

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def add_task(self, description: str, total: float | None = None, completed: float = 0,
                 **fields) -> int:
        task = len(self.tasks)
        self.tasks[task] = {"name": description, "total": total, "done": completed,
                            "before": completed, "started": time.monotonic(), **fields}
        self.last = time.monotonic()
        return task

    def remove_task(self, task: int) -> None:
        self.tasks.pop(task, None)

    def update(self, task: int, advance: float = 0, **fields) -> None:
        state = self.tasks[task]
        state["done"] += advance
        state.update(fields)
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            print(self._line(state, now), file=sys.stderr, flush=True)

    @staticmethod
    def _line(state: dict, now: float) -> str:
        done, total = state["done"], state["total"]
        parts = [f"{state['name']} {done:.0f}/{total:.0f}" if total else
                 f"{state['name']} {done:.0f}"]
        if state.get("rate"):
            parts.append(state["rate"])
        if total and done > state["before"]:   # the time left at this process's pace
            left = (now - state["started"]) / (done - state["before"]) * (total - done)
            parts.append(f"ETA {int(left) // 60}m{int(left) % 60:02d}s")
        return ", ".join(parts)


def phase_bar(bar):
    """A study's phases on one progress bar, one task per phase: ``start(name, total,
    before)`` replaces the last phase's task (``before``: done by an earlier run), and
    ``advance(count=1)`` moves it."""
    state = {"task": None}

    def start(name: str, total: int, before: int) -> None:
        if state["task"] is not None:
            bar.remove_task(state["task"])
        label = f"{name} ({before} done before)" if before else name
        state["task"] = bar.add_task(label, total=max(total - before, 0) or None, rate="")

    def advance(count: int = 1) -> None:
        bar.update(state["task"], advance=count)

    return start, advance


def print_skipped(skipped: dict[str, str]) -> None:
    """Problems left out because a module they need is missing: counted, never failed."""
    if not skipped:
        return
    reasons = Counter(skipped.values())
    console.print(f"[yellow]skipped {len(skipped)} problems[/] (not scored): "
                  + "; ".join(f"{count} need {escape(why)}"
                              for why, count in reasons.most_common()),
                  highlight=False)


def print_unjudgeable(unjudgeable: dict[str, str], shown: int = 5) -> None:
    """Tasks whose reference solution fails on this host: left out of the scores, with why."""
    if not unjudgeable:
        return
    console.print(f"[yellow]{len(unjudgeable)} problems cannot be judged here[/] (their "
                  "reference solution fails; not scored):", highlight=False)
    for task, why in list(unjudgeable.items())[:shown]:
        console.print(f"  {task}: {why}", highlight=False, soft_wrap=True, markup=False)
    if len(unjudgeable) > shown:
        console.print(f"  ... and {len(unjudgeable) - shown} more (all in the JSON summary)")
