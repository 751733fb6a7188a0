#!/usr/bin/env python3
"""Generation speed: ``crucible run`` against llama-cpp-python used directly, and prompt reuse.

Run it with the project's venv (``.venv/bin/python perf/gen_speed.py``); llama-cpp-python and the
embedded model must be installed there. On one machine, in one run, it measures

1. the overhead of ``crucible run`` over a plain llama-cpp-python loop, on the first
   ``--problems`` HumanEval problems, greedy, ``--max-tokens`` 512:
     direct    a fresh Python process that imports only llama_cpp, loads the GGUF file once
               (``Llama(path, n_ctx=4096, n_threads=cores, n_threads_batch=cores, n_batch=512)``)
               and calls ``create_completion`` on each prompt text with crucible's own sampling
               settings (temperature, top_p, top_k=0, min_p=0, repeat_penalty=1, seed, stop);
     crucible  ``crucible run -m embedded:MODEL -b humaneval --task ... --max-tokens 512`` with a
               fresh, empty CRUCIBLE_CACHE_DIR (only a ``models`` link to the assembled GGUF, so
               the response cache cannot answer and the file is not reassembled) and a fresh
               ``--store``; tokens, model time and the generation phase are read from the store.
   The prompt texts and seeds are made by crucible's own code (``strategies.Context.request``,
   i.e. ``prompting.first_request``, and ``LlamaModel.render``: chat template plus prefill) in a
   setup process, and handed to the direct process as JSON; the requests crucible stored are
   checked to be the same requests. Greedy answers are compared text by text. With
   ``--alternating``, a third row: the direct loop again, its calls alternating between two
   Python threads (one call at a time), the way crucible's two strategy workers call the model
   (llama.cpp built with OpenMP keeps a thread team per calling thread);
2. prompt reuse with n > 1 (what ``LlamaModel`` relies on): ``--reuse-problems`` problems x
   ``--reuse-samples`` samples at temperature 0.8, each sample with crucible's seed, in one plain
   llama-cpp-python process: consecutive calls with the same prompt (llama-cpp-python's default:
   the processed prefix is kept) against ``llm.reset()`` before every call (the prompt is
   processed again each time). Same seeds, so the texts must match; the saving is prompt time,
   the same whatever the answers' length, so answers are capped at ``--reuse-max-tokens`` (64)
   to keep the run short, and the saving is also projected onto part 1's greedy answer lengths.

What the numbers include:
  direct gen s      the create_completion loop (prompt processing + generation), model loaded
  crucible model s  the sum of the attempts' latency_s: crucible's own create_completion timing
  crucible phase s  runs.finished - runs.created in the store: from the run's creation (after
                    model load and calibration) to its end, i.e. generation with everything
                    crucible does around it (prompt building, response cache, judging in the
                    sandbox alongside, store commits); this is the end-to-end figure compared
                    with direct gen s for the "< 10 % overhead" target
  process s         wall time of the whole subprocess; for crucible, process s - phase s is its
                    start-up and wind-down (imports, model load, sandbox start, calibration of
                    the tasks' tests, the printed summary)

Outputs: a table on stdout, ``perf/out/gen_speed.json`` (medians and every repetition),
``perf/out/gen_speed.txt`` (the printed report) and ``perf/out/gen_speed/`` (jobs, results,
crucible logs and stores).

    .venv/bin/python perf/gen_speed.py                 # defaults: 10 problems, 1 repetition
    .venv/bin/python perf/gen_speed.py --problems 5 --repeat 3
    .venv/bin/python perf/gen_speed.py --only reuse
    .venv/bin/python perf/gen_speed.py --alternating   # + direct calls from two threads
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import (
    CRUCIBLE_DEFAULT,
    PERF,
    ROOT,
    add_data_dir,
    host_line,
    log_tail,
    median,
    run_process,
    say,
    say_header,
    timestamp,
    write_log,
)

PYTHON = ROOT / ".venv" / "bin" / "python"
BENCHMARK = "humaneval"
TARGET_RATIO = 0.9   # the target: crucible tokens/s >= 0.9 x direct


# ----------------------------------------------------------------------------- workers
# Each runs in its own process: ``gen_speed.py --worker KIND JOB OUT``.

def worker_prompts(job: dict) -> dict:
    """The prompt texts and requests crucible would send, made by crucible's own code."""
    from dataclasses import asdict

    from codecrucible import benchmarks
    from codecrucible.models import ModelOptions
    from codecrucible.models.llama import CATALOG, LlamaModel, assemble
    from codecrucible.strategies import Budget, Context, Sampling

    entry = CATALOG[job["model"]]
    path = assemble(entry)
    model = LlamaModel(f"embedded:{entry.name}", path, entry.sha256,
                       ModelOptions(context=job["context"]))
    problems = benchmarks.get(BENCHMARK).load(Path(job["data_dir"]))
    sets = {}
    for name, spec in job["sets"].items():
        sampling = Sampling(spec["n"], spec["temperature"], spec["top_p"], spec["max_tokens"],
                            spec["seed"])
        ctx = Context(model, None, sampling, Budget())  # request() never touches the judge
        items = []
        for problem in problems[:spec["problems"]]:
            for sample in range(spec["n"]):
                request = ctx.request(problem, sample)
                items.append({"task_id": problem.task_id, "sample": sample,
                              "request": json.loads(json.dumps(asdict(request))),
                              "text": model.render(request)})
        sets[name] = items
    result = {"model_path": str(path), "chat": model.chat, "threads": model.threads,
              "describe": model.describe(), "sets": sets}
    model.close()
    return result


def _perf_functions():
    """llama.cpp's own context timings (prompt vs generation), where the binding has them."""
    try:
        import llama_cpp
        return llama_cpp.llama_perf_context, llama_cpp.llama_perf_context_reset
    except AttributeError:
        return None, None


def worker_generate(job: dict) -> dict:
    """Plain llama-cpp-python: load once, then create_completion on every item in order.

    With ``alternate`` the calls are made by two Python threads taking turns (still one at a
    time), as crucible's two strategy workers do; otherwise all from the main thread."""
    started = time.perf_counter()
    import llama_cpp
    threads = job["threads"]
    llm = llama_cpp.Llama(model_path=job["model_path"], n_ctx=job["context"], n_threads=threads,
                          n_threads_batch=threads, n_batch=512, verbose=False)
    load_s = time.perf_counter() - started
    perf_read, perf_reset = _perf_functions() if job.get("perf") else (None, None)

    def complete(item: dict) -> dict:
        request = item["request"]
        if item.get("reset"):
            llm.reset()   # forget the processed tokens: the prompt is evaluated from scratch
        if perf_reset:
            perf_reset(llm._ctx.ctx)
        call_started = time.perf_counter()
        out = llm.create_completion(
            item["text"], max_tokens=request["max_tokens"], temperature=request["temperature"],
            top_p=request["top_p"], top_k=0, min_p=0.0, repeat_penalty=1.0,
            seed=request["seed"], stop=list(request["stop"]) or None)
        latency = time.perf_counter() - call_started
        choice, usage = out["choices"][0], out["usage"]
        record = {"task_id": item["task_id"], "sample": item["sample"],
                  "mode": item.get("mode"), "text": choice["text"],
                  "tokens_in": usage["prompt_tokens"], "tokens_out": usage["completion_tokens"],
                  "finish_reason": choice.get("finish_reason"), "latency_s": latency}
        if perf_read:
            data = perf_read(llm._ctx.ctx)
            # llama.cpp counts multi-token decodes as prompt eval, single-token ones as eval
            record.update(prompt_eval_s=data.t_p_eval_ms / 1000, prompt_eval_tokens=data.n_p_eval,
                          eval_s=data.t_eval_ms / 1000, eval_tokens=data.n_eval)
        return record

    loop_started = time.perf_counter()
    if job.get("alternate"):
        results = alternating_calls(complete, job["items"])
    else:
        results = [complete(item) for item in job["items"]]
    gen_s = time.perf_counter() - loop_started
    llm.close()
    return {"load_s": load_s, "gen_s": gen_s, "threads": threads,
            "llama_cpp_version": getattr(llama_cpp, "__version__", "?"), "results": results}


def alternating_calls(complete, items: list[dict]) -> list[dict]:
    """``complete`` on each item in order, the calls made by two Python threads taking turns
    (one call at a time)."""
    import queue
    import threading
    inboxes: list[queue.Queue] = [queue.Queue(), queue.Queue()]
    done: queue.Queue = queue.Queue()

    def serve(inbox: queue.Queue) -> None:
        while (item := inbox.get()) is not None:
            done.put(complete(item))

    workers = [threading.Thread(target=serve, args=(inbox,)) for inbox in inboxes]
    for worker in workers:
        worker.start()
    results = []
    for index, item in enumerate(items):
        inboxes[index % 2].put(item)
        results.append(done.get())   # one call at a time, like the model's lock
    for inbox in inboxes:
        inbox.put(None)
    for worker in workers:
        worker.join()
    return results


WORKERS = {"prompts": worker_prompts, "generate": worker_generate}


def run_worker(kind: str, job: dict, workdir: Path, timeout: int) -> tuple[dict, float]:
    """(the worker's result, the process's wall seconds)."""
    workdir.mkdir(parents=True, exist_ok=True)
    job_path, out_path, log = workdir / "job.json", workdir / "result.json", workdir / "output.log"
    job_path.write_text(json.dumps(job, indent=1) + "\n")
    out_path.unlink(missing_ok=True)
    rc, wall = run_process([str(PYTHON), str(Path(__file__).resolve()), "--worker", kind,
                            str(job_path), str(out_path)], os.environ.copy(), workdir, log,
                           timeout)
    if rc != 0 or not out_path.is_file():
        sys.exit(f"the {kind} worker failed (exit {rc}) in {workdir}:\n{log_tail(log, 20)}")
    return json.loads(out_path.read_text()), wall


# ----------------------------------------------------------------------------- part 1

def run_direct(ctx: dict, rep: int, alternate: bool = False) -> dict:
    items = ctx["prompts"]["sets"]["overhead"]
    job = {"model_path": ctx["prompts"]["model_path"], "context": ctx["args"].context,
           "threads": ctx["prompts"]["threads"], "items": items, "alternate": alternate}
    name = "direct-2threads" if alternate else "direct"
    result, wall = run_worker("generate", job, ctx["out"] / "runs" / name / f"rep{rep}",
                              ctx["args"].timeout)
    tokens = sum(r["tokens_out"] for r in result["results"])
    return {"process_s": wall, "load_s": result["load_s"], "gen_s": result["gen_s"],
            "calls_s": sum(r["latency_s"] for r in result["results"]), "tokens_out": tokens,
            "tokens_in": sum(r["tokens_in"] for r in result["results"]),
            "tok_s": tokens / result["gen_s"], "llama_cpp_version": result["llama_cpp_version"],
            "texts": {r["task_id"]: r["text"] for r in result["results"]},
            "finish": {r["task_id"]: r["finish_reason"] for r in result["results"]}}


def run_crucible(ctx: dict, rep: int) -> dict:
    args = ctx["args"]
    workdir = ctx["out"] / "runs" / "crucible" / f"rep{rep}"
    if workdir.exists():
        shutil.rmtree(workdir)
    cache = workdir / "cache"
    cache.mkdir(parents=True)
    (cache / "models").symlink_to(Path(ctx["prompts"]["model_path"]).resolve().parent,
                                  target_is_directory=True)
    store = workdir / "store.db"
    tasks = [item["task_id"] for item in ctx["prompts"]["sets"]["overhead"]]
    env = os.environ.copy()
    env.pop("CRUCIBLE_STORE", None)
    env.update(CRUCIBLE_CACHE_DIR=str(cache), CRUCIBLE_DATA_DIR=str(args.data_dir),
               TERM="dumb", COLUMNS="120")
    argv = [str(args.crucible), "run", "-m", f"embedded:{args.model}", "-b", BENCHMARK,
            *[x for t in tasks for x in ("--task", t)], "--max-tokens", str(args.max_tokens),
            "--context", str(args.context), "--store", str(store),
            "--data-dir", str(args.data_dir)]
    rc, wall = run_process(argv, env, workdir, workdir / "output.log", args.timeout)
    tail = log_tail(workdir / "output.log", 20)
    if rc != 0 or not store.is_file():
        sys.exit(f"crucible run failed (exit {rc}) in {workdir}:\n{tail}")
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    runs = db.execute("SELECT id, created, finished, environment FROM runs").fetchall()
    if len(runs) != 1 or runs[0][2] is None:
        sys.exit(f"{store}: expected one finished run, found {runs!r}")
    run_id, created, finished, environment = runs[0]
    rows = db.execute("SELECT task_id, request, raw, tokens_in, tokens_out, latency_s, cached,"
                      " finish_reason FROM attempts WHERE run_id = ? AND round = 0",
                      (run_id,)).fetchall()
    db.close()
    cached = sum(row[6] for row in rows)
    if cached or len(rows) != len(tasks):
        sys.exit(f"{store}: {len(rows)} attempts for {len(tasks)} tasks, {cached} from the "
                 "response cache (the cache directory was meant to be empty)")
    expected = {item["task_id"]: item["request"] for item in ctx["prompts"]["sets"]["overhead"]}
    request_mismatch = [row[0] for row in rows if json.loads(row[1]) != expected[row[0]]]
    tokens = sum(row[4] for row in rows)
    model_s = sum(row[5] for row in rows)
    phase_s = finished - created
    return {"process_s": wall, "phase_s": phase_s, "startup_s": wall - phase_s,
            "model_s": model_s, "tokens_out": tokens, "tokens_in": sum(row[3] for row in rows),
            "model_tok_s": tokens / model_s, "phase_tok_s": tokens / phase_s,
            "process_tok_s": tokens / wall, "run_id": run_id,
            "model": json.loads(environment).get("model"),
            "request_mismatch": request_mismatch,
            "texts": {row[0]: row[2] for row in rows},
            "finish": {row[0]: row[7] for row in rows}, "log_tail": tail}


# ----------------------------------------------------------------------------- part 2

def run_reuse(ctx: dict, rep: int) -> dict:
    items = ctx["prompts"]["sets"]["reuse"]
    by_task: dict[str, list[dict]] = {}
    for item in items:
        by_task.setdefault(item["task_id"], []).append(item)
    ordered = []
    for index, (_task, samples) in enumerate(by_task.items()):
        modes = ("reuse", "reset") if (index + rep) % 2 == 0 else ("reset", "reuse")
        for mode in modes:  # alternate which mode goes first, problem by problem
            ordered += [dict(item, mode=mode, reset=mode == "reset") for item in samples]
    job = {"model_path": ctx["prompts"]["model_path"], "context": ctx["args"].context,
           "threads": ctx["prompts"]["threads"], "items": ordered, "perf": True}
    result, wall = run_worker("generate", job, ctx["out"] / "runs" / "reuse" / f"rep{rep}",
                              ctx["args"].timeout)
    modes = {}
    for mode in ("reuse", "reset"):
        rs = [r for r in result["results"] if r["mode"] == mode]
        entry = {"calls": len(rs), "total_s": sum(r["latency_s"] for r in rs),
                 "tokens_out": sum(r["tokens_out"] for r in rs),
                 "prompt_tokens": sum(r["tokens_in"] for r in rs)}
        if all("prompt_eval_s" in r for r in rs):
            entry.update(prompt_eval_s=sum(r["prompt_eval_s"] for r in rs),
                         prompt_eval_tokens=sum(r["prompt_eval_tokens"] for r in rs),
                         eval_s=sum(r["eval_s"] for r in rs))
        entry["tok_s"] = entry["tokens_out"] / entry["total_s"]
        modes[mode] = entry
    texts = {mode: {(r["task_id"], r["sample"]): r["text"] for r in result["results"]
                    if r["mode"] == mode} for mode in ("reuse", "reset")}
    same = sum(1 for key, text in texts["reuse"].items() if texts["reset"].get(key) == text)
    saved = modes["reset"]["total_s"] - modes["reuse"]["total_s"]
    record = {"process_s": wall, "modes": modes, "texts_identical": same,
              "samples": len(texts["reuse"]), "saved_s": saved,
              "saved_ratio": saved / modes["reset"]["total_s"]}
    if "prompt_eval_s" in modes["reuse"]:
        record["prompt_eval_saved_s"] = (modes["reset"]["prompt_eval_s"]
                                         - modes["reuse"]["prompt_eval_s"])
    return record


# ----------------------------------------------------------------------------- report

def cpu_snapshot() -> dict:
    top = subprocess.run(["ps", "-eo", "pid,pcpu,etime,args", "--sort=-pcpu"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    lines = [line[:150] for line in top.strip().splitlines()[:6]]
    return {"loadavg": [round(x, 2) for x in os.getloadavg()], "top": lines}


def first_difference(a: str, b: str) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                min(len(a), len(b)))


def report_overhead(ctx: dict, direct: list[dict], crucible: list[dict],
                    alternating: list[dict]) -> dict:
    summary = overhead_summary(direct, crucible, alternating)
    print_overhead(ctx, summary, direct[-1], crucible[-1])
    return summary


def overhead_summary(direct: list[dict], crucible: list[dict], alternating: list[dict]) -> dict:
    """Part 1's medians and ratios, and how the last repetition's texts compare."""
    d_tok_s, c_model, c_phase = (median(direct, "tok_s"), median(crucible, "model_tok_s"),
                                 median(crucible, "phase_tok_s"))
    summary = {
        "direct": {key: round(median(direct, key), 3)
                   for key in ("process_s", "load_s", "gen_s", "calls_s", "tokens_out", "tok_s")},
        "crucible": {key: round(median(crucible, key), 3)
                     for key in ("process_s", "startup_s", "phase_s", "model_s", "tokens_out",
                                 "model_tok_s", "phase_tok_s", "process_tok_s")},
        "ratio_model": round(c_model / d_tok_s, 3), "ratio_phase": round(c_phase / d_tok_s, 3),
        "ratio_process": round(median(crucible, "process_tok_s")
                               / (median(direct, "tokens_out") / median(direct, "process_s")), 3),
    }
    if alternating:
        summary["direct_2threads"] = {key: round(median(alternating, key), 3)
                                      for key in ("process_s", "gen_s", "tokens_out", "tok_s")}
        summary["direct_2threads"]["ratio"] = round(median(alternating, "tok_s") / d_tok_s, 3)
        texts = alternating[-1]["texts"]
        summary["direct_2threads"]["texts_identical_to_direct"] = sum(
            texts[t] == direct[-1]["texts"][t] for t in texts)
        summary["direct_2threads"]["texts_identical_to_crucible"] = sum(
            texts[t] == crucible[-1]["texts"].get(t) for t in texts)
    summary["overhead_pct"] = round(100 * (1 - summary["ratio_phase"]), 1)
    summary["target_met"] = summary["ratio_phase"] >= TARGET_RATIO
    last_d, last_c = direct[-1], crucible[-1]
    matches = [t for t in last_d["texts"] if last_c["texts"].get(t) == last_d["texts"][t]]
    differing = [t for t in last_d["texts"] if t not in matches]
    summary["texts_identical"] = len(matches)
    summary["texts_differing"] = differing
    summary["request_mismatch"] = sorted({t for r in crucible for t in r["request_mismatch"]})
    for task in differing:
        a, b = last_d["texts"][task], last_c["texts"].get(task) or ""
        common = first_difference(a, b)
        summary.setdefault("first_difference", {})[task] = {
            "char": common, "direct": a[common:common + 60], "crucible": b[common:common + 60]}
    return summary


def print_overhead(ctx: dict, summary: dict, last_d: dict, last_c: dict) -> None:
    args = ctx["args"]
    k = len(ctx["prompts"]["sets"]["overhead"])
    say("")
    say(f"== 1. crucible run vs llama-cpp-python directly: {BENCHMARK} first {k} problems, greedy, "
        f"max_tokens {args.max_tokens}, median of {args.repeat}, {os.cpu_count()} CPUs, "
        f"{ctx['prompts']['threads']} model threads")
    say_header(f"{'path':<16}{'tokens':>8}{'time s':>9}{'tok/s':>8}{'vs direct':>11}"
               f"{'process s':>11}  what the time covers", rule_extra=40)
    print_overhead_rows(summary)
    say(f"  overhead of crucible's generation phase: {summary['overhead_pct']:.1f} % "
        f"(target < {100 * (1 - TARGET_RATIO):.0f} %, i.e. >= {TARGET_RATIO}x direct): "
        + ("MET" if summary["target_met"] else "NOT MET"))
    differing = summary["texts_differing"]
    say(f"  greedy texts identical, direct vs crucible: {summary['texts_identical']}/{k}"
        + (f" (differ: {', '.join(differing)})" if differing else ""))
    for task, diff in summary.get("first_difference", {}).items():
        say(f"    {task}: first difference at char {diff['char']}: direct {diff['direct']!r} | "
            f"crucible {diff['crucible']!r}")
    if "direct_2threads" in summary:
        s_a = summary["direct_2threads"]
        say(f"  direct 2 threads: texts identical to direct {s_a['texts_identical_to_direct']}/{k}, "
            f"to crucible {s_a['texts_identical_to_crucible']}/{k}")
    say("  requests crucible stored == requests the direct prompts came from: "
        + ("yes" if not summary["request_mismatch"]
           else f"NO for {', '.join(summary['request_mismatch'])}"))
    finishes = {}
    for reason in last_d["finish"].values():
        finishes[reason] = finishes.get(reason, 0) + 1
    say(f"  direct finish reasons: {finishes}; tokens in (prompts) {last_d['tokens_in']:,} direct, "
        f"{last_c['tokens_in']:,} crucible")


def print_overhead_rows(summary: dict) -> None:
    s_d, s_c = summary["direct"], summary["crucible"]
    say(f"{'direct':<16}{s_d['tokens_out']:>8.0f}{s_d['gen_s']:>9.1f}{s_d['tok_s']:>8.1f}"
        f"{1.0:>10.2f}x{s_d['process_s']:>11.1f}  create_completion loop; model load "
        f"{s_d['load_s']:.1f} s apart")
    say(f"{'crucible model':<16}{s_c['tokens_out']:>8.0f}{s_c['model_s']:>9.1f}"
        f"{s_c['model_tok_s']:>8.1f}{summary['ratio_model']:>10.2f}x{'':>11}  sum of attempts' "
        "latency_s (crucible's create_completion calls)")
    say(f"{'crucible phase':<16}{s_c['tokens_out']:>8.0f}{s_c['phase_s']:>9.1f}"
        f"{s_c['phase_tok_s']:>8.1f}{summary['ratio_phase']:>10.2f}x{s_c['process_s']:>11.1f}  "
        f"run created -> finished (generation + judging + store); start-up etc. "
        f"{s_c['startup_s']:.1f} s apart")
    if "direct_2threads" in summary:
        s_a = summary["direct_2threads"]
        say(f"{'direct 2 threads':<16}{s_a['tokens_out']:>8.0f}{s_a['gen_s']:>9.1f}"
            f"{s_a['tok_s']:>8.1f}{s_a['ratio']:>10.2f}x{s_a['process_s']:>11.1f}  the same loop, "
            "calls alternating between two Python threads (one at a time), as crucible's "
            "two strategy workers make them")
    say(f"{'whole processes':<16}{'':>8}{'':>9}{'':>8}{summary['ratio_process']:>10.2f}x{'':>11}  "
        f"tokens / process wall: direct {s_d['process_s']:.1f} s vs crucible "
        f"{s_c['process_s']:.1f} s")


def report_reuse(ctx: dict, records: list[dict]) -> dict:
    args = ctx["args"]
    modes = {}
    for mode in ("reuse", "reset"):
        keys = records[0]["modes"][mode].keys()
        modes[mode] = {key: round(statistics.median(r["modes"][mode][key] for r in records), 3)
                       for key in keys}
    summary = {"modes": modes, "saved_s": round(median(records, "saved_s"), 3),
               "saved_ratio": round(median(records, "saved_ratio"), 4),
               "texts_identical": records[-1]["texts_identical"],
               "samples": records[-1]["samples"]}
    if "prompt_eval_saved_s" in records[0]:
        summary["prompt_eval_saved_s"] = round(median(records, "prompt_eval_saved_s"), 3)
    say("")
    say(f"== 2. prompt reuse, n > 1: {args.reuse_problems} problems x {args.reuse_samples} samples, "
        f"temperature {args.reuse_temperature}, max_tokens {args.reuse_max_tokens}, crucible's "
        f"seeds, plain llama-cpp-python, median of {args.repeat}")
    say_header(f"{'mode':<8}{'calls':>6}{'tokens':>8}{'prompt tok':>12}{'evaluated':>11}"
               f"{'prompt s':>10}{'total s':>9}{'tok/s':>8}")
    for mode, label in (("reuse", "reuse"), ("reset", "reset")):
        m = modes[mode]
        say(f"{label:<8}{m['calls']:>6.0f}{m['tokens_out']:>8.0f}{m['prompt_tokens']:>12.0f}"
            f"{m.get('prompt_eval_tokens', float('nan')):>11.0f}"
            f"{m.get('prompt_eval_s', float('nan')):>10.2f}{m['total_s']:>9.2f}{m['tok_s']:>8.1f}")
    say("  reuse = consecutive calls keep the processed prompt (llama-cpp-python's default, what "
        "crucible relies on); reset = llm.reset() before every call")
    say(f"  saved by reuse: {summary['saved_s']:.2f} s of {modes['reset']['total_s']:.2f} s = "
        f"{100 * summary['saved_ratio']:.1f} % of the reset total"
        + (f" (llama.cpp's prompt-eval timer: {summary['prompt_eval_saved_s']:.2f} s less)"
           if "prompt_eval_saved_s" in summary else ""))
    per = summary["saved_s"] / max(1, args.reuse_problems * (args.reuse_samples - 1))
    summary["saved_per_reused_sample_s"] = round(per, 3)
    say(f"  = {per:.2f} s per sample after a problem's first; texts identical between modes "
        f"(same seeds): {summary['texts_identical']}/{summary['samples']}")
    say("  'evaluated' = tokens llama.cpp decoded in multi-token batches (the prompt, or the part "
        "of it not kept); 'prompt s' its time")
    return summary


def report_projection(ctx: dict, summary: dict) -> dict:
    """Part 2's saving per sample against part 1's answer lengths: what reuse is worth for a
    problem's n samples when answers are as long as greedy ones at --max-tokens."""
    args, d, r = ctx["args"], summary["overhead"]["direct"], summary["reuse"]
    per_answer_s = d["gen_s"] / len(ctx["prompts"]["sets"]["overhead"])
    n = args.reuse_samples
    ratio = (n - 1) * r["saved_per_reused_sample_s"] / (n * per_answer_s)
    say(f"  at part 1's answer lengths ({d['tokens_out'] / len(ctx['prompts']['sets']['overhead']):.0f}"
        f" tokens, {per_answer_s:.1f} s per answer, max_tokens {args.max_tokens}) reuse saves "
        f"about {100 * ratio:.1f} % of a problem's n={n} time")
    return {"per_answer_s": round(per_answer_s, 3), "n": n, "saved_ratio": round(ratio, 4)}


# ----------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main(*args.worker)
    if min(args.problems, args.repeat, args.reuse_problems, args.reuse_samples) < 1:
        parser.error("--problems, --repeat, --reuse-problems and --reuse-samples must be >= 1")
    args.out_dir = args.out_dir.resolve()
    args.data_dir = args.data_dir.resolve()
    args.crucible = args.crucible.absolute()
    out = args.out_dir / "gen_speed"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    parts = [args.only] if args.only else ["overhead", "reuse"]

    before = cpu_snapshot()
    say_host(before)
    started = time.perf_counter()
    prompts = make_prompts(args, parts, out)
    ctx = {"args": args, "out": out, "prompts": prompts}
    records = measure(ctx, parts)
    summary = report(ctx, records)
    after = cpu_snapshot()
    say("")
    say(f"total {time.perf_counter() - started:.0f} s; load average before {before['loadavg']}, "
        f"after {after['loadavg']}; llama-cpp-python "
        f"{(records['direct'] or [{}])[0].get('llama_cpp_version', '?')}")
    write_result(args, prompts, records, summary, before, after)
    write_log(args.out_dir / "gen_speed.txt")
    say(f"\nwrote {args.out_dir / 'gen_speed.json'}, {args.out_dir / 'gen_speed.txt'}, {out}/")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    parser.add_argument("--problems", type=int, default=10,
                        help="first K HumanEval problems for part 1 (default 10)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="repetitions of each measurement; medians are reported (default 1)")
    parser.add_argument("--max-tokens", type=int, default=512, help="part 1 (default 512)")
    parser.add_argument("--reuse-problems", type=int, default=3, help="part 2 (default 3)")
    parser.add_argument("--reuse-samples", type=int, default=5, help="part 2, n (default 5)")
    parser.add_argument("--reuse-temperature", type=float, default=0.8, help="part 2 (default 0.8)")
    parser.add_argument("--reuse-max-tokens", type=int, default=64,
                        help="part 2 (default 64; the saving is prompt time, the same for any "
                             "answer length, so short answers keep the run short)")
    parser.add_argument("--alternating", action="store_true",
                        help="part 1 also runs the direct loop with its calls alternating between "
                             "two Python threads (one call at a time), as crucible's two strategy "
                             "workers make them: llama.cpp built with OpenMP keeps one thread "
                             "team per calling thread, and more team threads than cores makes "
                             "libgomp stop spinning at barriers (adds ~2 min)")
    parser.add_argument("--only", choices=("overhead", "reuse"), help="run one part only")
    parser.add_argument("--model", default="qwen2.5-coder-0.5b", help="embedded model name")
    parser.add_argument("--context", type=int, default=4096, help="n_ctx (crucible's default)")
    parser.add_argument("--out-dir", type=Path, default=PERF / "out")
    add_data_dir(parser)
    parser.add_argument("--crucible", type=Path, default=CRUCIBLE_DEFAULT,
                        help=f"the crucible executable (default {CRUCIBLE_DEFAULT})")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per subprocess")
    parser.add_argument("--worker", nargs=3, metavar=("KIND", "JOB", "OUT"),
                        help=argparse.SUPPRESS)
    return parser


def worker_main(kind: str, job: str, out: str) -> int:
    """``--worker KIND JOB OUT``: one worker's job from a file, its result to another."""
    result = WORKERS[kind](json.loads(Path(job).read_text()))
    Path(out).write_text(json.dumps(result, indent=1) + "\n")
    return 0


def say_host(before: dict) -> None:
    say(host_line("gen_speed", f", load average {before['loadavg']}"))
    if before["loadavg"][0] > 0.5 * (os.cpu_count() or 1):
        say("  WARNING: the machine is busy before the start; busiest processes:")
        for line in before["top"]:
            say(f"    {line}")


def make_prompts(args, parts: list[str], out: Path) -> dict:
    """The requests and prompt texts of each part, made by crucible's code in a worker."""
    sets = {"overhead": {"problems": args.problems, "n": 1, "temperature": 0.0, "top_p": 0.95,
                         "max_tokens": args.max_tokens, "seed": 0},
            "reuse": {"problems": args.reuse_problems, "n": args.reuse_samples,
                      "temperature": args.reuse_temperature, "top_p": 0.95,
                      "max_tokens": args.reuse_max_tokens, "seed": 0}}
    prompts, prompts_s = run_worker("prompts", {"model": args.model, "context": args.context,
                                                "data_dir": str(args.data_dir),
                                                "sets": {p: sets[p] for p in parts}},
                                    out / "prompts", args.timeout)
    say(f"prompts: made by crucible's code in {prompts_s:.1f} s (chat={prompts['chat']}, "
        f"model {prompts['model_path']})")
    return prompts


def measure(ctx: dict, parts: list[str]) -> dict[str, list[dict]]:
    """Every measurement ``--repeat`` times: direct, crucible (and direct from two threads)
    in alternating order, then reuse; the records of each."""
    args = ctx["args"]
    records: dict[str, list[dict]] = {"direct": [], "crucible": [], "alternating": [],
                                      "reuse": []}
    for rep in range(args.repeat):
        steps = []
        if "overhead" in parts:
            steps += [("direct", "direct", run_direct), ("crucible", "crucible", run_crucible)]
            if args.alternating:
                steps.append(("direct, 2 threads", "alternating",
                              lambda c, r: run_direct(c, r, alternate=True)))
            if rep % 2:
                steps.reverse()  # alternate which one goes first
        if "reuse" in parts:
            steps.append(("reuse", "reuse", run_reuse))
        for name, kind, function in steps:
            say(f"-- rep {rep + 1}/{args.repeat}: {name} ...")
            record = function(ctx, rep)
            records[kind].append(record)
            say(f"   process {record['process_s']:.1f} s")
    return records


def report(ctx: dict, records: dict[str, list[dict]]) -> dict:
    summary: dict = {}
    if records["direct"]:
        summary["overhead"] = report_overhead(ctx, records["direct"], records["crucible"],
                                              records["alternating"])
    if records["reuse"]:
        summary["reuse"] = report_reuse(ctx, records["reuse"])
    if records["direct"] and records["reuse"]:
        summary["reuse"]["projected"] = report_projection(ctx, summary)
    return summary


def write_result(args, prompts: dict, records: dict[str, list[dict]], summary: dict,
                 before: dict, after: dict) -> None:
    """perf/out/gen_speed.json: the settings, the machine's load, the summary, every run."""
    strip = ("texts", "finish", "log_tail")
    direct, crucible, alternating = (records["direct"], records["crucible"],
                                     records["alternating"])
    result = {
        "date": timestamp(), "host": platform.node(),
        "cpus": os.cpu_count(), "python": platform.python_version(),
        "model": args.model, "model_describe": prompts["describe"],
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                     if k != "worker"},
        "cpu_before": before, "cpu_after": after, "summary": summary,
        "runs": {"direct": [{k: v for k, v in r.items() if k not in strip} for r in direct],
                 "crucible": [{k: v for k, v in r.items() if k not in strip} for r in crucible],
                 "direct_2threads": [{k: v for k, v in r.items() if k not in strip}
                                     for r in alternating],
                 "reuse": records["reuse"]},
        "texts": {"direct": direct[-1]["texts"] if direct else {},
                  "crucible": crucible[-1]["texts"] if crucible else {},
                  "direct_2threads": alternating[-1]["texts"] if alternating else {}},
    }
    (args.out_dir / "gen_speed.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
