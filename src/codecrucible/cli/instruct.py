"""``crucible instruct``: Evol-Instruct data for fine-tuning (evolve, export)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from codecrucible.benchmarks.data import DataError, resolve_data_dir
from codecrucible.cli.common import (
    DATA_HELP,
    MODEL_HELP,
    STORE_HELP,
    console,
    fail,
    megabytes,
    out,
    progress,
    store_path,
)
from codecrucible.models.llama import DEFAULT_MODEL
from codecrucible.store import StoreError


def evolve(
    seeds: str = typer.Option("mbpp", "--seeds", metavar="mbpp|mbpp-all|PATH",
                              help="mbpp: MBPP's prompt, validation and train splits (never "
                              "the test split 11-510), less the 154 tasks MBPP+ holds: 320 "
                              "seeds, from the data directory. mbpp-all: all 474. PATH: a "
                              "Code Alpaca JSONL file (instruction, input, output)."),
    limit: int | None = typer.Option(None, "--limit", help="Only the first N seeds."),
    rounds: int = typer.Option(3, "--rounds", help="Rounds of evolution (each evolves every "
                               "seed's current instruction once)."),
    evolver: str = typer.Option(DEFAULT_MODEL, "--evolver", metavar="SPEC",
                                help="The model that makes instructions harder. " + MODEL_HELP),
    answerer: str | None = typer.Option(None, "--answerer", metavar="SPEC", help="The model "
                                        "that answers them (default: the evolver)."),
    seed: int = typer.Option(0, "--seed", help="Seeds the heuristic draws and the sampling."),
    temperature: float = typer.Option(1.0, "-t", "--temperature", help="The evolver's "
                                      "temperature (WizardLM's script uses 1)."),
    answer_temperature: float = typer.Option(0.0, "--answer-temperature", help="The "
                                             "answerer's temperature; 0 is greedy."),
    top_p: float = typer.Option(0.95, "--top-p", help="Nucleus sampling mass (T > 0)."),
    max_tokens: int = typer.Option(768, "--max-tokens", help="Tokens per answer."),
    equality_check: bool = typer.Option(False, "--equality-check", help="Also ask the "
                                        "evolver whether each new question equals its parent "
                                        "(WizardLM's check; one more call each). Default: a "
                                        "textual check only (a new word is needed)."),
    batch: int = typer.Option(8, "--batch", help="Evolutions asked for, judged and stored "
                              "together (a kill loses at most the batch in flight)."),
    resume: str | None = typer.Option(None, "--resume", metavar="RUN_ID",
                                      help="Continue an interrupted run with its own settings."),
    store: Path | None = typer.Option(None, "--store", help=STORE_HELP),
    data_dir: Path | None = typer.Option(None, "--data-dir", help=DATA_HELP),
    jobs: int | None = typer.Option(None, "-j", "--jobs", help="Sandbox slots (default: one "
                                    "per core)."),
    memory: str = typer.Option("1G", help="Memory limit per program, e.g. 512M or 2G."),
    concurrency: int = typer.Option(8, "--concurrency", help="Requests in flight to an "
                                    "OpenAI-compatible server."),
    context: int = typer.Option(4096, "--context", help="Context size (llama.cpp)."),
    threads: int | None = typer.Option(None, "--threads", help="Model threads."),
    call_timeout: float = typer.Option(300.0, "--call-timeout", metavar="SECONDS",
                                       help="Hard bound on each model call."),
):
    """Evolve instructions with Code Evol-Instruct: harder questions, answered, eliminated by
    WizardLM's rules and by running the answers against the evolver's tests in the sandbox,
    decontaminated against HumanEval, MBPP, MBPP+, DS-1000 and MTPB; all in the store.

    Examples:

      crucible instruct evolve --limit 20 --rounds 3

      crucible instruct evolve --evolver openai:http://127.0.0.1:8000/v1#qwen
      --answerer embedded:qwen2.5-coder-1.5b --seeds code_alpaca.jsonl

      crucible instruct evolve --resume 3f2a9c1b7d4e

      crucible instruct export 3f2a9c1b7d4e -o evolved.jsonl
    """
    from codecrucible.models import ModelError, ModelOptions, open_model
    from codecrucible.sandbox import SandboxPool
    from codecrucible.store import Store
    from codecrucible.training import evolve as engine
    from codecrucible.training.decontamination import benchmark_index, clean_seeds
    from codecrucible.training.judging import Batch, Sampling
    from codecrucible.training.seeds import SeedError, load_seeds
    for name, value in (("--rounds", rounds), ("--limit", limit), ("--batch", batch)):
        if value is not None and value < 1:
            fail(f"{name} {value}: expected a positive number")
    if seeds not in ("mbpp", "mbpp-all"):
        seeds = str(Path(seeds).resolve())
    config = engine.EvolveConfig(
        seeds=seeds, limit=limit, rounds=rounds, evolver=evolver, answerer=answerer or evolver,
        seed=seed, sampling=Sampling(temperature, answer_temperature, top_p, max_tokens),
        memory_mb=megabytes(memory), batch=batch, equality_check=equality_check)
    options = ModelOptions(context, threads, concurrency, call_timeout_s=call_timeout)
    opened, pool, db, run_id = [], None, None, None
    try:
        directory = resolve_data_dir(data_dir)
        db = Store(store_path(store))
        if resume:
            config = engine.resumed_config(db, resume)
        index = benchmark_index(directory)
        loaded = load_seeds(config.seeds, directory)
        chosen, overlapping = clean_seeds(loaded, index)
        chosen = chosen[:config.limit] if config.limit else chosen
        if overlapping:
            console.print(f"left out {len(overlapping)} of {len(loaded)} seeds that overlap a "
                          f"benchmark (e.g. {overlapping[0].id})", highlight=False)
        opened.append(open_model(config.evolver, options))
        if config.answerer != config.evolver:
            opened.append(open_model(config.answerer, options))
        pool = SandboxPool(jobs)
        run_id = resume or engine.start_run(db, config, {"evolver": opened[0].describe(),
                                                         "answerer": opened[-1].describe()})
        console.print(f"run {run_id} {'resumed' if resume else 'started'}; if it stops, "
                      f"continue with 'crucible instruct evolve --resume {run_id} --store "
                      f"{db.path}'", highlight=False, soft_wrap=True)
        judging = Batch(opened[0], opened[-1], pool, index, config.sampling, config.seed,
                        config.memory_mb, config.equality_check)
        with progress() as bar:
            result = engine.evolve(config, db, run_id, chosen, judging, _bar(bar))
    except (DataError, StoreError, ModelError, SeedError) as err:
        if run_id is None:
            fail(str(err))
        fail(f"{err}; every decided evolution is in {db.path}: continue with 'crucible "
             f"instruct evolve --resume {run_id} --store {db.path}'")
    except KeyboardInterrupt:
        said = " before the run started; nothing was recorded" if run_id is None else (
            f": every decided evolution is in {db.path}; continue with 'crucible instruct "
            f"evolve --resume {run_id} --store {db.path}'")
        print(f"interrupted {said}", file=sys.stderr)
        raise typer.Exit(130) from None
    finally:
        for model in opened:
            model.close()
        if pool is not None:
            pool.close()
    _summary(result, opened)
    console.print(f"run {result.run_id} is in {db.path}; export it with 'crucible instruct "
                  f"export {result.run_id} -o evolved.jsonl --store {db.path}'",
                  highlight=False, soft_wrap=True)
    db.close()


def _bar(bar):
    from codecrucible.training.evolve import EvolveProgress
    state = {"task": None, "kept": 0, "done": 0}

    def started(total: int, before: int) -> None:
        name = f"evolutions ({before} done before)" if before else "evolutions"
        state["task"] = bar.add_task(name, total=max(total - before, 0) or None, rate="")

    def decided(evolution) -> None:
        state["done"] += 1
        state["kept"] += evolution.kept
        bar.update(state["task"], advance=1,
                   rate=f"round {evolution.round}, kept {state['kept']}/{state['done']}")

    return EvolveProgress(started, decided)


def _summary(result, models) -> None:
    total = result.kept + sum(result.eliminated.values())
    out.print(f"evolutions: {total} ({result.decided_now} now, {result.decided_before} before);"
              f" kept {result.kept}", highlight=False)
    for rule, count in result.eliminated.most_common():
        out.print(f"  eliminated by {rule}: {count}", highlight=False)
    for model in models:
        meter = model.meter
        out.print(f"{model.spec}: {meter.calls} calls ({meter.cache_hits} from the cache), "
                  f"tokens in {meter.tokens_in:,}, out {meter.tokens_out:,}, model time "
                  f"{meter.model_s:.1f} s", highlight=False, soft_wrap=True)


def export(
    run_id: str = typer.Argument(..., metavar="RUN", help="An Evol-Instruct run's id."),
    output: Path = typer.Option(..., "-o", "--output", help="The JSONL file to write."),
    store: Path | None = typer.Option(None, "--store", help=STORE_HELP),
    with_seeds: bool = typer.Option(False, "--with-seeds", help="Add the seeds' own pairs "
                                    "(WizardCoder trains on seeds and rounds merged)."),
    seeds_only: bool = typer.Option(False, "--seeds-only", help="Write the unevolved control "
                                    "instead: the seeds' own pairs, as many as the kept "
                                    "evolutions, the seeds of kept lineages first."),
):
    """Write a run's kept pairs (instruction, output) as JSON Lines, and say how many
    evolutions each elimination rule removed.

    Examples:

      crucible instruct export 3f2a9c1b7d4e -o evolved.jsonl

      crucible instruct export 3f2a9c1b7d4e -o seeds.jsonl --seeds-only
    """
    from codecrucible.store import Store
    from codecrucible.training.export import export as write
    if with_seeds and seeds_only:
        fail("--with-seeds and --seeds-only exclude each other")
    path = store_path(store)
    if not path.is_file():
        fail(f"{path}: no such store")
    try:
        db = Store(path)
        summary = write(db, run_id, output, with_seeds, seeds_only)
    except StoreError as err:
        fail(str(err))
    except OSError as err:
        fail(f"{output}: cannot be written ({err})")
    out.print(f"wrote {summary.written} pairs to {output} ({summary.evolved} evolutions of "
              f"{summary.seeds} seeds)", highlight=False, soft_wrap=True)
    for round_, (kept, decided) in summary.by_round.items():
        out.print(f"  round {round_}: kept {kept} of {decided}", highlight=False)
    for rule, count in summary.removed.items():
        out.print(f"  removed by {rule}: {count}", highlight=False)
    db.close()
