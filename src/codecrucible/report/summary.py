"""Summaries of a run from the store: pass@k per suite, statuses, per-problem results, and the
files other tools consume (a JSON summary, one JSON line per verdict, one row per candidate, and
the candidates' programs as an EvalPlus samples file).

``summarize`` returns a ``RunSummary``: typed records, one per level (run, suite, group,
problem, usage, cost, judges), whose ``to_dict`` writes the JSON summary (``--summary``). The
JSON has the records' fields in their declared order; a field declared with ``optional()`` is
left out of the JSON while it is None, so a new optional measure (say a suite's best score on
score-valued problems) is one field and one line in ``summarize``, and older summaries keep
their shape.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from codecrucible.judges import cost
from codecrucible.report.passk import mean_pass_at_k, pass_at_k, usable_k
from codecrucible.store import Store

_OMIT_WHEN_NONE = "omit_when_none"
# The JSON summary's shape. 2: "schema" itself, and times as ISO 8601 strings in UTC; summaries
# written before it have no "schema" and epoch seconds (read that as 1).
SUMMARY_SCHEMA = 2


def iso_time(epoch: float | None) -> str | None:
    """Epoch seconds as ISO 8601 in UTC to the second ("2026-11-30T16:05:00Z"); None stays."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def optional() -> Any:
    """A field that defaults to None and is left out of the JSON summary while it is None."""
    return field(default=None, metadata={_OMIT_WHEN_NONE: True})


def _plain(value: Any) -> Any:
    """JSON-ready: records through their ``to_dict``, containers item by item."""
    if isinstance(value, _Record):
        return value.to_dict()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


class _Record:
    """A summary record: its JSON form is its fields in order, optional ones only when set."""

    def to_dict(self) -> dict[str, Any]:
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None and f.metadata.get(_OMIT_WHEN_NONE):
                continue
            out[f.name] = _plain(value)
        return out


@dataclass
class ProblemResult(_Record):
    """One problem in one suite. JSON: ``{"n": .., "c": .., "pass@1": .., ...}``."""

    n: int                          # samples judged
    c: int                          # samples that passed
    pass_at_k: dict[str, float]     # "pass@k" -> this problem's unbiased estimate

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "c": self.c, **self.pass_at_k}


@dataclass
class GroupSummary(_Record):
    """The problems of one group (an MTPB category, a DS-1000 library) in one suite."""

    problems: int                   # problems in the group
    samples: int                    # samples judged over them
    passed: int                     # samples that passed
    pass_at_k: dict[str, float]     # "pass@k" -> mean over the group's problems


@dataclass
class BestProgram(_Record):
    """A score problem's best-scored sample in one suite, and what its scorer found."""

    sample: int
    score: float
    components: dict[str, float]    # name -> value ("sum_of_radii", "circles", ...)


@dataclass
class SuiteSummary(_Record):
    """One test suite of a run ("base", "plus", or a benchmark's own)."""

    problems: int                   # problems with at least one verdict in this suite
    samples: int                    # verdicts in this suite
    passed: int                     # verdicts that passed
    pass_at_k: dict[str, float]     # "pass@k" -> mean over problems, for every usable k
    statuses: dict[str, int]        # verdict status ("passed", "timeout", ...) -> samples
    per_problem: dict[str, ProblemResult]   # task id -> its results, in task order
    # dimension ("category", "library") -> group -> its results; {} when the benchmark has none
    groups: dict[str, dict[str, GroupSummary]] = field(default_factory=dict)
    # Optional measures: left out of the JSON while None. Score-valued problems (a verdict
    # with a ``score``) fill these; pass/fail suites leave them unset.
    best_score: float | None = optional()   # the best score of any verdict in the suite
    mean_score: float | None = optional()   # the mean over every scored verdict
    best: dict[str, BestProgram] | None = optional()  # task -> its best-scored sample


@dataclass
class Usage(_Record):
    """What the model was asked for over every attempt of a run (``crucible run`` only)."""

    calls: int                      # attempts (model calls), cached ones included
    tokens_in: int                  # prompt tokens
    tokens_out: int                 # completion tokens
    model_s: float                  # model seconds, cached answers excluded
    cache_hits: int                 # calls answered from the response cache
    no_code_attempts: int           # answers in which no code was found
    timeouts: int = 0               # calls ended by the call's wall-clock bound


@dataclass
class ModelResult(_Record):
    """One model of a run of several (``-m A -m B``): what it was asked and what its trials
    (the samples routed to it) achieved, so the best of the models and each alone read from
    one run."""

    calls: int                      # its attempts, cached ones included
    tokens_in: int
    tokens_out: int
    timeouts: int                   # calls ended by the call's wall-clock bound
    programs_ran: int               # attempts whose program was judged
    candidates: int                 # samples it wrote
    passed: int                     # of those, the ones that passed every suite
    best_score: float | None = optional()   # the best score of its programs (score problems)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.candidates if self.candidates else 0.0


# The totals a cost summary may hold, each with its mean per solved problem.
COST_TOTALS = ("tokens_in", "tokens_out", "seconds", "energy_j", "usd")


@dataclass
class CostSummary(_Record):
    """What a run cost, in total and per solved problem (``judges.cost.per_solved``).

    A total is None when no candidate has it (no price for the model: no ``usd``; energy not
    measured: no ``energy_j``); the JSON then has neither it nor its ``_per_solved``. A
    ``_per_solved`` is None when nothing was solved."""

    problems: int                   # problems with at least one candidate
    solved: int                     # problems with a passing candidate
    energy_source: str              # how energy was measured, or why it was not
    tokens_in: int | None = None
    tokens_in_per_solved: float | None = None
    tokens_out: int | None = None
    tokens_out_per_solved: float | None = None
    seconds: float | None = None    # model and sandbox seconds
    seconds_per_solved: float | None = None
    energy_j: float | None = None
    energy_j_per_solved: float | None = None
    usd: float | None = None        # from the user's price table
    usd_per_solved: float | None = None
    prices_error: str | None = None  # why the price table could not be read

    @classmethod
    def from_totals(cls, totals: dict, energy_source: str,
                    prices_error: str | None) -> CostSummary:
        return cls(energy_source=energy_source, prices_error=prices_error, **totals)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"problems": self.problems, "solved": self.solved}
        for label in COST_TOTALS:
            if getattr(self, label) is not None:
                out[label] = getattr(self, label)
                out[f"{label}_per_solved"] = getattr(self, f"{label}_per_solved")
        out["energy_source"] = self.energy_source
        if self.prices_error is not None:
            out["prices_error"] = self.prices_error
        return out


@dataclass
class Distribution(_Record):
    """One judge score over a run's candidates."""

    mean: float
    median: float
    p10: float                      # 10th percentile
    p90: float                      # 90th percentile
    min: float
    max: float


@dataclass
class SecuritySummary(_Record):
    """What the security judge says of a run: a correct but insecure program is insecure."""

    insecure_rate: float            # share of candidates with an insecure finding
    findings_per_candidate: float
    correct_and_insecure: int       # passing candidates that are insecure
    correct: int                    # passing candidates the judge saw


@dataclass
class JudgeSummary(_Record):
    """The judges beyond correctness, over the candidates they scored."""

    candidates: int                 # candidates with at least one score
    scores: dict[str, Distribution]     # score name ("efficiency.ratio", ...) -> distribution
    security: SecuritySummary | None = optional()   # when the security judge ran


@dataclass
class RunSummary(_Record):
    """A run as the report and the JSON summary show it."""

    run_id: str
    benchmark: str
    kind: str                       # "run" (a model's, generated here) or "eval" (a file's)
    created: float                  # epoch seconds
    finished: float | None          # epoch seconds; None while unfinished (resumable)
    config: dict                    # the run's full configuration, as stored
    environment: dict               # versions, limits, sandbox layers, groups, energy...
    suites: dict[str, SuiteSummary]     # suite -> summary; "base", "plus", then the rest
    skipped: dict[str, str]         # task -> the missing module it needs (not scored)
    unjudgeable: dict[str, str]     # task -> why its reference fails here (not scored)
    usage: Usage | None = optional()            # kind "run" only
    cost: CostSummary | None = optional()       # kind "run" only
    judges: JudgeSummary | None = optional()    # when any judge beyond correctness ran
    models: dict[str, ModelResult] | None = optional()  # spec -> its share; several models

    def to_dict(self) -> dict[str, Any]:
        """The JSON summary: ``schema`` first, times as ISO 8601 in UTC (``iso_time``), which
        a reader can take in at a glance and any JSON consumer parses; the epoch seconds
        stay on the record for code that computes with them."""
        out = super().to_dict()
        out["created"], out["finished"] = iso_time(self.created), iso_time(self.finished)
        return {"schema": SUMMARY_SCHEMA, **out}


def summarize(store: Store, run_id: str, ks: tuple[int, ...] | None = None) -> RunSummary:
    """The run's summary from what the store holds now (a run still going, too)."""
    run = store.run(run_id)
    environment = run["environment"]
    groups = environment.get("groups") or {}
    summary = RunSummary(
        run_id=run_id, benchmark=run["benchmark"], kind=run["kind"], created=run["created"],
        finished=run["finished"], config=run["config"], environment=environment,
        suites={suite: suite_summary(store, run_id, suite, ks, groups)
                for suite in _suites(store, run_id)},
        skipped=environment.get("skipped") or {},
        unjudgeable=environment.get("unjudgeable") or {})
    if run["kind"] == "run":
        summary.usage = Usage(**store.usage(run_id))
        rows, prices_error = candidate_rows(store, run)
        summary.cost = CostSummary.from_totals(
            cost.per_solved(rows), environment.get("energy", "not measured"), prices_error)
        by_model = store.by_model(run_id)
        if len(by_model) > 1:
            summary.models = {spec: ModelResult(**row) for spec, row in by_model.items()}
    scores = store.scores(run_id)
    if scores:
        summary.judges = judge_summary(scores, store.passed_samples(run_id))
    return summary


def suite_summary(store: Store, run_id: str, suite: str, ks: tuple[int, ...] | None,
                  groups: dict[str, dict[str, str]]) -> SuiteSummary:
    """pass@k over the problems for every k all of them have samples for (of ``ks`` if
    given), statuses, each problem's results and each group's."""
    counts = store.counts(run_id, suite)
    chosen = usable_k((n for n, _ in counts.values()), ks) if ks else \
        usable_k(n for n, _ in counts.values())
    per_problem = {task: ProblemResult(n, c, {f"pass@{k}": pass_at_k(n, c, k) for k in chosen})
                   for task, (n, c) in sorted(counts.items(), key=_task_order)}
    scores = store.suite_scores(run_id, suite)
    best = {task: BestProgram(*found) for task, found in
            sorted(store.best_scored(run_id, suite).items(), key=_task_order)}
    return SuiteSummary(
        problems=len(counts), samples=sum(n for n, _ in counts.values()),
        passed=sum(c for _, c in counts.values()),
        pass_at_k={f"pass@{k}": v for k, v in mean_pass_at_k(counts, chosen).items()},
        statuses=store.status_counts(run_id, suite), per_problem=per_problem,
        groups={dimension: by_group(per_problem, members)
                for dimension, members in groups.items()},
        best_score=max(scores) if scores else None,
        mean_score=sum(scores) / len(scores) if scores else None, best=best or None)


def candidate_rows(store: Store, run: dict) -> tuple[list[dict], str | None]:
    """One row per candidate with its costs (``cost.add_costs``); and the price table's error,
    if it could not be read (the rows then have no money column)."""
    rows = store.candidates(run["id"])
    try:
        table = cost.load_prices()
        error = None
    except ValueError as err:
        table, error = {}, str(err)
    if run["kind"] == "run":
        cost.add_costs(rows, run["config"]["model"], run["environment"].get("energy_j"), table)
    return rows, error


def judge_summary(scores: dict[tuple[str, int], dict[str, float]],
                  passed: set[tuple[str, int]]) -> JudgeSummary:
    """Each score's distribution over the run's candidates, and what the security judge says
    about the correct ones: a correct but insecure program is still insecure."""
    by_name: dict[str, list[float]] = {}
    for values in scores.values():
        for name, value in values.items():
            by_name.setdefault(name, []).append(value)
    out = JudgeSummary(candidates=len(scores),
                       scores={name: _distribution(values)
                               for name, values in sorted(by_name.items())})
    insecure = {key for key, values in scores.items() if values.get("security.insecure")}
    if any("security.insecure" in values for values in scores.values()):
        out.security = SecuritySummary(
            insecure_rate=len(insecure) / len(scores),
            findings_per_candidate=sum(v.get("security.findings", 0)
                                       for v in scores.values()) / len(scores),
            correct_and_insecure=len(insecure & passed),
            correct=len(passed & scores.keys()))
    return out


def _distribution(values: list[float]) -> Distribution:
    ordered = sorted(values)

    def quantile(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return Distribution(mean=sum(ordered) / len(ordered), median=quantile(0.5),
                        p10=quantile(0.1), p90=quantile(0.9), min=ordered[0], max=ordered[-1])


def by_group(per_problem: dict[str, ProblemResult],
             members: dict[str, str]) -> dict[str, GroupSummary]:
    """pass@k per group (an MTPB category, a DS-1000 library): the mean over the group's
    problems, as for the whole suite."""
    grouped: dict[str, list[ProblemResult]] = {}
    for task, row in per_problem.items():
        if task in members:
            grouped.setdefault(members[task], []).append(row)
    out = {}
    for group, rows in sorted(grouped.items()):
        ks = list(rows[0].pass_at_k)
        out[group] = GroupSummary(
            problems=len(rows), samples=sum(r.n for r in rows), passed=sum(r.c for r in rows),
            pass_at_k={k: sum(r.pass_at_k[k] for r in rows) / len(rows) for k in ks})
    return out


def _suites(store: Store, run_id: str) -> list[str]:
    rows = store.db.execute("SELECT DISTINCT suite FROM verdicts WHERE run_id = ?", (run_id,))
    found = {row[0] for row in rows}
    return [s for s in ("base", "plus") if s in found] + sorted(found - {"base", "plus"})


def _task_order(item: tuple[str, object]) -> tuple:
    prefix, _, number = item[0].rpartition("/")
    return (prefix, int(number)) if number.isdigit() else (item[0], 0)


def write_summary(summary: RunSummary, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary.to_dict(), indent=2) + "\n")


def write_details(store: Store, run_id: str, path: Path) -> int:
    """One line per (sample, suite): task_id, sample, suite, status, tests passed/total."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(path, "w") as out:
        for row in store.verdicts(run_id):
            out.write(json.dumps(row) + "\n")
            count += 1
    return count


def write_candidates(rows: list[dict], path: Path) -> int:
    """All scores, one row per candidate, as CSV (``.csv``) or JSON Lines (anything else).
    Rows of different runs may hold different columns; CSV gets the union, blanks elsewhere."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        columns = list(dict.fromkeys(key for row in rows for key in row))
        with open(path, "w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    else:
        _write_jsonl(rows, path)
    return len(rows)


def sample_rows(store: Store, run_id: str) -> list[dict]:
    """The run's candidates in EvalPlus's samples format, ``{"task_id", "solution"}`` with the
    whole program as judged, in task then sample order, so that a sample's index (its position
    among its task's samples) is the candidate's. A candidate in which no code was found has
    an empty ``solution`` (judged again, it is again ``no_code``). Where the program was built
    around a sample's code (a checker holding it, as DS-1000's) rather than being that code or
    ending with it, the sample's own code is written, as ``crucible eval`` reads it."""
    rows, built = [], store.run(run_id)["kind"] == "eval"
    for row in sorted(store.samples(run_id), key=lambda r: (*_task_order((r["task_id"], 0)),
                                                              r["sample"])):
        code, raw = row["code"], row["raw"]
        if row["no_code"]:
            code = ""
        elif built and not code.endswith(raw):
            code = raw
        rows.append({"task_id": row["task_id"], "solution": code})
    return rows


def write_samples(rows: list[dict], path: Path) -> int:
    """An EvalPlus samples file: one JSON line per candidate (``sample_rows``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_jsonl(rows, path)
    return len(rows)


def _write_jsonl(rows: list[dict], path: Path) -> None:
    with open(path, "w") as out:
        for row in rows:
            out.write(json.dumps(row) + "\n")
