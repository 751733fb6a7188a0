"""One batch of evolutions, from the evolver's call to the decision to keep or drop each.

For each (seed, round, parent) the evolver is asked for a harder question and its tests;
the rules that read only the instruction run first, so a dropped instruction costs no answer.
The answerer then answers the rest in one batch; the rules that read the answer, the code
found in it and decontamination follow; what is left goes to the referee, which calls the
tested function in the sandbox and compares what it returns with the evolver's literal
expected values (``asserts.py``). Model-written code never runs in this process.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from codecrucible.correctness.expected import TimeLimits
from codecrucible.correctness.referee import Referee
from codecrucible.models import CachedModel, Completion
from codecrucible.sandbox import SandboxPool
from codecrucible.store.evolutions import Evolution, evolution_id
from codecrucible.strategies import extract
from codecrucible.training import asserts, heuristics
from codecrucible.training.decontamination import NgramIndex
from codecrucible.training.elimination import (
    Rejection,
    answer_rejection,
    instruction_rejection,
    verdict_rejection,
)
from codecrucible.training.seeds import Seed

# No reference solution to time: each test gets a fixed second, loading the program two.
EVOLVED_LIMITS = TimeLimits(floor_s=1.0, plus_floor_s=1.0, multiple=0.0, load_s=2.0)


@dataclass(frozen=True)
class Sampling:
    """How the evolver and the answerer sample (the answerer greedy by default)."""

    temperature: float = 1.0
    answer_temperature: float = 0.0
    top_p: float = 0.95
    max_tokens: int = 768


@dataclass(frozen=True)
class Job:
    seed: Seed
    round: int
    parent: Evolution      # the instruction to evolve: the seed's last kept one


@dataclass
class _Work:
    """One evolution on its way through the batch."""

    job: Job
    heuristic: heuristics.Heuristic
    call_seed: int
    evolved: Completion
    instruction: str = ""
    tests_source: str = ""
    tests: asserts.Tests | None = None
    answer: Completion | None = None
    code: str | None = None
    rejection: Rejection | None = None
    extra: list[Completion] = field(default_factory=list)   # an equality check's call


@dataclass
class Batch:
    """What judging a batch needs: the two models, the sandbox, the index, how to sample."""

    evolver: CachedModel
    answerer: CachedModel
    pool: SandboxPool
    index: NgramIndex
    sampling: Sampling
    run_seed: int = 0
    memory_mb: int = 1024
    equality_check: bool = False   # also ask the evolver whether anything was added

    def evolve(self, jobs: list[Job]) -> list[Evolution]:
        work = self._evolved(jobs)
        if self.equality_check:
            self._compared([w for w in work if w.rejection is None])
        self._answered([w for w in work if w.rejection is None])
        self._judged([w for w in work if w.rejection is None])
        return [_record(w) for w in work]

    def _evolved(self, jobs: list[Job]) -> list[_Work]:
        drawn = [heuristics.choose(self.run_seed, j.seed.id, j.round) for j in jobs]
        requests = [heuristics.request(
            heuristics.evolve_prompt(h, j.parent.instruction), self.evolver.chat,
            max_tokens=self.sampling.max_tokens, temperature=self.sampling.temperature,
            top_p=self.sampling.top_p, seed=s) for j, (h, s) in zip(jobs, drawn, strict=True)]
        completions = self.evolver.generate(requests)
        work = []
        for job, (heuristic, seed), completion in zip(jobs, drawn, completions, strict=True):
            w = _Work(job, heuristic, seed, completion)
            parsed = heuristics.parse_evolved(completion.text)
            w.instruction, w.tests_source = parsed.instruction, parsed.tests
            w.rejection = instruction_rejection(
                w.instruction, job.parent.instruction, heuristics.evolve_prompt(heuristic, ""))
            if w.rejection is None:
                w.tests = asserts.parse_tests(w.tests_source)
                if w.tests is None:
                    w.rejection = Rejection("no-tests", "no assert statement calls a function "
                                            "with literal arguments and a literal result")
                else:
                    w.instruction = heuristics.shown(w.instruction, w.tests)
            work.append(w)
        return work

    def _compared(self, work: list[_Work]) -> None:
        """WizardLM's check, by the evolver: is the new question equal to its parent?"""
        requests = [heuristics.request(
            heuristics.EQUALITY.format(first=w.job.parent.instruction, second=w.instruction),
            self.evolver.chat, max_tokens=16, temperature=0.0, seed=w.call_seed)
            for w in work]
        for w, verdict in zip(work, self.evolver.generate(requests) if work else [],
                              strict=True):
            w.extra.append(verdict)
            if heuristics.said_equal(verdict.text):
                w.rejection = Rejection("no-information-gain", "the evolver judged it equal "
                                        f"to the old one ({verdict.text.strip()[:40]!r})")

    def _answered(self, work: list[_Work]) -> None:
        requests = [heuristics.request(w.instruction, self.answerer.chat,
                                       max_tokens=self.sampling.max_tokens,
                                       temperature=self.sampling.answer_temperature,
                                       top_p=self.sampling.top_p, seed=w.call_seed)
                    for w in work]
        for w, answer in zip(work, self.answerer.generate(requests) if work else [],
                             strict=True):
            w.answer = answer
            w.rejection = answer_rejection(answer.text) or self._code_rejection(w)

    def _code_rejection(self, w: _Work) -> Rejection | None:
        entry = w.tests.entry
        code = extract.extract_code(w.answer.text, "", entry)
        if code is None:
            return Rejection("no-code", f"no parseable code defining {entry}()")
        w.code = extract.sanitize(code, entry) or code
        task = self.index.overlap(f"{w.instruction}\n{w.answer.text}")
        if task is not None:
            return Rejection("contaminated", f"shares a {self.index.n}-word run with {task}")
        return None

    def _judged(self, work: list[_Work]) -> None:
        if not work:
            return
        tasks = {evolution_id(w.job.seed.id, w.job.round): w for w in work}
        made = {task: w.tests.task(task, w.instruction) for task, w in tasks.items()}
        referee = Referee({t: m[0] for t, m in made.items()}, {t: m[1] for t, m in made.items()},
                          self.pool, EVOLVED_LIMITS, self.memory_mb, dedupe=False)
        try:
            futures = {task: referee.submit(task, w.code) for task, w in tasks.items()}
            for task, future in futures.items():
                tasks[task].rejection = verdict_rejection(future.result()["base"])
        except BaseException:
            referee.close(wait=False)   # Ctrl-C: kill the programs running, keep nothing
            raise
        referee.close()


def _record(w: _Work) -> Evolution:
    calls = [c for c in (w.evolved, *w.extra, w.answer) if c is not None]
    return Evolution(
        id=evolution_id(w.job.seed.id, w.job.round), seed_id=w.job.seed.id, round=w.job.round,
        parent=w.job.parent.id, heuristic=w.heuristic.name, instruction=w.instruction,
        tests=w.tests_source, answer=w.answer.text if w.answer else None, code=w.code,
        kept=w.rejection is None, rule=w.rejection.rule if w.rejection else None,
        why=w.rejection.why if w.rejection else None, evolver_raw=w.evolved.text,
        tokens_in=sum(c.tokens_in for c in calls), tokens_out=sum(c.tokens_out for c in calls),
        model_s=sum(0.0 if c.cached else c.latency_s for c in calls))
