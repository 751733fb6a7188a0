#!/usr/bin/env python3
"""A peer side by side: OpenEvolve against ``crucible run -s evolve`` on circle packing n=26,
with the same local model behind the same llama.cpp server and the same number of model calls.

Run it with crucible's venv (it resolves the embedded model through ``codecrucible.models``):

1. makes, if missing, ``perf/.venvs/openevolve`` holding openevolve==0.4.1 (from PyPI);
2. serves the model's GGUF file with llama.cpp's OpenAI-compatible server
   (``python -m llama_cpp.server``) on 127.0.0.1, and stops it at the end, Ctrl-C included;
3. runs OpenEvolve for ``--calls`` iterations (one model call each) from crucible's naive
   baseline program of ``Discovery/circle_packing_26`` (2.5414), full rewrites only
   (``diff_based_evolution: false``: small models write poor SEARCH/REPLACE diffs), scored by
   ``openevolve_circle/evaluator.py`` with crucible's own scorer;
4. runs ``crucible run -s evolve --rounds CALLS-1 -n 1`` (CALLS calls; its first program is
   written from the task statement, not from the baseline) on the same server;
5. reports for each the best score after every call, wall time, calls (as the server counted
   them), tokens and valid programs: ``side.json`` and ``side.md`` in ``--out-dir``;
6. with ``--hostile``, judges three hostile programs through OpenEvolve's evaluation path and
   crucible's sandbox (``side_hostile.py``): never ends, forks a child, reads an API key.

    .venv/bin/python perf/openevolve_side.py                    # 12 calls each
    .venv/bin/python perf/openevolve_side.py --calls 8 --hostile --out-dir perf/out/side
    .venv/bin/python perf/openevolve_side.py --hostile-only     # no model, no server
    .venv/bin/python perf/openevolve_side.py --model gguf:/path/to/model.gguf --port 8091
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import sys
import tempfile
from pathlib import Path

from common import (
    CRUCIBLE_DEFAULT,
    PERF,
    add_data_dir,
    ensure_venv,
    host_line,
    log_tail,
    run_process,
    say,
    say_header,
    timestamp,
    write_log,
)
from llama_server import count_calls, free_port, llama_server, log_size
from side_hostile import run_hostile

OPENEVOLVE_REQ = ["openevolve==0.4.1"]
TASK = "Discovery/circle_packing_26"
CIRCLE = PERF / "openevolve_circle"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog=__doc__[__doc__.index("    .venv"):],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=12, help="model calls per system (12)")
    parser.add_argument("--model", default="embedded:qwen2.5-coder-0.5b",
                        help="embedded:NAME or gguf:PATH (default the embedded Qwen 0.5B)")
    parser.add_argument("--port", type=int, default=0, help="server port (0: a free one)")
    parser.add_argument("--threads", type=int, default=None, help="llama.cpp threads")
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--max-tokens", type=int, default=768, help="per answer (768)")
    parser.add_argument("--eval-timeout", type=int, default=60,
                        help="OpenEvolve's evaluator.timeout in seconds (60)")
    parser.add_argument("--hostile", action="store_true", help="also judge hostile programs")
    parser.add_argument("--hostile-only", action="store_true", help="only the hostile part")
    parser.add_argument("--hostile-timeout", type=int, default=10,
                        help="OpenEvolve's evaluator.timeout for the hostile part (10 s)")
    parser.add_argument("--crucible", type=Path, default=CRUCIBLE_DEFAULT)
    parser.add_argument("--out-dir", type=Path, default=None, help="default: a temp dir")
    add_data_dir(parser)
    args = parser.parse_args()
    if args.calls < 1:
        parser.error("--calls must be at least 1")
    if not args.crucible.exists():
        parser.error(f"{args.crucible} not found: make the venv (make install) or --crucible")
    return args


def model_file(spec: str) -> tuple[Path, str]:
    """The GGUF file a model spec names, and the name the server gives it."""
    from codecrucible.models import ModelError
    from codecrucible.models.llama import resolve_embedded
    kind, _, rest = spec.partition(":")
    if kind not in ("embedded", "gguf"):
        raise SystemExit(f"--model {spec}: expected embedded:NAME or gguf:PATH")
    try:
        path = resolve_embedded(rest)[1] if kind == "embedded" else Path(rest)
    except ModelError as err:
        raise SystemExit(f"--model {spec}: {err}") from None
    if not path.is_file():
        raise SystemExit(f"--model {spec}: no such model file {path}")
    return path, path.stem if kind == "gguf" else rest


def task_problem():
    from codecrucible.benchmarks.discovery import problems
    return next(p for p in problems() if p.task_id == TASK)


def best_series(scores: list[float | None], start: float | None = None) -> list[float | None]:
    """The best valid score after each call."""
    best, out = start, []
    for score in scores:
        if score is not None and (best is None or score > best):
            best = score
        out.append(best)
    return out


def openevolve_config(args, url: str, alias: str, out: Path) -> Path:
    """OpenEvolve's YAML config (written as JSON, a subset of YAML) for this budget."""
    config = {
        "max_iterations": args.calls, "checkpoint_interval": args.calls, "random_seed": 0,
        "log_dir": str(out / "logs"), "diff_based_evolution": False,
        "llm": {"api_base": url, "api_key": "none", "models": [{"name": alias, "weight": 1.0}],
                "temperature": args.temperature, "top_p": 0.95, "max_tokens": args.max_tokens,
                "timeout": 1200, "retries": 0},
        "prompt": {"system_message": task_problem().instruction},
        "evaluator": {"timeout": args.eval_timeout, "cascade_evaluation": False,
                      "parallel_evaluations": 1, "max_retries": 0},
        "evolution_trace": {"enabled": True, "include_code": True, "include_failures": True,
                            "output_path": str(out / "trace.jsonl")},
    }
    path = out / "config.yaml"
    path.write_text(json.dumps(config, indent=1))
    return path


def run_openevolve(args, oe_python: Path, url: str, alias: str, out: Path, env: dict) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    initial = out / "initial_program.py"
    initial.write_text(task_problem().reference)
    argv = [str(oe_python.parent / "openevolve-run"), str(initial), str(CIRCLE / "evaluator.py"),
            "--config", str(openevolve_config(args, url, alias, out)), "--output", str(out),
            "--iterations", str(args.calls)]
    child_env = dict(env, CIRCLE_CHILD_TIMEOUT_S=str(2 * args.eval_timeout))
    rc, wall = run_process(argv, child_env, out, out / "run.log", timeout=args.calls * 900)
    if rc != 0:
        say(f"OpenEvolve exited with {rc}:\n{log_tail(out / 'run.log', 15)}")
    records = [*_jsonl(out / "trace.jsonl"), *_jsonl(out / "trace_failures.jsonl")]
    records.sort(key=lambda r: r["iteration"])
    scores, tokens_in, tokens_out = [], 0, 0
    for r in records:
        metrics = r.get("child_metrics") or {}
        scores.append(metrics.get("combined_score") if metrics.get("validity") else None)
        usage = (r.get("metadata") or {}).get("token_usage") or r.get("token_usage") or {}
        tokens_in += usage.get("prompt_tokens", 0)
        tokens_out += usage.get("completion_tokens", 0)
    baseline = next((r["parent_metrics"].get("combined_score") for r in records
                     if r.get("parent_metrics")), None)
    return {"system": "OpenEvolve 0.4.1", "rc": rc, "wall_s": round(wall, 1),
            "iterations_recorded": len(records), "scores": scores,
            "best_per_call": best_series(scores, baseline),
            "best_written": max((s for s in scores if s is not None), default=None),
            "valid": sum(s is not None for s in scores), "tokens_in": tokens_in,
            "tokens_out": tokens_out, "start": baseline}


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def run_crucible(args, url: str, alias: str, out: Path, env: dict) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    store = out / "store.sqlite"
    argv = [str(args.crucible), "run", "-m", f"openai:{url}#{alias}", "-b", "discovery",
            "--task", TASK, "-s", "evolve", "--rounds", str(args.calls - 1), "-n", "1",
            "-t", str(args.temperature), "--max-tokens", str(args.max_tokens),
            "--concurrency", "1", "--request-timeout", "1200", "--store", str(store),
            "--data-dir", str(args.data_dir), "--summary", str(out / "summary.json")]
    # A fresh user cache: no earlier response of this server is replayed from crucible's cache.
    child_env = dict(env, CRUCIBLE_CACHE_DIR=str(out / "cache"))
    rc, wall = run_process(argv, child_env, out, out / "run.log", timeout=args.calls * 900)
    if rc != 0:
        say(f"crucible exited with {rc}:\n{log_tail(out / 'run.log', 15)}")
    rows = []
    if store.exists():
        with sqlite3.connect(store) as db:
            rows = db.execute("SELECT round, score, tokens_in, tokens_out, code IS NOT NULL "
                              "AND verdicts IS NULL FROM attempts ORDER BY round").fetchall()
    scores = [row[1] for row in rows]
    return {"system": "crucible evolve", "rc": rc, "wall_s": round(wall, 1),
            "iterations_recorded": len(rows), "scores": scores,
            "best_per_call": best_series(scores),
            "best_written": max((s for s in scores if s is not None), default=None),
            "valid": sum(s is not None for s in scores), "tokens_in": sum(r[2] for r in rows),
            "tokens_out": sum(r[3] for r in rows), "start": None,
            "repeats": sum(r[4] for r in rows)}


def fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def side_table(results: list[dict], calls: int) -> list[str]:
    lines = ["| | " + " | ".join(r["system"] for r in results) + " |",
             "|---|" + "---|" * len(results),
             "| starts from | " + " | ".join(
                 f"baseline {fmt(r['start'])}" if r["start"] else "the task statement"
                 for r in results) + " |"]
    for i in range(calls):
        cells = [fmt(r["best_per_call"][i]) if i < len(r["best_per_call"]) else "(none)"
                 for r in results]
        lines.append(f"| best after call {i + 1} | " + " | ".join(cells) + " |")
    for label, key in (("best program the model wrote", "best_written"),
                       ("valid programs", "valid"), ("model calls (server count)", "calls"),
                       ("tokens in / out", "tokens"), ("wall time (s)", "wall_s")):
        cells = []
        for r in results:
            value = r.get(key)
            if key == "tokens":
                value = f"{r['tokens_in']} / {r['tokens_out']}"
            elif key == "valid":
                value = f"{r['valid']} of {r['iterations_recorded']}"
                if r.get("repeats"):
                    value += f" ({r['repeats']} repeats not run)"
            cells.append(fmt(value) if key == "best_written" else str(value))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def key_cell(row: dict) -> str:
    """Only the key probe asks for the key; for the others the column does not apply."""
    if "API_KEY" not in row["candidate"]:
        return "-"
    return "yes" if row["key_reached_candidate"] else "no"


def hostile_table(rows: list[dict]) -> list[str]:
    lines = ["| candidate | system | verdict | seconds to verdict | processes left 3 s later "
             "| judge still busy | API key reached the candidate |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['candidate']} | {r['system']} | {r['verdict']} | {r['seconds']} | "
                     f"{r['left_running']} | {'yes' if r['judge_still_busy'] else 'no'} | "
                     f"{key_cell(r)} |")
    return lines


def main() -> None:
    args = parse_args()
    out = (args.out_dir or Path(tempfile.mkdtemp(prefix="openevolve-side-"))).resolve()
    out.mkdir(parents=True, exist_ok=True)
    args.crucible, args.data_dir = args.crucible.resolve(), args.data_dir.resolve()
    say(host_line("openevolve_side", f", {timestamp()}"))
    gguf, alias = (None, None) if args.hostile_only else model_file(args.model)
    oe_python = ensure_venv("openevolve", OPENEVOLVE_REQ)
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_API_BASE")}
    report: dict = {"calls": args.calls, "model": args.model, "temperature": args.temperature}
    md: list[str] = []
    if not args.hostile_only:
        log = out / "llama_server.log"
        say(f"serving {gguf} as {alias} (llama.cpp server log: {log})")
        with llama_server(Path(sys.executable), gguf, args.port or free_port(), alias, log,
                          threads=args.threads) as url:
            results = []
            for name, run in (("openevolve", lambda: run_openevolve(
                    args, oe_python, url, alias, out / "openevolve", env)),
                              ("crucible", lambda: run_crucible(
                                  args, url, alias, out / "crucible", env))):
                say(f"{name}: {args.calls} calls against {url} ...")
                before = log_size(log)
                result = run()
                result["calls"] = count_calls(log, before)
                say(f"{name}: done in {result['wall_s']} s")
                results.append(result)
        report["side_by_side"] = results
        md += ["OpenEvolve uses full rewrites (diff_based_evolution: false): small models write "
               "poor SEARCH/REPLACE diffs.", "", *side_table(results, args.calls), ""]
    if args.hostile or args.hostile_only:
        say("hostile programs: OpenEvolve's Evaluator and crucible judge ...")
        child_s = 2 * args.hostile_timeout
        rows = run_hostile(out / "hostile", oe_python, CIRCLE / "hostile_driver.py",
                           args.crucible, args.data_dir, args.hostile_timeout,
                           dict(env, CIRCLE_CHILD_TIMEOUT_S=str(child_s)))
        report["hostile"] = rows
        md += [f"Hostile programs (OpenEvolve evaluator.timeout {args.hostile_timeout} s; the "
               f"evaluator kills its candidate child after {child_s} s):", "",
               *hostile_table(rows), ""]
    (out / "side.json").write_text(json.dumps(report, indent=1))
    (out / "side.md").write_text("\n".join(md))
    say_header(f"results in {out}")
    for line in md:
        say(line)
    write_log(out / "summary.txt")


def _terminated(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminated)  # `kill` cleans up as Ctrl-C does
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted: the server and every child were stopped")
