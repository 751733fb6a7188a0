"""``crucible judge``'s engine: one program on one task, through the referee, then every judge."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codecrucible import benchmarks, judges
from codecrucible.benchmarks.data import DataError
from codecrucible.correctness import calibrate
from codecrucible.correctness.expected import TimeLimits
from codecrucible.correctness.referee import Referee
from codecrucible.judges import Program, Setting
from codecrucible.records import Verdict
from codecrucible.sandbox import REFERENCES, executor


@dataclass(frozen=True)
class ProgramJudgement:
    verdicts: dict[str, Verdict]
    assessment: judges.Assessment
    facts: dict                     # how the judges that gave scores measured

    @property
    def efficiency_metric(self) -> str | None:
        """What the efficiency scores measure, when they were taken."""
        return self.facts.get("efficiency_metric")

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts.values())


def judge_program(code: str, benchmark: str, task: str, data_dir: Path | None
                  ) -> ProgramJudgement:
    """Correctness in the sandbox, then every judge (efficiency only when it passed).
    Raises ``DataError`` for an unknown benchmark or task, or one that cannot run here."""
    bench = benchmarks.get(benchmark)
    problems = {p.task_id: p for p in bench.load(data_dir)}
    if task not in problems:
        raise DataError(f"{bench.name} has no task {task!r}")
    problem = problems[task]
    missing = benchmarks.unavailable([problem])
    if missing:
        raise DataError(f"{task} cannot run here: {missing[task]}")
    sandbox = benchmarks.sandbox_config([problem])
    pools = executor("local")
    with pools(1, sandbox, role=REFERENCES, lazy=True) as references, pools(1, sandbox) as pool:
        data_key = calibrate.data_key(*(spec.sha256 for spec in bench.files))
        tests = calibrate.calibrate([problem], references, data_key)
        if tests[task].error:
            raise DataError(f"{task} cannot be judged here: {tests[task].error}")
        referee = Referee({task: problem}, tests, pool, TimeLimits(), references=references)
        try:
            verdicts = referee.submit(task, code).result()
            program = Program(task, code, all(v.passed for v in verdicts.values()))
            (assessment,) = judges.assess(judges.names(), [program],
                                          Setting(referee, TimeLimits(), 1024))
        finally:
            referee.close()
    # What the judges that gave scores record of how they measure.
    measured = sorted({name.partition(".")[0] for name in assessment.scores})
    return ProgramJudgement(verdicts, assessment, judges.facts(measured))
