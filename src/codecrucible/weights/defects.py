"""An execution-labelled defect-detection set: correct programs and mutants that really fail.

For each HumanEval / MBPP problem, its reference solution (normalised, ``mutants.normalise``)
is a clean sample, and each mutation operator makes at most one mutant of it. Every program
runs in the sandbox through the referee against the problem's calibrated tests (no program
runs in this process): a reference that does not pass drops its problem, and a mutant is kept
as buggy only if it fails (a wrong answer, an exception, a timeout, too much memory or
output); a mutant that passes is an equivalent mutant and is dropped.

Labelling costs sandbox time once: each problem's samples are appended to a JSONL file as soon
as its programs are judged, so an interrupted build resumes with the problems not yet done.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from codecrucible import benchmarks
from codecrucible.correctness import calibrate
from codecrucible.correctness.expected import TimeLimits
from codecrucible.correctness.referee import Referee
from codecrucible.records import Problem, Status
from codecrucible.sandbox import REFERENCES, executor
from codecrucible.weights.mutants import OPERATORS, mutate, normalise
from codecrucible.weights.poison import stable_seed

CLEAN = "clean"
# Failures that the program causes; a killed run or no code says nothing about the mutant.
REAL_FAILURES = {Status.FAILED, Status.ERROR, Status.TIMEOUT, Status.MEMORY,
                 Status.OUTPUT_LIMIT}


@dataclass(frozen=True)
class Sample:
    id: str          # task id, and ":operator" for a mutant
    task: str
    kind: str        # "clean" or the mutation operator
    text: str        # the normalised program
    status: str      # the sandbox's verdict on it

    @property
    def buggy(self) -> bool:
        return self.kind != CLEAN


@dataclass
class Progress:
    """Callbacks for a progress display: the problems in all and those labelled before, then
    each problem as it is labelled."""

    started: Callable[[int, int], None] = lambda total, before: None
    labelled: Callable[[], None] = lambda: None


def candidates(problem: Problem) -> list[Sample] | None:
    """The problem's clean program and one mutant per operator that applies, not yet run;
    None where the reference does not parse."""
    try:
        clean = normalise(problem.reference)
    except (SyntaxError, ValueError):
        return None
    made = [Sample(problem.task_id, problem.task_id, CLEAN, clean, "")]
    for operator in OPERATORS:
        mutant = mutate(clean, operator, stable_seed(problem.task_id, operator))
        if mutant is not None:
            made.append(Sample(f"{problem.task_id}:{operator}", problem.task_id, operator,
                               mutant, ""))
    return made


def labelled(samples: list[Sample], statuses: list[Status]) -> list[Sample]:
    """The samples the sandbox confirms: a passing clean program, failing mutants; none at
    all when the clean program fails (the problem's tests cannot tell bugs apart)."""
    judged = [Sample(s.id, s.task, s.kind, s.text, status.value)
              for s, status in zip(samples, statuses, strict=True)]
    if judged[0].status != Status.PASSED.value:
        return []
    return [judged[0]] + [s for s in judged[1:] if Status(s.status) in REAL_FAILURES]


def read_set(path: Path) -> dict[str, list[Sample]]:
    """Each labelled problem's samples; a half-written last line (a killed build) is ignored."""
    done: dict[str, list[Sample]] = {}
    if not path.exists():
        return done
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        done[record["task"]] = [Sample(**s) for s in record["samples"]]
    return done


def build(benchmark_names: list[str], data_dir: Path | None, per_benchmark: int | None,
          path: Path, jobs: int = 2, progress: Progress | None = None) -> list[Sample]:
    """The labelled set of the first ``per_benchmark`` problems of each benchmark (all: None),
    from ``path`` where already labelled."""
    progress = progress or Progress()
    problems = []
    for name in benchmark_names:
        loaded = benchmarks.get(name).load(data_dir)
        missing = benchmarks.unavailable(loaded)   # problems needing modules not installed
        runnable = [p for p in loaded if p.task_id not in missing]
        problems.append((name, runnable[:per_benchmark] if per_benchmark else runnable))
    done = read_set(path)
    total = sum(len(ps) for _, ps in problems)
    progress.started(total, sum(p.task_id in done for _, ps in problems for p in ps))
    path.parent.mkdir(parents=True, exist_ok=True)
    for name, chosen in problems:
        todo = [p for p in chosen if p.task_id not in done]
        if todo:
            _label(name, todo, path, jobs, progress.labelled)
    done = read_set(path)
    return [s for _, ps in problems for p in ps for s in done.get(p.task_id, [])]


def _label(name: str, problems: list[Problem], path: Path, jobs: int,
           on_problem: Callable[[], None]) -> None:
    bench = benchmarks.get(name)
    sandbox = benchmarks.sandbox_config(problems)
    pools = executor("local")
    with pools(1, sandbox, role=REFERENCES, lazy=True) as references, \
            pools(jobs, sandbox) as pool, open(path, "a") as out:
        data_key = calibrate.data_key(*(spec.sha256 for spec in bench.files))
        tests = calibrate.calibrate(problems, references, data_key)
        judgeable = {p.task_id: p for p in problems if not tests[p.task_id].error}
        referee = Referee(judgeable, {t: tests[t] for t in judgeable}, pool, TimeLimits(),
                          references=references)
        try:
            made = {task: candidates(p) or [] for task, p in judgeable.items()}
            futures = {task: [referee.submit(task, {"solution": s.text}) for s in samples]
                       for task, samples in made.items()}
            for problem in problems:
                task = problem.task_id
                samples = made.get(task, [])
                statuses = [_status(f.result()) for f in futures.get(task, [])]
                kept = labelled(samples, statuses) if samples else []
                out.write(json.dumps({"task": task, "samples": [asdict(s) for s in kept]})
                          + "\n")
                out.flush()
                on_problem()
        except BaseException:
            referee.close(wait=False)
            raise
        referee.close()


def _status(verdicts: dict) -> Status:
    """The first suite that did not pass decides; all passed: passed."""
    for verdict in verdicts.values():
        if not verdict.passed:
            return verdict.status
    return Status.PASSED
