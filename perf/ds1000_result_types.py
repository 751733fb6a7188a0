#!/usr/bin/env python3
"""What DS-1000's reference solutions return: the type of every test case's ``result``.

Runs each reference solution on the candidate's side of the split (``ds1000_split``: inputs
and run, no answer key) in the sandbox, on a reference pool, and counts the results' types
(with dtypes, and the element types of containers), which is what the result encoding
(``sandbox/datawire.py``) must carry. Usage:
.venv/bin/python perf/ds1000_result_types.py [--libraries Pandas,Numpy] [--limit N] [--details]
(CRUCIBLE_DATA_DIR must point at the data, as in ../shared/datasets).
"""

from __future__ import annotations

import argparse
import collections
import json

from codecrucible import benchmarks
from codecrucible.benchmarks.data import resolve_data_dir
from codecrucible.sandbox import REFERENCES, SandboxPool, reference_job

LIMITS = {"wall_s": 300, "load_s": 300, "cpu_s": 300, "memory_mb": 2048}
# Runs in the sandbox, before the split context: the hooks the split loop calls.
PRELUDE = r'''
import json as _json, os as _os, sys as _sys
from codecrucible.sandbox.checked import seed as __crucible_seed__

def _describe(v, depth=0):
    kind = type(v)
    name = f"{kind.__module__}.{kind.__qualname__}".replace("builtins.", "")
    if depth > 3:
        return name
    if hasattr(v, "dtypes") and hasattr(v, "columns"):
        dtypes = sorted({str(d) for d in v.dtypes})
        return (f"{name}[{','.join(dtypes)}; index {type(v.index).__name__}; "
                f"columns {type(v.columns).__name__}]")
    if hasattr(v, "dtype") and hasattr(v, "shape"):
        extra = f"; index {type(v.index).__name__}" if hasattr(v, "index") else ""
        if str(getattr(v, "dtype", "")) == "object" and hasattr(v, "ravel"):
            inner = sorted({_describe(x, depth + 1) for x in list(v.ravel())[:50]})
            return f"{name}[object of {'|'.join(inner)}{extra}]"
        return f"{name}[{v.dtype}{extra}]"
    if kind in (list, tuple, set, frozenset):
        inner = sorted({_describe(x, depth + 1) for x in list(v)[:50]})
        return f"{name}[{'|'.join(inner)}]"
    if kind is dict:
        keys = sorted({_describe(x, depth + 1) for x in list(v)[:50]})
        values = sorted({_describe(x, depth + 1) for x in list(v.values())[:50]})
        return f"dict[{'|'.join(keys)} -> {'|'.join(values)}]"
    return name

def __crucible_answer__(i, env):
    described = _describe(env["result"]) if "result" in env else "<no result>"
    _os.write(3, (_json.dumps([i, described]) + "\n").encode())
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--libraries", default="")
    parser.add_argument("--limit", type=int, default=0, help="problems per library (0: all)")
    parser.add_argument("--details", action="store_true", help="one line per problem")
    args = parser.parse_args()
    problems = [p for p in benchmarks.get("ds1000").load(resolve_data_dir())
                if not args.libraries or p.metadata["library"] in args.libraries.split(",")]
    problems = [p for p in problems if not benchmarks.unavailable([p]) and p.harness]
    if args.limit:
        seen: collections.Counter = collections.Counter()
        problems = [p for p in problems
                    if (seen.update([p.metadata["library"]]) or True)
                    and seen[p.metadata["library"]] <= args.limit]
    jobs = []
    for p in problems:
        code = PRELUDE + p.program({"solution": p.reference})
        jobs.append((p, reference_job({"kind": "script", "code": code, "limits": LIMITS})))
    counts: collections.Counter = collections.Counter()
    failed = []
    with SandboxPool(None, benchmarks.sandbox_config(problems), role=REFERENCES) as pool:
        for problem, result in pool.imap(jobs):
            frames = [json.loads(line) for line in result.get("frames", [])]
            for _, described in frames:
                counts[(problem.metadata["library"], described)] += 1
            if result.get("exit") != 0 or not frames:
                tail = (result.get("stderr") or "").strip().splitlines()[-1:] or ["?"]
                failed.append(f"{problem.task_id}: {tail[0][:150]}")
            if args.details:
                print(problem.task_id, [d for _, d in frames])
    print(f"{len(problems)} references, {sum(counts.values())} test cases")
    for (library, described), n in sorted(counts.items()):
        print(f"{n:5d}  {library:10s}  {described}")
    print(f"{len(failed)} references failed on the candidate's side:")
    for line in failed:
        print("  " + line)


if __name__ == "__main__":
    main()
