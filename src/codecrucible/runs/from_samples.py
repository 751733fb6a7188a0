"""``crucible eval``: judge a sample file on a benchmark, resumably.

Samples are matched to problems, the problems' tests are calibrated (cached), and every sample
goes to the referee (``correctness/referee.py``, the one path to a verdict), which runs it once
in the sandbox against all suites; each batch of verdicts is committed as it arrives. Each
distinct program of a task is run once: its copies share its verdicts, and their rows say so
(``shared_from``: the sample judged), unless ``dedupe`` is off. A problem
judged by its benchmark's own checker (DS-1000) is judged on the reference pool from the
results the sample's run sent back (``checking.py``), while the next samples run. ``resume``
picks up the latest run with the same inputs and configuration and judges only what it lacks.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from concurrent.futures import as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from codecrucible import benchmarks
from codecrucible.benchmarks.data import DataError
from codecrucible.correctness import calibrate, checking
from codecrucible.correctness.expected import TaskTests, TimeLimits
from codecrucible.correctness.referee import Referee
from codecrucible.files import sha256_of
from codecrucible.records import Verdict
from codecrucible.runs.fingerprint import fingerprint
from codecrucible.runs.samples import Sample, SampleError, read_samples
from codecrucible.sandbox import REFERENCES, SandboxPool, executor
from codecrucible.store import Store

_BATCH_SECONDS = 0.5
_BATCH_SIZE = 64
NO_CODE = "the sample holds no code"


@dataclass(frozen=True)
class EvalConfig:
    benchmark: str
    samples: str
    samples_sha256: str
    limits: TimeLimits = field(default_factory=TimeLimits)
    memory_mb: int = 1024
    all_tests: bool = False
    dedupe: bool = True

    def key(self) -> str:
        fields = asdict(self)
        if fields["dedupe"]:  # the default: runs made before the option keep their key
            del fields["dedupe"]
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


@dataclass
class Progress:
    """Callbacks for a front end; all optional."""

    phase: Callable[[str, int], None] = lambda name, total: None
    advance: Callable[[bool], None] = lambda passed: None


@dataclass(frozen=True)
class EvalResult:
    run_id: str
    resumed: bool
    judged_now: int
    already_judged: int
    unjudgeable: dict[str, str]
    skipped: dict[str, str] = field(default_factory=dict)  # task -> missing modules
    shared: int = 0  # of those judged now, copies that shared an earlier sample's verdicts
    executed: int = 0  # programs run in the sandbox now


def evaluate(samples_path: Path, benchmark_name: str, store: Store, *,
             data_dir: Path | None = None, resume: bool = False,
             limits: TimeLimits = TimeLimits(), memory_mb: int = 1024, slots: int | None = None,
             all_tests: bool = False, dedupe: bool = True, progress: Progress | None = None
             ) -> EvalResult:
    """Referee every sample in ``samples_path``; see the module docstring.

    A sample's run stops at its first wrong answer unless ``all_tests`` is set, in which case
    every test runs and ``tests_passed`` counts them all. ``dedupe`` runs each distinct
    program once (``correctness/distinct.py``).
    """
    progress = progress or Progress()
    samples = read_samples(samples_path)
    bench = benchmarks.get(benchmark_name)
    problems = {p.task_id: p for p in bench.load(data_dir)}
    unknown = sorted({s.task_id for s in samples} - problems.keys())
    if unknown:
        raise SampleError(f"{samples_path}: {len(unknown)} task ids are not in {bench.name} "
                          f"(first: {', '.join(unknown[:3])})")
    config = EvalConfig(bench.name, str(samples_path.resolve()), sha256_of(samples_path),
                        limits, memory_mb, all_tests, dedupe)
    used = [problems[t] for t in sorted({s.task_id for s in samples})]
    skipped = benchmarks.unavailable(used)  # a module they need is missing: not scored
    samples = [s for s in samples if s.task_id not in skipped]
    used = [p for p in used if p.task_id not in skipped]
    run = store.latest_run(config.key()) if resume else None
    if resume and run is None:
        raise SampleError(f"nothing to resume: no earlier run of {samples_path} on {bench.name} "
                          f"with these settings in {store.path}")

    sandbox = benchmarks.sandbox_config(used)
    pools = executor("local")
    with pools(slots, sandbox, role=REFERENCES, lazy=True) as references:
        progress.phase("calibrating", len(used))
        tests = calibrate.calibrate(used, references, _data_key(bench),
                                    on_done=lambda _: progress.advance(True))
        # A task whose reference fails here (a library's API changed under DS-1000, say)
        # cannot be judged: its samples are left out of the scores and reported instead.
        unjudgeable = {task: t.error for task, t in tests.items() if t.error}
        samples = [s for s in samples if s.task_id not in unjudgeable]
        checked = any(checking.is_checked(problems[s.task_id]) for s in samples)
        if not checked:
            references.close()  # its servers held expected answers: gone before judging
        with pools(slots, sandbox) as pool:
            if run is None:
                environment = fingerprint(pool.layers) | {
                    "data_sha256": _data_key(bench), "time_limits": asdict(limits),
                    "skipped": skipped, "unjudgeable": unjudgeable,
                    "groups": benchmarks.groups_of([p for p in used
                                                    if p.task_id not in unjudgeable])}
                run_id = store.create_run("eval", bench.name, config.key(), asdict(config),
                                          environment)
            else:
                run_id = run["id"]
            judged_now, already, shared, executed = _judge(samples, problems, tests, pool,
                                                 references if checked else None, store,
                                                 run_id, config, progress)
    store.finish_run(run_id)
    return EvalResult(run_id, run is not None, judged_now, already, unjudgeable, skipped, shared,
                      executed)


def _judge(samples: list[Sample], problems: dict, tests: dict[str, TaskTests],
           pool: SandboxPool, references: SandboxPool | None, store: Store, run_id: str,
           config: EvalConfig, progress: Progress) -> tuple[int, int, int, int]:
    """Referee the samples the run lacks; (judged now, judged before, copies among those
    judged now that shared an earlier sample's verdicts, programs run)."""
    done = store.judged(run_id)
    pending = [s for s in samples if (s.task_id, s.index) not in done]
    store.add_samples(run_id, ((s.task_id, s.index, s.raw(), problems[s.task_id].program(
        s.fields)) for s in pending))
    progress.phase("judging", len(pending))
    writer = _BatchWriter(store, run_id)
    referee = Referee(problems, tests, pool, config.limits, config.memory_mb, references,
                      fail_fast=not config.all_tests, no_code=NO_CODE, dedupe=config.dedupe)
    try:
        futures = {referee.submit(s.task_id, s.fields, (s.task_id, s.index)): s
                   for s in pending}
        for future in as_completed(futures):
            by_suite = future.result()
            sample = futures[future]
            original = referee.shared_from.get((sample.task_id, sample.index))
            writer.add(sample, by_suite, None if original is None else original[1])
            progress.advance(all(v.passed for v in by_suite.values()))
    except BaseException:
        referee.close(wait=False)  # Ctrl-C: what is still being judged is judged on resume
        raise
    finally:
        writer.flush()  # on Ctrl-C too: every verdict judged so far is kept
    referee.close()
    return len(pending), len(done), referee.shared, referee.executed


def _data_key(bench) -> str:
    return calibrate.data_key(*(spec.sha256 for spec in bench.files))


class _BatchWriter:
    """Commits verdicts in batches: every 64 samples or half a second, whichever comes first."""

    def __init__(self, store: Store, run_id: str):
        self.store, self.run_id = store, run_id
        self.buffer: list[tuple[str, int, dict[str, Verdict], int | None]] = []
        self.last = time.monotonic()

    def add(self, sample: Sample, by_suite: dict[str, Verdict], shared_from: int | None
            ) -> None:
        self.buffer.append((sample.task_id, sample.index, by_suite, shared_from))
        if len(self.buffer) >= _BATCH_SIZE or time.monotonic() - self.last > _BATCH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.store.add_verdicts(self.run_id, self.buffer)
            self.buffer.clear()
        self.last = time.monotonic()


__all__ = ["DataError", "EvalResult", "Progress", "SampleError", "evaluate"]
