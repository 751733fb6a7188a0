#!/usr/bin/env python3
"""WizardCoder's before/after on this machine: pass@1 of a base model, of LoRA on unevolved
seeds, and of LoRA on evolved data of the same size.

Five steps, each a ``crucible`` command whose output is kept under ``--out-dir`` and each
read back when it finished before (a killed study resumes where it was):

1. ``crucible instruct evolve``: Code Evol-Instruct over the first ``--seeds`` MBPP seeds for
   ``--rounds`` rounds (``OUT/evolve.db``; an unfinished run is resumed);
2. ``crucible instruct export``: the kept evolutions (``evolved.jsonl``) and the unevolved
   control of the same size (``seeds.jsonl``, ``--seeds-only``: the same problems' own pairs);
3. ``crucible finetune`` of every ``-m`` model on each file, same settings
   (``OUT/tuned/MODEL-DATA``; ``--resume`` continues a killed one);
4. ``crucible run`` greedy on each ``-b`` benchmark for the base model and both adapters
   (``OUT/eval``; the runs share one response cache, ``OUT/cache``, so a killed run replays
   what it had);
5. ``table.md`` and ``results.json``: pass@1 (EvalPlus's plus tests), the change against the
   base, how many evolutions each elimination rule removed, and the cost of evolution and
   training per point gained or lost.

    .venv/bin/python perf/instruct_study.py --out-dir /work/instruct-study     # the README's
    .venv/bin/python perf/instruct_study.py --seeds 16 --eval-limit 10 \\
        -m embedded:smollm2-135m --out-dir /tmp/instruct-subset            # a reduced rerun
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from pathlib import Path

from common import (
    CRUCIBLE_DEFAULT,
    PERF,
    add_data_dir,
    host_line,
    log_tail,
    run_process,
    say,
    timestamp,
    write_log,
)
from evolve_vs_sampling import response_cache

MODELS = ("embedded:smollm2-135m", "embedded:qwen2.5-coder-0.5b")
BENCHMARKS = ("humaneval+", "mbpp+")
DATA = ("seeds", "evolved")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=120, help="the first N MBPP seeds")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of evolution")
    parser.add_argument("--evolver", default="embedded:qwen2.5-coder-0.5b",
                        help="the evolver and answerer")
    parser.add_argument("-m", "--model", action="append", default=[],
                        help=f"a model to tune, repeatable (default: {', '.join(MODELS)})")
    parser.add_argument("-b", "--benchmark", action="append", default=[],
                        help=f"repeatable (default: {', '.join(BENCHMARKS)})")
    parser.add_argument("--eval-limit", type=int, default=None,
                        help="only the first N problems of each benchmark (default: all)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--out-dir", type=Path, default=PERF / "out" / "instruct_study")
    parser.add_argument("--crucible", type=Path, default=CRUCIBLE_DEFAULT)
    add_data_dir(parser)
    args = parser.parse_args()
    args.model = args.model or list(MODELS)
    args.benchmark = args.benchmark or list(BENCHMARKS)
    if not args.crucible.exists():
        parser.error(f"{args.crucible} not found: make the venv (make test) or --crucible")
    return args


def crucible(args, step: str, argv: list[str], log: Path, env: dict | None = None) -> float:
    """Run ``crucible ARGV`` (its output in ``log``); its wall seconds, or exit naming the
    step and the log's tail."""
    say(f"{step}: crucible {' '.join(argv)}  (log: {log})")
    rc, wall = run_process([str(args.crucible), *argv], env or dict(os.environ), log.parent,
                           log, timeout=48 * 3600)
    if rc != 0:
        raise SystemExit(f"{step}: crucible exited with {rc}:\n{log_tail(log, 15)}")
    return wall


def recorded(path: Path, command: list[str]) -> dict | None:
    """A step's record when it finished before with the same command."""
    if path.exists():
        record = json.loads(path.read_text())
        if record["command"] == command:
            return record
    return None


def evolve(args) -> dict:
    """The store's Evol-Instruct run with this study's settings: read back when finished,
    resumed when interrupted, started when there is none."""
    store = args.out_dir / "evolve.db"
    run = find_run(store, args)
    if run is None or run["finished"] is None:
        argv = ["instruct", "evolve", "--limit", str(args.seeds), "--rounds", str(args.rounds),
                "--evolver", args.evolver, "--store", str(store), "--data-dir",
                str(args.data_dir)] + (["--resume", run["id"]] if run else [])
        crucible(args, "evolve", argv, args.out_dir / "evolve.log")
        run = find_run(store, args)
    else:
        say(f"evolve: run {run['id']} finished before, read back ({store})")
    # wall: from its start to its end, pauses of a resumed run included
    return {"run_id": run["id"], "wall_s": round(run["finished"] - run["created"], 1),
            **evolution_costs(store, run["id"])}


def find_run(store: Path, args) -> dict | None:
    """The latest run in ``store`` with this study's seeds, rounds and evolver."""
    if not store.exists():
        return None
    with sqlite3.connect(store) as db:
        rows = db.execute("SELECT id, config, created, finished FROM runs WHERE kind = "
                          "'instruct-evolve' ORDER BY created DESC").fetchall()
    for run_id, config, created, finished in rows:
        config = json.loads(config)
        if (config["limit"], config["rounds"], config["evolver"]) == \
                (args.seeds, args.rounds, args.evolver):
            return {"id": run_id, "created": created, "finished": finished}
    return None


def evolution_costs(store: Path, run_id: str) -> dict:
    """What the evolutions cost (model seconds, tokens) and what each rule removed."""
    with sqlite3.connect(store) as db:
        rows = db.execute("SELECT kept, rule, model_s, tokens_in, tokens_out FROM evolutions "
                          "WHERE run_id = ? AND round > 0", (run_id,)).fetchall()
    removed: dict[str, int] = {}
    for kept, rule, *_ in rows:
        if not kept:
            removed[rule] = removed.get(rule, 0) + 1
    return {"decided": len(rows), "kept": sum(r[0] for r in rows),
            "removed": dict(sorted(removed.items(), key=lambda kv: -kv[1])),
            "model_s": round(sum(r[2] for r in rows), 1),
            "tokens_in": sum(r[3] for r in rows), "tokens_out": sum(r[4] for r in rows)}


def export(args, run_id: str) -> dict[str, Path]:
    files = {}
    for data, flag in zip(DATA, ("--seeds-only", None), strict=True):
        target = args.out_dir / f"{data}.jsonl"
        argv = ["instruct", "export", run_id, "-o", str(target), "--store",
                str(args.out_dir / "evolve.db")] + ([flag] if flag else [])
        crucible(args, f"export {data}", argv, args.out_dir / f"export-{data}.log")
        files[data] = target
    return files


def finetune(args, model: str, data: str, pairs: Path) -> dict:
    out = args.out_dir / "tuned" / f"{short(model)}-{data}"
    out.mkdir(parents=True, exist_ok=True)
    argv = ["finetune", model, "-d", str(pairs), "-o", str(out), "--epochs", str(args.epochs),
            "--lr", str(args.lr), "--resume"]
    record = recorded(out / "study.json", argv)
    if record is None:
        wall = crucible(args, f"finetune {short(model)} on {data}", argv, out / "finetune.log")
        summary = json.loads((out / "finetune.json").read_text())
        record = {"command": argv, "wall_s": round(wall, 1), "spec": summary["spec"],
                  "steps": summary["steps"], "examples": summary["examples"],
                  "train_s": summary["last_process"]["seconds"],
                  "tokens": summary["last_process"]["tokens"]}
        (out / "study.json").write_text(json.dumps(record, indent=1))
    else:
        say(f"finetune {short(model)} on {data}: finished before, read back")
    return record


def evaluate(args, spec: str, name: str, benchmark: str) -> dict:
    out = args.out_dir / "eval" / f"{name}-{benchmark.replace('+', 'plus')}"
    out.mkdir(parents=True, exist_ok=True)
    argv = ["run", "-m", spec, "-b", benchmark, "-t", "0", "--store", str(out / "store.sqlite"),
            "--data-dir", str(args.data_dir), "--summary", str(out / "summary.json")]
    if args.eval_limit:
        argv += ["--limit", str(args.eval_limit)]
    record = recorded(out / "study.json", argv)
    if record is None:
        for stale in out.glob("store.sqlite*"):   # of a killed run: its answers are cached
            stale.unlink()
        env = dict(os.environ, CRUCIBLE_CACHE_DIR=str(response_cache(args.out_dir / "cache")))
        wall = crucible(args, f"evaluate {name} on {benchmark}", argv, out / "run.log", env)
        summary = json.loads((out / "summary.json").read_text())
        suite = summary["suites"].get("plus") or summary["suites"]["base"]
        record = {"command": argv, "wall_s": round(wall, 1), "problems": suite["problems"],
                  "passed": suite["passed"], "pass@1": suite["pass_at_k"]["pass@1"],
                  "base_pass@1": summary["suites"]["base"]["pass_at_k"]["pass@1"],
                  "model_s": summary["usage"]["model_s"],
                  "tokens_out": summary["usage"]["tokens_out"]}
        (out / "study.json").write_text(json.dumps(record, indent=1))
    else:
        say(f"evaluate {name} on {benchmark}: finished before, read back")
    return record


def short(model: str) -> str:
    return model.split(":", 1)[-1]


def table(args, evolved: dict, trained: dict, scores: dict) -> list[str]:
    heads = " | ".join(f"{b} pass@1" for b in args.benchmark)
    lines = [f"| model | LoRA data | pairs | {heads} | mean change | training s | "
             "s per point |", "|---|---|---:|" + "---:|" * (len(args.benchmark) + 3)]
    for model in args.model:
        base = [scores[(model, "base", b)]["pass@1"] for b in args.benchmark]
        for arm in ("base", *DATA):
            now = [scores[(model, arm, b)]["pass@1"] for b in args.benchmark]
            change = 100 * sum(n - b for n, b in zip(now, base, strict=True)) / len(now)
            cells = " | ".join(f"{100 * p:.1f}" for p in now)
            if arm == "base":
                lines.append(f"| {short(model)} | — | — | {cells} | — | — | — |")
                continue
            run = trained[(model, arm)]
            cost = run["train_s"] + (evolved["model_s"] if arm == "evolved" else 0.0)
            per_point = f"{cost / change:+,.0f}" if change else "—"
            lines.append(f"| {short(model)} | {arm} | {run['examples']} | {cells} | "
                         f"{change:+.1f} | {run['train_s']:.0f} | {per_point} |")
    problems = ", ".join(f"{b} {scores[(args.model[0], 'base', b)]['problems']}"
                         for b in args.benchmark)
    lines += ["", f"Problems: {problems} (greedy, one sample: pass@1 is the share solved, "
              "EvalPlus's plus tests). s per point: evolution model seconds (evolved data "
              "only) plus training seconds, per pass@1 point of mean change against the "
              "base; negative: seconds spent per point lost.", "",
              f"Evolution: {evolved['decided']} evolutions of {args.seeds} seeds over "
              f"{args.rounds} round(s), kept {evolved['kept']}; {evolved['model_s']:.0f} model "
              f"s, {evolved['tokens_in']:,} tokens in / {evolved['tokens_out']:,} out; "
              f"{evolved['wall_s']:.0f} s wall.", "",
              "| elimination rule | evolutions removed |", "|---|---:|"]
    lines += [f"| {rule} | {n} |" for rule, n in evolved["removed"].items()]
    return lines


def main() -> None:
    args = parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    say(host_line("instruct_study.py", f", {timestamp()}"))
    evolved = evolve(args)
    say(f"evolve: kept {evolved['kept']} of {evolved['decided']} ({evolved['removed']})")
    if not evolved["kept"]:
        sys.exit("no evolution was kept: nothing to fine-tune on")
    files = export(args, evolved["run_id"])
    trained = {(m, d): finetune(args, m, d, files[d]) for m in args.model for d in DATA}
    scores = {}
    for model in args.model:
        specs = {"base": model} | {d: trained[(model, d)]["spec"] for d in DATA}
        for arm, spec in specs.items():
            for benchmark in args.benchmark:
                scores[(model, arm, benchmark)] = evaluate(args, spec, f"{short(model)}-{arm}",
                                                           benchmark)
    lines = table(args, evolved, trained, scores)
    for line in lines:
        say(line)
    (args.out_dir / "table.md").write_text("\n".join(lines) + "\n")
    (args.out_dir / "results.json").write_text(json.dumps(
        {"evolution": evolved, "finetune": {f"{short(m)}-{d}": r for (m, d), r in trained.items()},
         "eval": {f"{short(m)}-{a}-{b}": r for (m, a, b), r in scores.items()}}, indent=1))
    write_log(args.out_dir / "study.log")


if __name__ == "__main__":
    main()
