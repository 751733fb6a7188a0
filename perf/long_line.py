#!/usr/bin/env python3
"""What one very long answer line costs the harness: time and the harness's peak memory.

A ``calls`` candidate writes one line of ``--mb`` megabytes (default 50) to the answer channel.
The harness (this process) runs it on a one-slot pool and reports how long the job took and by
how much its own peak RSS grew. Run it with the project's venv, once per checkout to compare:

    .venv/bin/python perf/long_line.py                  # the default line cap applies
    .venv/bin/python perf/long_line.py --line-mb 64     # let the whole line through

``--line-mb`` sets the job's ``line_bytes`` limit (a checkout without that limit ignores it).
"""

from __future__ import annotations

import argparse
import json
import resource
import time

from codecrucible.sandbox import SandboxPool

CODE = """
import os
def f(x):
    os.write(3, b"[0," + b"9" * ({mb} << 20) + b",null,null]\\n")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=50, help="length of the line, MiB")
    parser.add_argument("--line-mb", type=int, default=None, help="the job's line_bytes, MiB")
    args = parser.parse_args()
    limits = {"wall_s": 600, "load_s": 600, "cpu_s": 600, "memory_mb": 4096,
              "result_bytes": 256 << 20}
    if args.line_mb is not None:
        limits["line_bytes"] = args.line_mb << 20
    job = {"kind": "calls", "code": CODE.format(mb=args.mb), "entry": "f",
           "tests": ['{"t":[1]}'], "test_limits": [600.0], "limits": limits}
    with SandboxPool(1) as pool:
        pool.run({**job, "code": "def f(x):\n    return 1\n"})  # warm up
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        result = pool.run(job)
        seconds = time.perf_counter() - started
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    print(json.dumps({"line_mb": args.mb, "line_bytes_limit": limits.get("line_bytes"),
                      "seconds": round(seconds, 2), "harness_peak_rss_growth_mb": grown >> 10,
                      "lines_received": len(result["frames"]),
                      "received_mb": round(sum(map(len, result["frames"])) / (1 << 20), 1),
                      "output_capped": result["output_capped"],
                      "timed_out": result["timed_out"]}))


if __name__ == "__main__":
    main()
