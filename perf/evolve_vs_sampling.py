#!/usr/bin/env python3
"""Evolve against sampling at equal model calls: does program search beat plain sampling on
the local models?

Every arm gets the same number of model calls per problem (``--calls C``):

- ``single``: C independent samples (``-s single -n C``); a problem counts as solved when any
  sample passes, and its best score is the best of the C programs (best-of-C with the
  benchmark's own checker as the oracle, the fair opponent of a search that sees the checker);
- ``evolve``: ``--trials K`` hill-climbing conversations of C/K calls each
  (``-s evolve -n K --rounds C/K-1``);
- ``evolve-islands``: one program database of C calls (``-s evolve-islands -n 1
  --rounds C-1``).

A pass/fail search stops once a program passes, so it may spend fewer calls than its budget;
the table counts the calls really made. Each (benchmark, arm) is one ``crucible run`` with its
own store and its own response cache under ``--out-dir`` (so wall times are the model's, and a
rerun with the same directory replays the answers and judges nothing twice: finished arms are
read back, not run). It writes ``results.json`` and ``table.md`` there.

    .venv/bin/python perf/evolve_vs_sampling.py                           # defaults below
    .venv/bin/python perf/evolve_vs_sampling.py --benchmarks discovery --calls 8 --trials 2 \
        --task Discovery/circle_packing_26 --task Discovery/cap_set_8
    .venv/bin/python perf/evolve_vs_sampling.py --benchmarks humaneval+ --limit 20 --calls 4
    .venv/bin/python perf/evolve_vs_sampling.py -m embedded:qwen2.5-coder-1.5b --out-dir /tmp/x
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
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

ARMS = ("single", "evolve", "evolve-islands")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-m", "--model", default="embedded:qwen2.5-coder-0.5b")
    parser.add_argument("--benchmarks", default="discovery,humaneval+",
                        help="comma-separated benchmarks (default: discovery,humaneval+)")
    parser.add_argument("--arms", default="single,evolve",
                        help=f"comma-separated, of {','.join(ARMS)} (default: single,evolve; "
                             "the islands are made for longer searches)")
    parser.add_argument("--calls", type=int, default=8, help="model calls per problem")
    parser.add_argument("--trials", type=int, default=2, help="evolve's conversations")
    parser.add_argument("--limit", type=int, default=None,
                        help="only the first N problems of each benchmark")
    parser.add_argument("--task", action="append", default=[],
                        help="only this task id or pattern (repeatable), as crucible run takes")
    parser.add_argument("-t", "--temperature", type=float, default=0.8)
    parser.add_argument("--max-tokens", type=int, default=768)
    parser.add_argument("--call-timeout", type=float, default=None,
                        help="crucible's bound on a model call (its default: 300 s); raise it "
                             "on a loaded machine, where a long prompt can take minutes")
    parser.add_argument("--out-dir", type=Path, default=PERF / "out" / "evolve_vs_sampling")
    parser.add_argument("--crucible", type=Path, default=CRUCIBLE_DEFAULT)
    add_data_dir(parser)
    args = parser.parse_args()
    args.arms = [a for a in args.arms.split(",") if a]
    if unknown := set(args.arms) - set(ARMS):
        parser.error(f"--arms: unknown {', '.join(sorted(unknown))}; expected {', '.join(ARMS)}")
    if args.calls < 1 or args.trials < 1 or args.calls % args.trials:
        parser.error(f"--calls {args.calls} must be a positive multiple of --trials "
                     f"{args.trials}")
    if not args.crucible.exists():
        parser.error(f"{args.crucible} not found: make the venv (make install) or --crucible")
    return args


def strategy_options(arm: str, calls: int, trials: int) -> list[str]:
    """``crucible run`` options giving ``arm`` exactly ``calls`` model calls per problem."""
    if arm == "single":
        return ["-s", "single", "-n", str(calls)]
    if arm == "evolve":
        return ["-s", "evolve", "-n", str(trials), "--rounds", str(calls // trials - 1)]
    return ["-s", "evolve-islands", "-n", "1", "--rounds", str(calls - 1)]


def run_arm(args, benchmark: str, arm: str, model: str, options: list[str],
            out: Path, cache: Path | None = None) -> dict:
    """One ``crucible run`` of ``model`` with the strategy ``options`` (or its finished record)
    and what its store says, under ``out``; ``arm`` names it in the results. Its responses are
    cached in ``cache`` (default: its own, ``out/cache``)."""
    out.mkdir(parents=True, exist_ok=True)
    record = out / "arm.json"
    argv = [str(args.crucible), "run", "-m", model, "-b", benchmark,
            *options, "-t", str(args.temperature),
            "--max-tokens", str(args.max_tokens), "--store", str(out / "store.sqlite"),
            "--data-dir", str(args.data_dir)]
    if args.limit:
        argv += ["--limit", str(args.limit)]
    for task in args.task:
        argv += ["--task", task]
    if args.call_timeout:
        argv += ["--call-timeout", str(args.call_timeout)]
    command = " ".join(["crucible", *argv[1:]])
    if record.exists() and json.loads(record.read_text())["command"] == command:
        say(f"{benchmark} {arm}: finished before, read back ({record})")
        return json.loads(record.read_text()) | measured(out / "store.sqlite")
    say(f"{benchmark} {arm}: {command}")
    for stale in out.glob("store.sqlite*"):   # of a killed run: its answers are in the cache
        stale.unlink()
    env = dict(os.environ, CRUCIBLE_CACHE_DIR=str(response_cache(cache or out / "cache")))
    rc, wall = run_process(argv, env, out, out / "run.log", timeout=24 * 3600)
    if rc != 0:
        raise SystemExit(f"{benchmark} {arm}: crucible exited with {rc}:\n"
                         f"{log_tail(out / 'run.log', 15)}")
    result = {"benchmark": benchmark, "arm": arm, "model": model, "command": command, "wall_s": round(wall, 1),
              **measured(out / "store.sqlite")}
    record.write_text(json.dumps(result, indent=1))
    return result


def response_cache(cache: Path) -> Path:
    """A ``CRUCIBLE_CACHE_DIR`` of its own for responses (and calibrations), whose ``models``
    links to the user's: the embedded models' files are not copied into it."""
    from codecrucible.files import cache_dir

    models = cache / "models"
    if not models.exists():
        cache.mkdir(parents=True, exist_ok=True)
        (cache_dir() / "models").mkdir(parents=True, exist_ok=True)
        models.symlink_to((cache_dir() / "models").resolve(), target_is_directory=True)
    return cache


def measured(store: Path) -> dict:
    """Calls (and those that reached --call-timeout), tokens, the model's seconds (each
    answer's own, also when a rerun took it from the cache) and programs of the run in
    ``store``, and per task its best score, every program's (sample, round, score), whether a
    program passed, and sample 0's first program's score and whether it passed (a pass@1
    draw, the same request in every arm)."""
    with sqlite3.connect(store) as db:
        rows = db.execute("SELECT task_id, sample, round, code IS NOT NULL, verdicts IS NOT NULL,"
                          " status, score, tokens_in, tokens_out, cached, latency_s, finish_reason FROM"
                          " attempts"
                          ).fetchall()
    tasks: dict[str, dict] = {}
    for task, sample, round_, _code, _judged, status, score, *_ in rows:
        entry = tasks.setdefault(task, {"best": None, "solved": False, "first_passed": False,
                                        "first": None, "scores": []})
        entry["scores"].append([sample, round_, score])
        if sample == 0 and round_ == 0:
            entry["first"] = score
        if score is not None and (entry["best"] is None or score > entry["best"]):
            entry["best"] = score
        entry["solved"] |= status == "passed"
        entry["first_passed"] |= sample == 0 and round_ == 0 and status == "passed"
    return {"calls": len(rows), "cached": sum(r[9] for r in rows),
            "model_s": round(sum(r[10] for r in rows), 1),
            "timeouts": sum(r[11] == "timeout" for r in rows),
            "tokens_in": sum(r[7] for r in rows), "tokens_out": sum(r[8] for r in rows),
            "programs": sum(r[3] for r in rows), "judged": sum(r[4] for r in rows),
            "repeats": sum(r[3] and not r[4] for r in rows),
            "passed": sum(r[5] == "passed" for r in rows),
            "valid": sum(r[6] is not None or r[5] == "passed" for r in rows), "tasks": tasks}


def baselines() -> dict[str, float]:
    """The discovery tasks' naive baseline scores."""
    from codecrucible.benchmarks import discovery
    return {p.task_id: p.metadata["baseline"] for p in discovery.problems()}


def table(results: list[dict], calls: int) -> list[str]:
    """One markdown table per benchmark: an arm per row."""
    lines = []
    for benchmark in dict.fromkeys(r["benchmark"] for r in results):
        rows = [r for r in results if r["benchmark"] == benchmark]
        tasks = sorted(rows[0]["tasks"])
        scored = benchmark == "discovery"
        if scored:
            base = baselines()
            heads = [t.split("/")[-1] for t in tasks]
            lines.append(f"\n{benchmark}, {calls} calls per task (baselines: " + ", ".join(
                f"{h} {base[t]:.4g}" for h, t in zip(heads, tasks, strict=True)) + ")")
        else:
            heads = ["solved", "sample 0's first program passed"]
            lines.append(f"\n{benchmark}, {len(tasks)} problems, up to {calls} calls each")
        header = "| arm | " + " | ".join(heads) + " | calls (timed out) | tokens in / out |" \
            " programs valid / judged / repeats | model s | wall s |"
        lines += [header, "|" + "---|" * (header.count("|") - 1)]
        for r in rows:
            if scored:
                cells = [f"{r['tasks'][t]['best']:.4g}" if r["tasks"][t]["best"] is not None
                         else "none valid" for t in tasks]
            else:
                solved = sum(e["solved"] for e in r["tasks"].values())
                first = sum(e["first_passed"] for e in r["tasks"].values())
                cells = [f"{solved}/{len(tasks)}", f"{first}/{len(tasks)}"]
            lines.append(f"| {r['arm']} | " + " | ".join(cells) +
                         f" | {r['calls']} ({r['timeouts']}) | {r['tokens_in']} / "
                         f"{r['tokens_out']} | {r['valid']} / {r['judged']} / {r['repeats']} "
                         f"| {r['model_s']:.0f} | {r['wall_s']:.0f} |")
    return lines


def main() -> None:
    args = parse_args()
    args.crucible, args.data_dir = args.crucible.resolve(), args.data_dir.resolve()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    say(host_line("evolve_vs_sampling", f", {timestamp()}, model {args.model}, "
                                        f"T={args.temperature}, {args.calls} calls/problem"))
    results = [run_arm(args, benchmark, arm, args.model,
                       strategy_options(arm, args.calls, args.trials),
                       args.out_dir / benchmark / arm)
               for benchmark in args.benchmarks.split(",") if benchmark
               for arm in args.arms]
    (args.out_dir / "results.json").write_text(json.dumps(results, indent=1))
    lines = table(results, args.calls)
    for line in lines:
        say(line)
    (args.out_dir / "table.md").write_text("\n".join(lines) + "\n")
    write_log(args.out_dir / "log.txt")


if __name__ == "__main__":
    main()
