"""``crucible classify study``: prompting, LoRA fine-tuning and small supervised models on one
classification task, with macro-F1 and what each costs."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from codecrucible.cli.common import DATA_HELP, console, fail, out, phase_bar, progress


def study(
    task: str = typer.Option(..., "--task", help="pass (will a candidate pass its tests: "
                             "all / some / none, from --store files), bug-type (which "
                             "mutation broke a reference solution) or file (--file)."),
    out_dir: Path = typer.Option(..., "--out-dir", help="Where the ledger of predictions, "
                                 "results.json and report.html go. Rerun the same command to "
                                 "resume."),
    stores: list[Path] = typer.Option([], "--store", metavar="STORE", help="A crucible run "
                                      "store (.sqlite) whose candidates and verdicts make the "
                                      "pass task (repeat)."),
    file: Path | None = typer.Option(None, "--file", help="A CSV or JSONL file for --task "
                                     "file: columns text and label, optional target."),
    text_column: str = typer.Option("text", "--text-column"),
    label_column: str = typer.Option("label", "--label-column"),
    target_column: str = typer.Option("target", "--target-column"),
    group_column: str | None = typer.Option(None, "--group-column", help="Rows with the same "
                                            "value stay on one side of the split (default: "
                                            "each row alone)."),
    baseline_names: list[str] = typer.Option(["tfidf-lr", "hashed-sgd", "ast-gb"],
                                             "--baseline", help="tfidf-lr, hashed-sgd, "
                                             "embed-lr (needs --encoder), ast-gb (repeat)."),
    models: list[str] = typer.Option([], "--model", metavar="MODEL", help="A model for the "
                                     "prompting arms (repeat)."),
    schemes: list[str] = typer.Option([], "--scheme", help="Prompting schemes (default: all "
                                      "seven; repeat to choose)."),
    lora: list[str] = typer.Option([], "--lora", metavar="MODEL", help="A model to LoRA "
                                   "fine-tune on the training items (repeat)."),
    encoder: str | None = typer.Option(None, "--encoder", metavar="MODEL", help="The frozen "
                                       "encoder of embed-lr (embedded:NAME or gguf:PATH)."),
    benchmark_names: list[str] = typer.Option(["humaneval", "mbpp"], "--benchmark",
                                              help="bug-type: problems whose mutants make "
                                              "the set (repeat)."),
    problems: int | None = typer.Option(None, "--problems", min=1, help="bug-type: the first "
                                        "N problems of each benchmark."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help=DATA_HELP),
    test_fraction: float = typer.Option(0.3, "--test-fraction"),
    max_test: int | None = typer.Option(None, "--max-test", min=1, help="At most N test "
                                        "items (whole problems first): a reduced run."),
    max_train: int | None = typer.Option(None, "--max-train", min=1),
    shots: int = typer.Option(5, "--shots", min=1, help="few_shot's examples."),
    lora_steps: int | None = typer.Option(None, "--lora-steps", min=1, help="Stop LoRA "
                                          "training after N steps (default: one epoch)."),
    seed: int = typer.Option(0, "--seed"),
    threads: int = typer.Option(1, "--threads", min=1, help="Threads per arm (1: the fair "
                                "comparison)."),
    jobs: int = typer.Option(2, "--jobs", min=1, help="bug-type: sandbox processes."),
):
    """Prompting (seven schemes), LoRA fine-tuning and small supervised models on one task,
    split by problem. Per arm: macro-F1 with a bootstrap interval over problems, per-class F1,
    label validity; one-off and per-item CPU-seconds, wall, tokens, peak memory; energy as a
    labelled estimate; the break-even item count of each pair. Writes OUT/report.html.

    Examples:

      crucible classify study --task pass --store runs.sqlite --out-dir cls-pass

      crucible classify study --task pass --store a.sqlite --store b.sqlite --out-dir cls
      --model embedded:smollm2-135m --scheme task_only --scheme few_shot --max-test 40

      crucible classify study --task bug-type --problems 30 --out-dir cls-bugs
      --baseline tfidf-lr --baseline embed-lr --encoder embedded:smollm2-135m

      crucible classify study --task file --file stance.csv --group-column target
      --out-dir cls-stance --model embedded:qwen2.5-coder-0.5b --lora embedded:smollm2-135m
    """
    from codecrucible.classify import ClassifyError, tasks
    from codecrucible.classify.prompts import SCHEMES
    from codecrucible.classify.study import TASKS, Progress, StudyConfig, run
    from codecrucible.models import ModelError

    if task not in TASKS:
        fail(f"unknown task {task!r} (known: {', '.join(TASKS)})")
    unknown = sorted(set(schemes) - set(SCHEMES))
    if unknown:
        fail(f"unknown scheme {unknown[0]!r} (known: {', '.join(SCHEMES)})")
    config = StudyConfig(task, tuple(dict.fromkeys(baseline_names)),
                         tuple(dict.fromkeys(models)), tuple(dict.fromkeys(schemes)) or SCHEMES,
                         tuple(dict.fromkeys(lora)), encoder, test_fraction, seed, max_test,
                         max_train, shots, lora_max_steps=lora_steps, threads=threads)
    try:
        if task == "pass":
            if not stores:
                fail("--task pass needs one or more --store files")
            items = tasks.pass_items(stores)
        elif task == "file":
            if file is None:
                fail("--task file needs --file")
            items = tasks.user_items(file, text_column, label_column, target_column,
                                     group_column)
        else:
            items = _defect_items(benchmark_names, data_dir, problems, out_dir, jobs)
        with progress() as bar:
            results = run(config, items, out_dir, Progress(*phase_bar(bar)))
    except (ClassifyError, ModelError) as error:
        fail(f"{error}")
    except KeyboardInterrupt:
        print(f"interrupted: every prediction made is kept in {out_dir}; rerun the same "
              "command to resume", file=sys.stderr)
        raise typer.Exit(130) from None
    for row in results["arms"]:
        out.print(f"{row['arm']:<48} macro-F1 {row['macro_f1']:.3f} "
                  f"[{row['ci_low']:.3f}, {row['ci_high']:.3f}]  validity "
                  f"{row['validity']:.0%}  {row['per_item_cpu_s']:.4f} CPU-s/item",
                  markup=False, highlight=False)
    console.print(f"report: {out_dir / 'report.html'}", highlight=False)


def _defect_items(benchmark_names, data_dir, problems, out_dir: Path, jobs: int):
    from codecrucible.benchmarks.data import DataError, resolve_data_dir
    from codecrucible.classify import ClassifyError, tasks
    from codecrucible.weights import defects
    try:
        samples = defects.build(benchmark_names, resolve_data_dir(data_dir), problems,
                                out_dir / "defects.jsonl", jobs)
    except DataError as error:
        raise ClassifyError(str(error)) from None
    return tasks.defect_items(samples)
