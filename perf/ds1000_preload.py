#!/usr/bin/env python3
"""DS-1000 execution cost: fork servers that preload the problems' libraries against servers
that import them in every program (what a plain subprocess-per-program harness pays).

Runs every reference solution of the chosen libraries in the sandbox (the candidate's side of
the problem: inputs and run, results sent back as data; reference solutions, so on reference
servers), both ways, in one process on one machine, and prints wall time, per-program mean
and the ratio.
Usage: .venv/bin/python perf/ds1000_preload.py [--libraries Pandas,Tensorflow] [--limit N]
(CRUCIBLE_DATA_DIR must point at the data, as in ../shared/datasets).
"""

from __future__ import annotations

import argparse
import json
import os
import time

from codecrucible import benchmarks
from codecrucible.benchmarks.data import resolve_data_dir
from codecrucible.correctness import checking
from codecrucible.sandbox import REFERENCES, SandboxConfig, SandboxPool, reference_job

LIMITS = {"wall_s": 120, "load_s": 120, "cpu_s": 120, "memory_mb": 2048}


def run(problems, config: SandboxConfig) -> tuple[float, float, int]:
    jobs = [(p, reference_job(checking.values_job(p, LIMITS, code=p.reference)))
            for p in problems]
    started = time.perf_counter()
    with SandboxPool(None, config, role=REFERENCES) as pool:
        ready = time.perf_counter()
        ran = sum(1 for p, result in pool.imap(jobs)  # every case ran to its result
                  if len(result.get("frames", [])) == p.metadata["cases"]
                  and all(json.loads(line)[2] is None for line in result["frames"]))
    done = time.perf_counter()
    return ready - started, done - ready, ran


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--libraries", default="Pandas,Numpy,Sklearn,Tensorflow")
    parser.add_argument("--limit", type=int, default=30, help="problems per library")
    args = parser.parse_args()
    wanted = args.libraries.split(",")
    chosen = []
    for library in wanted:
        found = [p for p in benchmarks.get("ds1000").load(resolve_data_dir())
                 if p.metadata["library"] == library]
        chosen += [p for p in found if not benchmarks.unavailable([p])
                   and not p.metadata["unjudgeable"]][:args.limit]
    preloaded = benchmarks.sandbox_config(chosen)
    plain = SandboxConfig(read_only=preloaded.read_only)  # same filesystem view, no preload
    print(f"{len(chosen)} reference solutions ({', '.join(wanted)}), {os.cpu_count()} CPUs")
    rows = {}
    for name, config in (("imports per program", plain), ("preloaded servers", preloaded)):
        start_s, run_s, ran = run(chosen, config)
        rows[name] = run_s
        print(f"{name:22s} servers up {start_s:6.1f} s   programs {run_s:7.1f} s "
              f"({1000 * run_s / len(chosen):6.0f} ms each)   ran {ran}/{len(chosen)}")
    print(f"preloading is {rows['imports per program'] / rows['preloaded servers']:.1f}x "
          "faster per program (server start-up apart)")


if __name__ == "__main__":
    main()
