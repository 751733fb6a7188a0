"""``crucible run``: a model, a strategy and a benchmark, end to end."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.progress import Progress

from codecrucible.benchmarks.data import DataError, resolve_data_dir
from codecrucible.cli.common import (
    DATA_HELP,
    MODEL_HELP,
    STORE_HELP,
    PlainProgress,
    console,
    fail,
    megabytes,
    out,
    print_skipped,
    print_unjudgeable,
    progress,
    store_path,
)
from codecrucible.store import StoreError

if TYPE_CHECKING:
    from codecrucible.report.summary import Usage


def run(
    model: list[str] = typer.Option(["embedded:qwen2.5-coder-0.5b"], "-m", "--model",
                                    metavar="SPEC", help=MODEL_HELP + " Repeat for several "
                                    "models in one run: sample k goes to model k mod M, so "
                                    "-n M gives each model one sample (one search trial)."),
    benchmark: str = typer.Option("humaneval", "-b", "--benchmark",
                                  help="Benchmark name (see 'crucible benchmarks')."),
    strategy: str = typer.Option("single", "-s", "--strategy",
                                 help="single: n independent samples. repair: a failing "
                                      "candidate's test or error goes back to the model. "
                                      "multiturn: the program is written turn by turn "
                                      "(mtpb). evolve: hill climbing, one conversation per "
                                      "sample: each program's score or error goes back to "
                                      "the model, and the best program is kept. "
                                      "evolve-islands: a program database of islands; "
                                      "prompts show the best programs with their scores."),
    diffs: bool = typer.Option(False, "--diffs", help="evolve and evolve-islands only: ask "
                               "for SEARCH/REPLACE edits of the best program (evolve) or of "
                               "the best program shown (evolve-islands) instead of whole "
                               "programs; an answer without edits is taken as a whole "
                               "program. For larger models: small ones write poor diffs."),
    rounds: int | None = typer.Option(None, "--rounds", help="Rounds after the first "
                                      "attempt (repair, evolve and "
                                      "evolve-islands only; default 3)."),
    samples: int = typer.Option(1, "-n", "--samples", help="Samples per problem."),
    temperature: float = typer.Option(0.0, "-t", "--temperature", help="0 is greedy."),
    top_p: float = typer.Option(0.95, "--top-p", help="Nucleus sampling mass (T > 0)."),
    max_tokens: int = typer.Option(768, "--max-tokens", help="Tokens per answer (mtpb and "
                                   "ds1000 use their own budgets: MTPB's per turn, summed for "
                                   "a single-turn answer)."),
    seed: int = typer.Option(0, "--seed", help="Base seed; each sample derives its own."),
    concurrency: int = typer.Option(8, "--concurrency", help="Requests in flight to an "
                                    "OpenAI-compatible server."),
    context: int = typer.Option(4096, "--context", help="Context size (llama.cpp)."),
    threads: int | None = typer.Option(None, "--threads", help="Model threads (default: "
                                       "all cores)."),
    prompt_style: str = typer.Option("auto", "--prompt-style", help="auto, chat (instruct "
                                     "models) or completion (base models)."),
    request_timeout: float = typer.Option(600.0, "--request-timeout", help="Seconds per "
                                          "try of a request to a server."),
    call_timeout: float = typer.Option(300.0, "--call-timeout", metavar="SECONDS",
                                       help="Hard bound on each model call, retries "
                                       "included: a call that reaches it ends as a "
                                       "'timeout' answer (llama.cpp keeps the text so far), "
                                       "which is not cached, and the run goes on."),
    timeouts_in_a_row: int = typer.Option(3, "--timeouts-in-a-row", metavar="N",
                                          help="Stop the run when a model's calls time out "
                                          "N times in a row (its server is down or far too "
                                          "slow); resume it later. 0: never stop."),
    limit: int | None = typer.Option(None, "--limit", help="Only the first N problems."),
    task: list[str] = typer.Option([], "--task", help="Only this task id or pattern "
                                   "(repeatable), e.g. HumanEval/0 or 'MTPB/*/0'."),
    libraries: str | None = typer.Option(None, "--libraries", help="ds1000 only: "
                                         "comma-separated libraries, e.g. numpy,pandas."),
    judges: str = typer.Option("none", "--judges", help="Judges beyond correctness for every "
                               "candidate: all, none, or a list of efficiency, "
                               "maintainability, style, security."),
    resume: str | None = typer.Option(None, "--resume", metavar="RUN_ID",
                                      help="Continue an interrupted run with its own settings."),
    store: Path | None = typer.Option(None, "--store", help=STORE_HELP),
    data_dir: Path | None = typer.Option(None, "--data-dir", help=DATA_HELP),
    jobs: int | None = typer.Option(None, "-j", "--jobs", help="Sandbox slots (default: one "
                                    "per core)."),
    memory: str = typer.Option("1G", help="Memory limit per program, e.g. 512M or 2G."),
    dedupe: bool = typer.Option(True, "--dedupe/--no-dedupe", help="Run each distinct program "
                                "of a task once and share its verdict with its copies. "
                                "--no-dedupe runs every copy (to see a flaky program vary)."),
    summary: Path | None = typer.Option(None, "--summary", help="Write a JSON summary here."),
    per_problem: bool = typer.Option(False, "--per-problem", help="Print a row per problem."),
):
    """Generate with a model, judge in the sandbox, print pass@k; everything lands in the store.

    Examples:

      crucible run                      (embedded default model, HumanEval, greedy)

      crucible run -m embedded:qwen2.5-coder-1.5b -b humaneval+ -s repair --rounds 3 -n 5 -t 0.8

      crucible run -m openai:http://127.0.0.1:8000/v1#qwen -b mbpp+ --concurrency 8

      crucible run -m embedded:qwen2.5-coder-0.5b -m embedded:qwen2.5-coder-1.5b -n 2 -t 0
      (best of two models, one greedy sample each, in one run)

      crucible run -m openai:http://127.0.0.1:8000/v1#qwen --call-timeout 120

      crucible run -b mtpb -s multiturn     (turn by turn, as in the CodeGen paper)

      crucible run -b discovery -s evolve --rounds 10 -n 4 -t 0.8   (program search)

      crucible run -b games -s evolve --rounds 5 -n 2 -t 0.8   (policies that play games)

      crucible run -m openai:http://127.0.0.1:8000/v1#qwen -b discovery -s evolve-islands
      --rounds 30 -n 2 -t 0.8 --diffs   (a search that asks for edits, not whole programs)

      crucible run -b ds1000 --libraries numpy,pandas

      crucible run -b humaneval+ --judges all

      crucible run --resume 3f2a9c1b7d4e
    """
    from codecrucible.models import ModelError, ModelOptions
    from codecrucible.runs import from_model as runs
    from codecrucible.store import Store
    from codecrucible.strategies import Budget, Sampling
    if prompt_style not in ("auto", "chat", "completion"):
        fail(f"--prompt-style {prompt_style!r}: expected auto, chat or completion")
    if strategy in ("repair", "evolve", "evolve-islands") and rounds is None:
        rounds = 3
    if call_timeout <= 0:
        fail(f"--call-timeout {call_timeout:g}: expected a positive number of seconds")
    if timeouts_in_a_row < 0:
        fail(f"--timeouts-in-a-row {timeouts_in_a_row}: expected 0 (never stop) or more")
    config = runs.RunConfig(
        model=model[0], models=tuple(model) if len(model) > 1 else (), benchmark=benchmark,
        strategy=strategy,
        sampling=Sampling(samples, temperature, top_p, max_tokens, seed),
        budget=Budget(rounds or 0),
        model_options=ModelOptions(context, threads, concurrency, request_timeout,
                                   prompt_style=prompt_style, call_timeout_s=call_timeout,
                                   timeouts_in_a_row=timeouts_in_a_row),
        memory_mb=megabytes(memory), tasks=tuple(task), limit=limit,
        libraries=tuple(x.strip() for x in (libraries or "").split(",") if x.strip()),
        judges=_judges(judges), dedupe=dedupe, diffs=diffs)
    db = None
    known: dict = {"run_id": resume}  # the run's id once it exists, for a second Ctrl-C
    started = time.monotonic()
    try:
        directory = resolve_data_dir(data_dir)
        db = Store(store_path(store))
        with _stopping(known, db), progress() as bar:
            result = runs.start(config, db, data_dir=directory, resume_id=resume,
                                progress=_run_callbacks(bar, db, resume, known),
                                slots=jobs)
    except runs.RunStopped as err:
        fail(f"{err}; the run stopped, every judged sample is in {db.path}: continue with "
             f"'crucible run --resume {err.run_id} --store {db.path}'")
    except (DataError, StoreError, ModelError, runs.RunError) as err:
        fail(str(err))
    except KeyboardInterrupt as err:
        _interrupted(getattr(err, "run_id", None), db)
    _show(db, result, per_problem, summary, started)
    db.close()


def _interrupted(run_id: str | None, db) -> NoReturn:
    _say_interrupted(run_id, db)
    raise typer.Exit(130) from None


def _say_interrupted(run_id: str | None, db) -> None:
    if run_id is None:
        print("interrupted before the run started; nothing was recorded", file=sys.stderr)
    else:
        print(f"interrupted: every judged sample is in {db.path}; continue with "
              f"'crucible run --resume {run_id} --store {db.path}'", file=sys.stderr)


@contextmanager
def _stopping(known: dict, db):
    """Ctrl-C, or SIGTERM, while a run goes: the first says at once that the run stops after
    the answers in progress, and stops it so (a KeyboardInterrupt, as before); a second stops
    the process now. Everything judged is committed already and stays."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signals = 0

    def handler(signum, frame):
        nonlocal signals
        signals += 1
        if signals == 1:
            print("stopping after the answer in progress; press Ctrl-C again to stop now "
                  "(what is judged is kept)", file=sys.stderr, flush=True)
            raise KeyboardInterrupt
        if console.is_terminal:
            console.show_cursor(True)  # the progress bar hid it; nothing else will restore it
        print(file=sys.stderr)
        _say_interrupted(known["run_id"], db)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)

    previous = {}
    for number in (signal.SIGINT, signal.SIGTERM):
        # A handler of someone else's, or an ignored signal (a job started in the background
        # ignores SIGINT), is left alone.
        if signal.getsignal(number) in (signal.default_int_handler, signal.SIG_DFL):
            previous[number] = signal.signal(number, handler)
    try:
        yield
    finally:
        for number, before in previous.items():
            signal.signal(number, before)


def _show(db, result, per_problem: bool, summary: Path | None, started: float) -> None:
    """What a finished run prints: the problems left out, the tables, the model's usage, where
    the run is; and the JSON summary, if asked for."""
    from codecrucible.report import summary as summaries
    from codecrucible.report import tables
    print_unjudgeable(result.unjudgeable)
    print_skipped(result.skipped)
    report = summaries.summarize(db, result.run_id)
    for table in tables.summary_tables(report, per_problem):
        out.print(table)
    _print_usage(report.usage, time.monotonic() - started, result.meter)
    if result.resumed:
        console.print(f"resumed run {result.run_id}: {result.samples_before} samples were "
                      f"already judged, {result.samples_now} generated now")
    console.print(f"run {result.run_id} is in {db.path}", soft_wrap=True)
    if summary:
        summaries.write_summary(report, summary)


def _judges(text: str) -> tuple[str, ...]:
    from codecrucible import judges
    try:
        return judges.parse_selection(text)
    except ValueError as err:
        fail(f"--judges: {err}")


def _print_usage(usage: Usage, wall_s: float, meter: dict) -> None:
    from codecrucible.models.cache import tokens_per_second
    rate = tokens_per_second(meter)
    timeouts = f", {usage.timeouts} timed out" if usage.timeouts else ""
    out.print(f"model calls {usage.calls} ({usage.cache_hits} from the cache{timeouts}), tokens in "
              f"{usage.tokens_in:,}, out {usage.tokens_out:,}; this session: model time "
              f"{meter['model_s']:.1f} s, {rate:.1f} tokens/s, wall {wall_s:.1f} s",
              highlight=False, soft_wrap=True)


def _run_callbacks(bar: Progress | PlainProgress, db, resume: str | None, known: dict):
    from codecrucible.models.cache import tokens_per_second
    from codecrucible.runs.from_model import RunProgress
    state = {"task": None, "samples": 0, "passed": 0}
    programs = _ProgramsBar(bar)

    def phase(name: str, total: int) -> None:
        if state["task"] is not None:
            bar.remove_task(state["task"])
        state["task"] = bar.add_task(name, total=total or None, rate="")

    def problem_done(candidates, meter: dict) -> None:
        state["samples"] += len(candidates)
        state["passed"] += sum(c.final.passed for c in candidates)
        speed = tokens_per_second(meter)
        bar.update(state["task"], advance=1,
                   rate=f"{100 * state['passed'] / state['samples']:.1f}% pass, "
                        f"{speed:.0f} tok/s")

    def note(text: str) -> None:
        console.print(text, highlight=False, markup=False, soft_wrap=True)

    def run_created(run_id: str) -> None:
        known["run_id"] = run_id
        verb = "resumed" if resume else "started"
        note(f"run {run_id} {verb}; if it stops, continue with 'crucible run --resume {run_id} "
             f"--store {db.path}'")

    return RunProgress(phase=phase, problem_done=problem_done, note=note,
                       run_created=run_created, programs_left=programs.expect,
                       program_done=programs.add)


class _ProgramsBar:
    """A search's programs as they come: a second bar, counted against the most the budget
    allows (a trial that solves its problem stops early, so the time left is an upper bound),
    showing the best fitness so far of the problem just worked on: its best score, or for a
    pass/fail problem the largest fraction of its tests passed."""

    def __init__(self, bar):
        self.bar, self.task, self.most = bar, None, None
        self.best: dict[str, float] = {}   # problem -> its best fitness so far

    def expect(self, most: int) -> None:
        self.most = most

    def add(self, problem, sample: int, attempt) -> None:
        from codecrucible.search.rounds import fitness
        if self.task is None:
            self.task = self.bar.add_task("programs", total=self.most or None, rate="")
        scored = problem.check == "score"
        value = fitness(attempt.verdicts, scored)
        best = self.best.get(problem.task_id)
        if value is not None and (best is None or value > best):
            self.best[problem.task_id] = best = value
        said = "no valid program yet" if best is None else \
            f"best score {best:.6g}" if scored else f"best {best:.0%} of tests passed"
        self.bar.update(self.task, advance=1, rate=f"{problem.task_id}: {said}")
