"""What every search strategy shares: a trial's programs, their fitness, and one round of
programs asked for, refused when repeated, and judged.

A ``Trial`` is one sample's search: its ``Candidate`` (every attempt so far) and the
fingerprints of the programs it wrote. ``produce`` makes one round for many trials: one model
call for all their requests (a shared prompt is processed once), the repeats set aside before
anything runs, the new programs judged together by the referee, and each recorded in the
context's journal as soon as it is judged. A trial that asks for edits names the program its
answer edits (its parent): an answer with SEARCH/REPLACE blocks (``diffs``) becomes the program
they make of it, one without them is read as a whole program.

Resuming: a round that a killed run finished is in the journal. When the trial's request for
that round is the one stored (the same conversation, seed included, which holds whenever the
rounds before it were replayed too), the stored attempt is taken as it is: no model call, no
sandbox run, the same verdicts. A search therefore continues from its finished programs, and a
resumed run stores what an uninterrupted one would have.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from codecrucible.records import Attempt, Candidate, Problem, Request, Verdict, components_text
from codecrucible.search import diffs
from codecrucible.search.novelty import fingerprint
from codecrucible.strategies import Context, prompting

HEAT, HOTTEST = 0.3, 1.5   # temperature added per repeat in a row, and where it stops rising


def fitness(verdicts: dict[str, Verdict], scored: bool) -> float | None:
    """The fitness of a judged attempt: for a score problem (``scored``), the mean of its
    suites' scores, None unless every suite was a valid answer; else the fraction of tests
    passed. None when nothing was judged (a repeat)."""
    if not verdicts:
        return None
    if scored:
        scores = [v.score for v in verdicts.values()]
        return None if None in scores else sum(scores) / len(scores)
    total = sum(v.tests_total for v in verdicts.values())
    return sum(v.tests_passed for v in verdicts.values()) / total if total else 0.0


def explained(verdicts: dict[str, Verdict]) -> str:
    """The components the scorer gave, compactly ("sum_of_radii 2.54, circles 26"), suite by
    suite where there are several; empty when it gave none."""
    texts = {suite: components_text(v.components) for suite, v in verdicts.items()
             if v.components}
    if len(verdicts) == 1:
        return "".join(texts.values())
    return "; ".join(f"{suite}: {text}" for suite, text in texts.items())


def heated(temperature: float, attempts: list[Attempt]) -> float:
    """The temperature of a search's next request: its own, raised by ``HEAT`` for each repeat
    in a row at the end of ``attempts`` (a small model shown its own program tends to write it
    again, and every repeat spends a round), up to ``HOTTEST`` (a higher one is kept)."""
    streak = 0
    for attempt in reversed(attempts):
        if attempt.code is None or attempt.verdicts:
            break
        streak += 1
    return min(temperature + HEAT * streak, max(temperature, HOTTEST))


def rank(attempt: Attempt, scored: bool) -> tuple:
    """Orders attempts from worst to best: judged, valid, fitter, earlier."""
    value = fitness(attempt.verdicts, scored)
    return (bool(attempt.verdicts), value is not None, value if value is not None else 0.0,
            -attempt.round)


@dataclass(frozen=True)
class Made:
    """What became of a trial's answer in a round."""

    repeat: int | None = None           # the round whose program it repeats (stored unjudged)
    edit: diffs.Edited | None = None    # its blocks and what they made of its parent


@dataclass
class Trial:
    candidate: Candidate
    seen: dict[str, int] = field(default_factory=dict)   # fingerprint -> round
    journaled: dict[int, Attempt] | None = None          # round -> attempt a killed run stored

    def replay(self, round_: int, request: Request, ctx: Context) -> Attempt | None:
        """The attempt a killed run stored for this round, if it answered ``request``."""
        if self.journaled is None:
            c = self.candidate
            self.journaled = {a.round: a for a in ctx.journal.stored(c.task_id, c.sample)}
        stored = self.journaled.get(round_)
        return stored if stored is not None and stored.request == request else None

    def best(self, scored: bool) -> Attempt:
        """The fittest attempt, the earliest of equals (a judged one: round 0 always is)."""
        return max(self.candidate.attempts, key=lambda a: rank(a, scored))

    def best_program(self, scored: bool) -> str | None:
        """The code of the fittest attempt that has any: the program an edit improves."""
        written = [a for a in self.candidate.attempts if a.code is not None]
        return max(written, key=lambda a: rank(a, scored)).code if written else None

    def with_best_last(self, scored: bool) -> Candidate:
        """The candidate with its best attempt moved last: the one judged as its answer."""
        best = self.best(scored)
        attempts = [a for a in self.candidate.attempts if a is not best] + [best]
        return Candidate(self.candidate.task_id, self.candidate.sample, attempts)


def produce(problem: Problem, trials: dict[int, Trial], requests: dict[int, Request],
            round_: int, ctx: Context, parents: dict[int, str] | None = None) -> dict[int, Made]:
    """One round of every trial that has a request: each gets one more attempt, replayed from
    the journal or asked for. ``parents``: the program each sample's answer may edit (when it
    asked for edits). Returns, per sample, what became of its answer."""
    replayed = {s: trials[s].replay(round_, r, ctx) for s, r in requests.items()}
    asked = {s: r for s, r in requests.items() if replayed[s] is None}
    answers = dict(zip(asked, ctx.model.generate(list(asked.values())) if asked else [],
                       strict=True))
    pending = []
    for sample, request in requests.items():
        trial, old = trials[sample], replayed[sample]
        completion = old.completion if old else answers[sample]
        parent = (parents or {}).get(sample)
        # A pure text operation, so a replayed round says again what its edit made.
        edit = diffs.edited(parent, completion.text) if parent is not None else None
        code = old.code if old else edit.code if edit else \
            prompting.program(problem, request, completion.text)
        key = fingerprint(code, problem.entry_point) if code is not None else None
        repeat = trial.seen.get(key) if key is not None else None
        if key is not None and repeat is None:
            trial.seen[key] = round_
        future = None if old or repeat is not None else \
            ctx.referee.submit(problem.task_id, code)
        pending.append((sample, request, completion, code, Made(repeat, edit), future, old))
    made = {}
    for sample, request, completion, code, outcome, future, old in pending:
        attempt = old or Attempt(round_, request, completion, code,
                                 {} if future is None else future.result())
        if old is None:
            ctx.journal.record(problem.task_id, sample, attempt)
        trials[sample].candidate.attempts.append(attempt)
        made[sample] = outcome
    return made


def shown(code: str | None) -> str:
    """A program as the model is shown it."""
    return f"```python\n{code.rstrip()}\n```" if code else "(no code)"


def ask(problem: Problem) -> str:
    """What every search prompt ends with: a whole program, in one block."""
    if not problem.calls or not problem.entry_point:
        return "Return the whole program in a single Python code block."
    return (f"Return the whole program, including the function `{problem.entry_point}`, in a "
            "single Python code block.")
