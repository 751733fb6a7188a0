"""``crucible run``: a model, a strategy and a benchmark, end to end, resumably.

Generation and execution are pipelined: worker threads ask the model for a problem's samples
and hand each answer to the referee (the sandbox pool, in its own thread), so the sandbox runs
finished candidates while the model writes the next ones. Every candidate is committed with its
attempts and verdicts as soon as it is judged, and a search's programs one by one as they come
(``runs.journal``); ``resume`` redoes only the samples without a verdict, a search continuing
from the programs it had finished, and the response cache makes any answer already generated
free.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

from codecrucible import benchmarks, judges, strategies
from codecrucible.benchmarks.data import DataError
from codecrucible.correctness import calibrate
from codecrucible.correctness.expected import TimeLimits
from codecrucible.correctness.referee import Referee
from codecrucible.judges import Program, Setting, cost
from codecrucible.models import (
    CALL_TIMEOUT_S,
    DEFAULT_MODEL,
    TIMEOUTS_IN_A_ROW,
    ModelError,
    ModelOptions,
    open_models,
)
from codecrucible.records import Attempt, Candidate, Problem
from codecrucible.runs.fingerprint import fingerprint
from codecrucible.runs.journal import StoreJournal
from codecrucible.sandbox import REFERENCES, executor
from codecrucible.store import Store, StoreError
from codecrucible.strategies import Budget, Context, Sampling, Strategy


class RunError(RuntimeError):
    """A run that cannot start or resume, with the reason."""


class RunStopped(RunError):
    """A run its model stopped part-way (a server that keeps failing, calls that keep timing
    out); what it judged is stored, and ``run_id`` resumes it."""

    def __init__(self, run_id: str, why: str):
        super().__init__(why)
        self.run_id = run_id


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run; carries the id to resume."""

    def __init__(self, run_id: str):
        super().__init__(run_id)
        self.run_id = run_id


@dataclass(frozen=True)
class RunConfig:
    """What a run is. ``model`` is its model; a run of several (``-m A -m B``) names them all
    in ``models``, the first also in ``model``, and trial k goes to model k mod M."""

    model: str = DEFAULT_MODEL
    benchmark: str = "humaneval"
    strategy: str = "single"
    sampling: Sampling = field(default_factory=Sampling)
    budget: Budget = field(default_factory=Budget)
    model_options: ModelOptions = field(default_factory=ModelOptions)
    limits: TimeLimits = field(default_factory=TimeLimits)
    memory_mb: int = 1024
    tasks: tuple[str, ...] = ()     # a subset of the benchmark's task ids; empty means all
    limit: int | None = None        # only the first N problems
    libraries: tuple[str, ...] = ()  # DS-1000: only these libraries' problems; empty means all
    judges: tuple[str, ...] = ()    # judges beyond correctness, on every final candidate
    dedupe: bool = True             # a task's identical programs are run once, their verdict shared
    models: tuple[str, ...] = ()    # several models (two or more); empty for one, ``model``
    diffs: bool = False             # a search asks for SEARCH/REPLACE edits, not whole programs

    @property
    def members(self) -> tuple[str, ...]:
        """The run's models: ``models``, or ``model`` alone."""
        return self.models or (self.model,)

    def check(self) -> None:
        if self.sampling.n < 1:
            raise RunError("--samples must be at least 1")
        if self.limit is not None and self.limit < 1:
            raise RunError(f"--limit must be at least 1 (got {self.limit}); leave it out to "
                           "run every problem")
        if self.sampling.temperature == 0 and self.sampling.n > len(self.members):
            alone = "of a model " if len(self.members) > 1 else ""
            raise RunError(f"temperature 0 is greedy decoding: all {self.sampling.n} samples "
                           f"{alone}would be identical; use -n {len(self.members)}, or a "
                           "temperature above 0")
        if self.strategy not in strategies.names():
            raise RunError(f"unknown strategy {self.strategy!r} "
                           f"(known: {', '.join(strategies.names())})")
        check_strategy(self, ())
        if self.diffs and not hasattr(strategies.get(self.strategy), "with_diffs"):
            editing = [n for n in strategies.names() if hasattr(strategies.get(n), "with_diffs")]
            raise RunError(f"--diffs: strategy {self.strategy!r} asks for whole programs only; "
                           f"diffs apply to {', '.join(editing)}")
        unknown = sorted(set(self.judges) - set(judges.names()))
        if unknown:
            raise RunError(f"unknown judge {unknown[0]!r} (known: {', '.join(judges.names())})")

    def key(self) -> str:
        fields = asdict(self)
        # Defaults of options added later are left out: runs made before them keep their key.
        if fields["dedupe"]:
            del fields["dedupe"]
        if not fields["models"]:
            del fields["models"]
        if not fields["diffs"]:
            del fields["diffs"]
        if fields["model_options"]["call_timeout_s"] == CALL_TIMEOUT_S:
            del fields["model_options"]["call_timeout_s"]
        if fields["model_options"]["timeouts_in_a_row"] == TIMEOUTS_IN_A_ROW:
            del fields["model_options"]["timeouts_in_a_row"]
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()

    @classmethod
    def from_dict(cls, data: dict) -> RunConfig:
        return cls(**(data | {"sampling": Sampling(**data["sampling"]),
                              "budget": Budget(**data["budget"]),
                              "model_options": ModelOptions(**data["model_options"]),
                              "limits": TimeLimits(**data["limits"]),
                              "tasks": tuple(data["tasks"]),
                              "libraries": tuple(data.get("libraries", ())),
                              "judges": tuple(data.get("judges", ())),
                              "models": tuple(data.get("models", ()))}))


@dataclass
class RunProgress:
    """Callbacks for a front end; all optional."""

    phase: Callable[[str, int], None] = lambda name, total: None
    problem_done: Callable[[list[Candidate], dict], None] = lambda candidates, meter: None
    note: Callable[[str], None] = lambda text: None  # a remark for the user, e.g. the scope
    run_created: Callable[[str], None] = lambda run_id: None  # the id, once it is in the store
    # the most programs a search may still make (its budget), before the first is made
    programs_left: Callable[[int], None] = lambda most: None
    # a program of a sample still in progress (a search's round), as soon as it is stored
    program_done: Callable[[Problem, int, Attempt], None] = lambda problem, sample, attempt: None


@dataclass(frozen=True)
class RunResult:
    run_id: str
    resumed: bool
    samples_now: int
    samples_before: int
    unjudgeable: dict[str, str]
    meter: dict
    skipped: dict[str, str] = field(default_factory=dict)  # task -> missing modules


def start(config: RunConfig, store: Store, *, data_dir=None, resume_id: str | None = None,
          progress: RunProgress | None = None, slots: int | None = None) -> RunResult:
    """Run (or resume) ``config``; see the module docstring."""
    progress = progress or RunProgress()
    if resume_id is not None:
        config = _resumed_config(store, resume_id)
    config.check()
    bench = benchmarks.get(config.benchmark)
    problems = _select(bench.load(data_dir), config, bench.name)
    check_strategy(config, problems)
    skipped = benchmarks.unavailable(problems)
    problems = [p for p in problems if p.task_id not in skipped]
    if not problems:
        raise RunError(f"nothing to run: all {len(skipped)} selected problems need modules "
                       f"that are not installed ({next(iter(skipped.values()))})")
    progress.phase("loading model", 0)
    model = open_models(config.members, config.model_options)  # fails before a run is created
    if not config.tasks and not config.libraries and config.limit is None:
        progress.note(f"running all {len(problems)} {bench.name} problems; --limit N for fewer")
    try:
        if config.diffs and not model.chat:
            raise RunError(f"--diffs: edits are asked for in a conversation, and {config.model} "
                           "takes plain prompts; leave out --diffs, or use --prompt-style chat")
        if resume_id is not None:
            _check_same_model(store.run(resume_id), model)
        sandbox = benchmarks.sandbox_config(problems)
        pools = executor("local")
        with pools(slots, sandbox, role=REFERENCES, lazy=True) as references, \
                pools(slots, sandbox) as pool:
            progress.phase("calibrating", len(problems))
            data_key = calibrate.data_key(*(spec.sha256 for spec in bench.files))
            tests = calibrate.calibrate(problems, references, data_key)
            # A problem whose reference fails here cannot be judged: no model time is spent on
            # it, and it is reported instead of scored.
            unjudgeable = {task: t.error for task, t in tests.items() if t.error}
            problems = [p for p in problems if p.task_id not in unjudgeable]
            run_id = resume_id or store.create_run(
                "run", bench.name, config.key(), asdict(config),
                _environment(pool, model, config, data_key, problems, skipped, unjudgeable))
            progress.run_created(run_id)
            try:
                with _energy(store, run_id):
                    written, done = _generate_and_judge(problems, tests, pool, references,
                                                        config, model, store, run_id, progress)
                    store.finish_run(run_id)
            except KeyboardInterrupt:
                raise RunInterrupted(run_id) from None
            except ModelError as err:
                raise RunStopped(run_id, str(err)) from err
        return RunResult(run_id, resume_id is not None, written, len(done), unjudgeable,
                         asdict(model.meter), skipped)
    finally:
        model.close()


def _environment(pool, model, config: RunConfig, data_key: str, problems, skipped: dict,
                 unjudgeable: dict) -> dict:
    """What a run's results depend on besides its configuration, recorded with it."""
    return fingerprint(pool.layers) | {
        "model": model.describe(), "model_identity": model.identity, "data_sha256": data_key,
        "time_limits": asdict(config.limits), "skipped": skipped, "unjudgeable": unjudgeable,
        "groups": benchmarks.groups_of(problems), **judges.facts(config.judges),
        "energy": cost.energy_source()}


@contextmanager
def _energy(store: Store, run_id: str):
    """Adds the energy used while the block ran (RAPL, or codecarbon's estimate) to the run."""
    with cost.EnergyMeter() as meter:
        yield
    if meter.joules is not None:
        store.add_energy(run_id, meter.joules)


def _generate_and_judge(problems, tests, pool, references, config: RunConfig, model,
                        store: Store, run_id: str, progress: RunProgress) -> tuple[int, set]:
    """Generate the samples the run still lacks and judge them as they come."""
    done = store.judged(run_id)
    todo = {p.task_id: [s for s in range(config.sampling.n) if (p.task_id, s) not in done]
            for p in problems}
    todo = {task: samples for task, samples in todo.items() if samples}
    referee = Referee({p.task_id: p for p in problems}, tests, pool, config.limits,
                      config.memory_mb, references, dedupe=config.dedupe)
    try:
        by_id = {p.task_id: p for p in problems}
        journal = StoreJournal(store, run_id, lambda task, sample, attempt:
                               progress.program_done(by_id[task], sample, attempt))
        progress.programs_left(_programs_left(todo, config.budget, journal))
        ctx = Context(model, referee, config.sampling, config.budget, journal)
        assessor = _Assessor(config.judges, Setting(referee, config.limits, config.memory_mb))
        progress.phase("generating", len(todo))
        written = _generate(problems, todo, ctx, strategy_of(config), assessor, store, run_id,
                            progress, _workers(model, config.sampling.n))
    finally:
        referee.close()
    return written, done


def _programs_left(todo: dict[str, list[int]], budget: Budget, journal: StoreJournal) -> int:
    """The most programs the samples still to do may make: each its rounds (or calls), less
    those a killed run stored for it."""
    per_sample = budget.rounds + 1 if budget.calls is None else \
        min(budget.rounds + 1, budget.calls)
    return sum(max(0, per_sample - len(journal.stored(task, sample)))
               for task, samples in todo.items() for sample in samples)


class _Assessor:
    """The judges beyond correctness, run in the strategy's worker thread once its candidates
    are judged, on every final program."""

    def __init__(self, chosen: tuple[str, ...], setting: Setting):
        self.chosen, self.setting = chosen, setting

    def __call__(self, candidates: list[Candidate]) -> list | None:
        if not self.chosen:
            return None
        programs = [Program(c.task_id, c.final.code, c.final.passed) for c in candidates]
        return judges.assess(self.chosen, programs, self.setting)


def _solve(strategy, problem, samples, ctx: Context, assessor: _Assessor):
    candidates = strategy(problem, samples, ctx)
    return candidates, assessor(candidates)


def _generate(problems, todo, ctx, strategy, assessor, store, run_id, progress, workers) -> int:
    """Solve problems on ``workers`` threads; commit each problem's candidates as they come."""
    written = 0
    with ThreadPoolExecutor(workers, thread_name_prefix="strategy") as pool:
        running: set = set()
        try:
            for problem in (p for p in problems if p.task_id in todo):
                running.add(pool.submit(_solve, strategy, problem, todo[problem.task_id], ctx,
                                        assessor))
                while len(running) >= workers:
                    finished, running = wait(running, return_when=FIRST_COMPLETED)
                    written += _commit(finished, store, run_id, progress, ctx)
            while running:
                finished, running = wait(running, return_when=FIRST_COMPLETED)
                written += _commit(finished, store, run_id, progress, ctx)
        except BaseException:
            for future in running:  # on Ctrl-C: start nothing new; what is committed stays
                future.cancel()
            raise
    return written


def _commit(finished, store: Store, run_id: str, progress: RunProgress, ctx: Context) -> int:
    count = 0
    for future in finished:
        candidates, assessments = future.result()
        store.add_candidates(run_id, candidates, assessments)
        progress.problem_done(candidates, asdict(ctx.model.meter))
        count += len(candidates)
    return count


def _workers(model, samples: int) -> int:
    """A serial backend gets two workers: one generating while the other waits on the referee.
    A server backend gets as many as keep its requests in flight (each worker sends its
    problem's samples at once) within the model's concurrency."""
    if model.serial:
        return 2
    return max(1, model.concurrency // max(1, samples))


def strategy_of(config: RunConfig) -> Strategy:
    """The run's strategy, asking for edits instead of whole programs when the run does."""
    strategy = strategies.get(config.strategy)
    return strategy.with_diffs() if config.diffs else strategy


def check_strategy(config: RunConfig, problems: Sequence[Problem]) -> None:
    """The strategy's own check of the run's options (with no problems) or its problems."""
    try:
        strategies.get(config.strategy).check(config.budget, problems)
    except ValueError as err:
        raise RunError(str(err)) from None


def _select(problems, config: RunConfig, name: str):
    if config.libraries:
        known = {p.metadata["library"].lower() for p in problems if "library" in p.metadata}
        if not known:
            raise RunError(f"--libraries applies to ds1000 only; {name} has no libraries")
        wanted = {lib.lower() for lib in config.libraries}
        unknown = sorted(wanted - known)
        if unknown:
            raise RunError(f"{name} has no library {unknown[0]!r} "
                           f"(known: {', '.join(sorted(known))})")
        problems = [p for p in problems if p.metadata.get("library", "").lower() in wanted]
    if config.tasks:
        ids, wanted = [p.task_id for p in problems], set()
        for pattern in config.tasks:
            # An exact id, or a pattern: MTPB/*/0 is every MTPB problem's first test case.
            matched = fnmatch.filter(ids, pattern)
            if not matched:
                raise RunError(f"{name} has no task {pattern!r}")
            wanted.update(matched)
        problems = [p for p in problems if p.task_id in wanted]
    return problems[:config.limit] if config.limit else problems


def _check_same_model(run: dict, model) -> None:
    before = run["environment"].get("model_identity")
    if before is not None and before != model.identity:
        raise RunError(f"run {run['id']} was made with {before}, but {run['config']['model']} "
                       f"is now {model.identity}; start a new run instead of resuming")


def _resumed_config(store: Store, run_id: str) -> RunConfig:
    try:
        run = store.run(run_id)
    except StoreError as err:
        raise RunError(str(err)) from None
    if run["kind"] != "run":
        raise RunError(f"run {run_id} is a {run['kind']!r} run; only 'crucible run' runs resume "
                       "with --resume RUN_ID")
    return RunConfig.from_dict(run["config"])


__all__ = ["DataError", "RunConfig", "RunError", "RunProgress", "RunResult", "RunStopped",
           "start"]
