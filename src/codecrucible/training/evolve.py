"""Code Evol-Instruct over rounds: the engine behind ``crucible instruct evolve``.

Each seed is a lineage. In round r, every seed's current instruction (its last kept one, or
the seed itself) is evolved once; a kept evolution becomes the lineage's current instruction,
and a failed one leaves the parent in the pool to be tried again next round, with a fresh
heuristic draw, as WizardLM does. Rounds run in order, in batches; each batch's evolutions are
stored as soon as they are decided.

Resume: the run's config is in the store, the heuristic and sampling seed of each evolution
are drawn from (run seed, seed task, round) alone, and every decided evolution is a row keyed
by (run, seed, round). A resumed run reads the rows back, skips what is decided and redoes only
the batch that was in flight, whose model answers the response cache still holds.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from codecrucible import __version__
from codecrucible.store import Store, StoreError
from codecrucible.store.evolutions import Evolution, evolution_id
from codecrucible.training.judging import Batch, Job, Sampling
from codecrucible.training.seeds import Seed

KIND = "instruct-evolve"


@dataclass(frozen=True)
class EvolveConfig:
    """What a run was asked for; stored with it, and read back by ``--resume``."""

    seeds: str = "mbpp"
    limit: int | None = None
    rounds: int = 3
    evolver: str = "embedded:qwen2.5-coder-0.5b"
    answerer: str = "embedded:qwen2.5-coder-0.5b"
    seed: int = 0
    sampling: Sampling = field(default_factory=Sampling)
    memory_mb: int = 1024
    batch: int = 8
    equality_check: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> EvolveConfig:
        return cls(**{**data, "sampling": Sampling(**data["sampling"])})


@dataclass
class EvolveProgress:
    """Callbacks for a progress display: the total and how much was done before, then each
    evolution as it is decided."""

    started: Callable[[int, int], None] = lambda total, done: None
    decided: Callable[[Evolution], None] = lambda evolution: None


@dataclass
class EvolveResult:
    run_id: str
    decided_before: int
    decided_now: int
    kept: int
    eliminated: Counter


def start_run(store: Store, config: EvolveConfig, environment: dict | None = None) -> str:
    environment = {"codecrucible": __version__, "python": sys.version.split()[0],
                   **(environment or {})}
    return store.create_run(KIND, f"evol-instruct:{config.seeds}", KIND, config.to_dict(),
                            environment)


def resumed_config(store: Store, run_id: str) -> EvolveConfig:
    run = store.run(run_id)
    if run["kind"] != KIND:
        raise StoreError(f"run {run_id} is a {run['kind']!r} run, not an Evol-Instruct run")
    return EvolveConfig.from_dict(run["config"])


def evolve(config: EvolveConfig, store: Store, run_id: str, seeds: list[Seed], batch: Batch,
           progress: EvolveProgress | None = None) -> EvolveResult:
    """Run (or continue) ``run_id``: every round of every seed that is not decided yet."""
    progress = progress or EvolveProgress()
    lineages: dict[str, dict[int, Evolution]] = {s.id: {} for s in seeds}
    for evolution in store.evolutions(run_id):
        if evolution.seed_id in lineages:
            lineages[evolution.seed_id][evolution.round] = evolution
    roots = [_root(s) for s in seeds if 0 not in lineages[s.id]]
    store.add_evolutions(run_id, roots)
    for root in roots:
        lineages[root.seed_id][0] = root
    before = sum(1 for rounds in lineages.values() for r in rounds if 1 <= r <= config.rounds)
    progress.started(len(seeds) * config.rounds, before)
    now = 0
    for round_ in range(1, config.rounds + 1):
        todo = [s for s in seeds if round_ not in lineages[s.id]]
        for start in range(0, len(todo), config.batch):
            jobs = [Job(s, round_, _current(lineages[s.id], round_))
                    for s in todo[start:start + config.batch]]
            decided = batch.evolve(jobs)
            store.add_evolutions(run_id, decided)
            for evolution in decided:
                lineages[evolution.seed_id][round_] = evolution
                progress.decided(evolution)
            now += len(decided)
    store.finish_run(run_id)
    evolved = [e for rounds in lineages.values() for r, e in rounds.items()
               if 1 <= r <= config.rounds]
    return EvolveResult(run_id, before, now, sum(e.kept for e in evolved),
                        Counter(e.rule for e in evolved if not e.kept))


def _root(seed: Seed) -> Evolution:
    return Evolution(id=evolution_id(seed.id, 0), seed_id=seed.id, round=0, parent=None,
                     heuristic=None, instruction=seed.instruction, tests=None,
                     answer=seed.output, code=None, kept=True, rule=None, why=None,
                     evolver_raw=None)


def _current(lineage: dict[int, Evolution], round_: int) -> Evolution:
    """The instruction a round evolves: the lineage's last kept one before that round."""
    return lineage[max(r for r, e in lineage.items() if r < round_ and e.kept)]
