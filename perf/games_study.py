#!/usr/bin/env python3
"""The findings of "From Code to Play" (arXiv 2412.04057) on the local models, at equal calls.

For each model (smallest first) and each arm, one ``crucible run -b games`` over the chosen
tasks, every arm spending the same ``--calls C`` model calls per task:

- ``best-of-C``: C independent samples (``-s single -n C``), the best program kept;
- ``K short``: K hill-climbing runs of C/K calls (``-s evolve -n K --rounds C/K-1``);
- ``1 long``: one hill-climbing run of C calls (``-s evolve -n 1 --rounds C-1``).

From those runs it writes four tables (``table.md`` under ``--out-dir``, with
``results.json``): the best fitness per model and task (over the three arms) against the
random and heuristic baselines, and whether the task or the model's size moves it more; the
best over the models against each alone, at the models' full budget and at equal calls (one
sample from each of the models against one model's best of as many); the share of programs
that play (every episode played out, or a valid maze) and the model calls per hour, per
model; and the three arms side by side per task. Each (model, arm) is
``evolve_vs_sampling.run_arm``: its own store, a finished arm read back. The arms share one
response cache (``OUT_DIR/cache``): an arm killed midway replays what it had, and the request
that opens every arm (the same prompt, sample 0) is answered once, its seconds counted in each.

    .venv/bin/python perf/games_study.py                                  # the README's run
    .venv/bin/python perf/games_study.py --calls 2 --trials 2 --task Games/maze \\
        -m embedded:smollm2-135m -m embedded:gemma-3-270m                  # a reduced rerun
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from common import CRUCIBLE_DEFAULT, PERF, add_data_dir, host_line, say, timestamp, write_log
from evolve_vs_sampling import run_arm

MODELS = ("embedded:smollm2-135m", "embedded:gemma-3-270m", "embedded:qwen2.5-coder-0.5b",
          "embedded:qwen2.5-coder-1.5b")
TASKS = ("Games/baba", "Games/vehicle", "Games/maze", "Games/minatar_breakout")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-m", "--model", action="append", default=[],
                        help="a model spec, repeatable, smallest first (default: the four "
                             "embedded models, 135M to 1.5B)")
    parser.add_argument("--task", action="append", default=[],
                        help=f"a games task, repeatable (default: {', '.join(TASKS)})")
    parser.add_argument("--calls", type=int, default=4, help="model calls per task and arm")
    parser.add_argument("--trials", type=int, default=2, help="K, the short runs' number")
    parser.add_argument("-t", "--temperature", type=float, default=0.8)
    parser.add_argument("--max-tokens", type=int, default=768)
    parser.add_argument("--call-timeout", type=float, default=900,
                        help="crucible's bound on a model call (default 900 s: the 1.5B "
                             "model's long follow-up prompts take minutes on two cores)")
    parser.add_argument("--out-dir", type=Path, default=PERF / "out" / "games_study")
    parser.add_argument("--crucible", type=Path, default=CRUCIBLE_DEFAULT)
    add_data_dir(parser)
    args = parser.parse_args()
    args.model = args.model or list(MODELS)
    args.task = args.task or list(TASKS)
    if args.calls < 2 or args.trials < 2 or args.calls % args.trials:
        parser.error(f"--calls {args.calls} must be a multiple of --trials {args.trials}, "
                     "both at least 2 (K short runs against one long one)")
    if not args.crucible.exists():
        parser.error(f"{args.crucible} not found: make the venv (make install) or --crucible")
    args.limit = None          # run_arm's options, as evolve_vs_sampling takes them
    return args


def arms(calls: int, trials: int) -> dict[str, list[str]]:
    """The arms' names and their ``crucible run`` strategy options."""
    return {f"best-of-{calls}": ["-s", "single", "-n", str(calls)],
            f"{trials} short": ["-s", "evolve", "-n", str(trials),
                                "--rounds", str(calls // trials - 1)],
            "1 long": ["-s", "evolve", "-n", "1", "--rounds", str(calls - 1)]}


def short(model: str) -> str:
    return model.split(":", 1)[-1]


def baselines() -> dict[str, dict]:
    from codecrucible.benchmarks.games import benchmark
    return {p.task_id: p.metadata for p in benchmark.problems()}


def cell(score: float | None) -> str:
    return "—" if score is None else f"{score:.3g}"


def best(results: list[dict], model: str, task: str, arm: str | None = None) -> float | None:
    scores = [r["tasks"][task]["best"] for r in results if r["model"] == model
              and (arm is None or r["arm"] == arm) and task in r["tasks"]
              and r["tasks"][task]["best"] is not None]
    return max(scores, default=None)


def first_sample(results: list[dict], model: str, task: str, arm: str) -> float | None:
    """Sample 0's score in ``arm``: one call's program (the single arm's first draw)."""
    for r in results:
        if r["model"] == model and r["arm"] == arm and task in r["tasks"]:
            return r["tasks"][task]["first"]
    return None


def tables(results: list[dict], args) -> list[str]:
    base, names = baselines(), list(arms(args.calls, args.trials))
    models, tasks, sampled = args.model, args.task, names[0]
    heads = [t.split("/")[-1] for t in tasks]
    lines = [f"\nBest fitness per model and task ({3 * args.calls} calls each: the three arms)",
             "| model | " + " | ".join(heads) + " |", "|---|" + "---:|" * len(tasks)]
    lines += [f"| {short(m)} | " + " | ".join(cell(best(results, m, t)) for t in tasks) + " |"
              for m in models]
    lines.append(f"| best of the models ({len(models)} × the calls) | " + " | ".join(
        cell(max((s for m in models if (s := best(results, m, t)) is not None), default=None))
        for t in tasks) + " |")
    lines.append("| random | " + " | ".join(cell(base[t].get("random")) for t in tasks) + " |")
    lines.append("| heuristic | " + " | ".join(cell(base[t].get("baseline")) for t in tasks) +
                 " |")
    lines.append("(— : none of its programs scored: none ran, or no maze was valid)")
    lines += spread(results, models, tasks, base)
    lines += [f"\nEqual calls, {len(models)} per task: one sample from each model against one "
              f"model's best of {len(models)} ({sampled}'s first {len(models)} draws)"
              if args.calls >= len(models) else
              f"\nEqual calls: --calls {args.calls} is under the {len(models)} models",
              "| task | one from each | " + " | ".join(short(m) for m in models) + " |",
              "|---|---:|" + "---:|" * len(models)]
    for task in tasks:
        firsts = [first_sample(results, m, task, sampled) for m in models]
        each = max((s for s in firsts if s is not None), default=None)
        lines.append(f"| {task.split('/')[-1]} | {cell(each)} | " + " | ".join(
            cell(best_of(results, m, task, sampled, len(models))) for m in models) + " |")
    lines += ["\nPer model, over its runs",
              "| model | calls (timed out) | tokens in / out | programs | play | share | "
              "repeats | model s | calls per hour | wall s |", "|---|" + "---:|" * 9]
    for m in models:
        rs = [r for r in results if r["model"] == m]
        calls, model_s = sum(r["calls"] for r in rs), sum(r["model_s"] for r in rs)
        programs, played = sum(r["programs"] for r in rs), sum(r["passed"] for r in rs)
        lines.append(
            f"| {short(m)} | {calls} ({sum(r['timeouts'] for r in rs)}) | "
            f"{sum(r['tokens_in'] for r in rs)} / {sum(r['tokens_out'] for r in rs)} | "
            f"{programs} | {played} | {played / programs:.0%} | "
            f"{sum(r['repeats'] for r in rs)} | {model_s:.0f} | "
            f"{3600 * calls / model_s:.0f} | {sum(r['wall_s'] for r in rs):.0f} |"
            if programs and model_s else f"| {short(m)} | {calls} | — | 0 | — | — | — | — | — |")
    lines += [f"\nThe arms at {args.calls} calls per task (best fitness)",
              "| task | model | " + " | ".join(names) + " |", "|---|---|" + "---:|" * len(names)]
    lines += [f"| {t.split('/')[-1]} | {short(m)} | " +
              " | ".join(cell(best(results, m, t, a)) for a in names) + " |"
              for t in tasks for m in models]
    wins = {a: sum(best(results, m, t, a) is not None and
                   best(results, m, t, a) == best(results, m, t) for t in tasks for m in models)
            for a in names}
    lines.append("\nBest (ties counted for each) in " + ", ".join(
        f"{a}: {n}" for a, n in wins.items()) + f" of {len(tasks) * len(models)} model × task")
    return lines


def best_of(results, model: str, task: str, arm: str, n: int) -> float | None:
    """The best of the first ``n`` samples of ``arm`` (round 0 each)."""
    for r in results:
        if r["model"] == model and r["arm"] == arm and task in r["tasks"]:
            scores = [s for sample, round_, s in r["tasks"][task]["scores"]
                      if sample < n and round_ == 0 and s is not None]
            return max(scores, default=None)
    return None


def spread(results, models, tasks, base) -> list[str]:
    """Task against size: fitness as a share of the heuristic's, averaged per task over the
    models and per model over the tasks; the wider spread is what moves it more."""
    share = {(m, t): (best(results, m, t) or 0.0) / base[t]["baseline"]
             for m in models for t in tasks}
    by_task = [statistics.fmean(share[m, t] for m in models) for t in tasks]
    by_model = [statistics.fmean(share[m, t] for t in tasks) for m in models]
    largest_best = sum(all(share[models[-1], t] > share[m, t] for m in models[:-1])
                       for t in tasks)
    return ["\nAs a share of the heuristic's fitness: per task (mean over the models) " +
            ", ".join(f"{t.split('/')[-1]} {v:.2f}" for t, v in zip(tasks, by_task, strict=True)) +
            f" (range {max(by_task) - min(by_task):.2f}); per model (mean over the tasks) " +
            ", ".join(f"{short(m)} {v:.2f}" for m, v in zip(models, by_model, strict=True)) +
            f" (range {max(by_model) - min(by_model):.2f}). The largest model beats every other "
            f"on {largest_best} of {len(tasks)} tasks."]


def main() -> None:
    args = parse_args()
    args.crucible, args.data_dir = args.crucible.resolve(), args.data_dir.resolve()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    say(host_line("games_study", f", {timestamp()}, T={args.temperature}, {args.calls} calls "
                                 f"per task and arm, tasks {', '.join(args.task)}"))
    results = []
    for model in args.model:
        for name, options in arms(args.calls, args.trials).items():
            out = args.out_dir / short(model) / name.replace(" ", "-")
            try:
                results.append(run_arm(args, "games", name, model, options, out,
                                       cache=args.out_dir / "cache"))
            except SystemExit as failed:    # one arm's failure keeps the others' results
                say(f"{short(model)} {name}: {failed}")
            (args.out_dir / "results.json").write_text(json.dumps(results, indent=1))
    lines = tables(results, args)
    for line in lines:
        say(line)
    (args.out_dir / "table.md").write_text("\n".join(lines) + "\n")
    write_log(args.out_dir / "log.txt")


if __name__ == "__main__":
    sys.exit(main())
