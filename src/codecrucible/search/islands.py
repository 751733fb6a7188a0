"""The ``evolve-islands`` strategy: a program database for longer searches, after FunSearch's
(islands evolving apart, the weakest reset from the best) and OpenEvolve's (migration, prompts
showing the best programs with what running them showed). Reimplemented from their
descriptions.

Each sample is one search with its own database of ``ISLANDS`` islands. Round r works on island
r mod ``ISLANDS``: an empty island is seeded by the plain task; otherwise up to ``SHOW``
parents are drawn from it, by rank (the fitter, the likelier), and the prompt shows them in
increasing fitness, each with its fitness, the scorer's components that explain it, and its
feedback (the error or failing test), and asks for a program better than all of them (a full
rewrite: small models write poor diffs). Every ``MIGRATE`` rounds each island's best program
is copied to the next island (a ring); every ``RESET`` rounds the weaker half of the islands
are emptied and seeded with the best program of a random stronger one. As in ``climb``,
repeats are refused before they run and heat the next request, budgets are honoured and the
best program is the final attempt. Draws use a seed per (task, sample, round).

With ``diffs`` (``EvolveIslands().with_diffs()``, ``--diffs``) the prompt asks instead for
SEARCH/REPLACE blocks that edit the best program shown (named by its number), and the program
they make is the attempt's code. An answer whose blocks cannot be applied spends its round with
no code; the next prompt says which block failed and why.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from codecrucible.records import Attempt, Candidate, Problem, Request
from codecrucible.search import diffs
from codecrucible.search.rounds import Trial, ask, explained, fitness, heated, produce, rank, shown
from codecrucible.strategies import Budget, Context, prompting, seed_for

ISLANDS, SHOW, MIGRATE, RESET = 3, 3, 6, 12


@dataclass
class _Search(Trial):
    islands: list[list[Attempt]] = field(default_factory=lambda: [[] for _ in range(ISLANDS)])
    unapplied: str = ""   # why the last answer's edits could not be applied


@dataclass(frozen=True)
class EvolveIslands:
    """A program database of islands per sample; parents chosen by fitness. ``diffs`` asks
    for edits of the best parent shown instead of whole programs."""

    diffs: bool = False

    def with_diffs(self) -> EvolveIslands:
        return EvolveIslands(diffs=True)

    def check(self, budget: Budget, problems: Sequence[Problem]) -> None:
        pass

    def __call__(self, problem: Problem, samples: list[int], ctx: Context) -> list[Candidate]:
        scored = problem.check == "score"
        searches = {s: _Search(Candidate(problem.task_id, s, [])) for s in samples}
        for round_ in range(ctx.budget.rounds + 1):
            live = {s: t for s, t in searches.items()
                    if not round_ or not _stopped(problem, t, ctx.budget)}
            if not live:
                break
            asked = {s: _request(problem, t, ctx, round_, self.diffs) for s, t in live.items()}
            requests = {s: request for s, (request, _) in asked.items()}
            parents = {s: parent for s, (_, parent) in asked.items() if parent is not None}
            made = produce(problem, searches, requests, round_, ctx, parents)
            for sample, search in live.items():
                edit = made[sample].edit
                search.unapplied = edit.failure if edit is not None else ""
                attempt = search.candidate.attempts[-1]
                if attempt.verdicts:   # a repeat is stored, never a parent
                    search.islands[round_ % ISLANDS].append(attempt)
                _maintain(search, round_, scored, ctx.sampling.seed, problem.task_id)
        return [t.with_best_last(scored) for t in searches.values()]


evolve_islands = EvolveIslands()


def _stopped(problem: Problem, search: _Search, budget: Budget) -> bool:
    attempts = search.candidate.attempts
    return problem.check != "score" and any(a.passed for a in attempts) \
        or budget.spent(attempts)


def _rng(seed: int, task_id: str, sample: int, round_: int) -> random.Random:
    return random.Random(seed_for(seed, task_id, sample, round_))


def parents(island: list[Attempt], scored: bool, rng: random.Random) -> list[Attempt]:
    """Up to ``SHOW`` programs of ``island``, drawn without replacement with weights by rank
    (the fittest weighs most), returned in increasing fitness."""
    pool = sorted(island, key=lambda a: rank(a, scored))
    chosen: list[Attempt] = []
    while pool and len(chosen) < SHOW:
        pick = rng.choices(range(len(pool)), weights=range(1, len(pool) + 1))[0]
        chosen.append(pool.pop(pick))
    return sorted(chosen, key=lambda a: rank(a, scored))


def _request(problem: Problem, search: _Search, ctx: Context, round_: int,
             edits: bool) -> tuple[Request, str | None]:
    """The round's request, and the program its answer edits: with ``edits``, the best parent
    shown that has code (None when it asks for a whole program)."""
    sample = search.candidate.sample
    task = ctx.request(problem, sample)
    seed = seed_for(ctx.sampling.seed, problem.task_id, sample, round_)
    island = search.islands[round_ % ISLANDS]
    temperature = heated(task.temperature, search.candidate.attempts)
    if not island:
        return replace(task, seed=seed, temperature=temperature), None
    scored = problem.check == "score"
    shown_parents = parents(island, scored,
                            _rng(ctx.sampling.seed, problem.task_id, sample, round_))
    lines = ["Programs written so far for this task, from worse to better:"]
    for number, parent in enumerate(shown_parents, 1):
        lines += [f"\nProgram {number}:", shown(parent.code), _outcome(parent, scored)]
    written = [n for n, p in enumerate(shown_parents, 1) if p.code is not None]
    edited = written[-1] if edits and task.is_chat and written else None
    if search.unapplied:
        lines.append(f"\nYour last answer's edits could not be applied: {search.unapplied}.")
    if edited:
        lines.append(f"\nWrite a program that does better than all of them by editing "
                     f"Program {edited}, the best one. "
                     f"{diffs.asked(f'Program {edited}', ask(problem))}")
    else:
        lines.append(f"\nWrite a new program that does better than all of them. {ask(problem)}")
    text = "\n".join(lines)
    parent = shown_parents[edited - 1].code if edited else None
    if task.is_chat:
        first = task.messages[0][1]
        # An edit is not one Python block: it is neither prefilled nor stopped at a fence.
        return Request(messages=(("user", f"{first}\n{text}"),),
                       prefill="" if edited else task.prefill, max_tokens=task.max_tokens,
                       temperature=temperature, top_p=task.top_p, seed=seed,
                       stop=() if edited else task.stop, trial=task.trial), parent
    comment = "\n".join("# " + line for line in text.splitlines())
    return Request(prompt=f"{comment}\n{problem.prompt}", max_tokens=task.max_tokens,
                   temperature=temperature, top_p=task.top_p, seed=seed, stop=task.stop,
                   trial=task.trial), None


def _outcome(attempt: Attempt, scored: bool) -> str:
    value = fitness(attempt.verdicts, scored)
    failing = next((v for v in attempt.verdicts.values() if not v.passed), None)
    head = f"Score: {value:.6g}." if scored and value is not None else \
        f"Tests passed: {value:.0%}." if value is not None else "Not a valid answer."
    if explained(attempt.verdicts):
        head += f" ({explained(attempt.verdicts)})"
    return head if failing is None else f"{head} Running it failed:\n{prompting.feedback(failing)}"


def _maintain(search: _Search, round_: int, scored: bool, seed: int, task_id: str) -> None:
    """Migration and reset, on their schedules (counted in rounds)."""
    done = round_ + 1
    best = [max(i, key=lambda a: rank(a, scored)) if i else None for i in search.islands]
    if done % MIGRATE == 0:
        for i, program in enumerate(best):
            target = search.islands[(i + 1) % ISLANDS]
            if program is not None and all(p is not program for p in target):
                target.append(program)
    if done % RESET == 0:
        order = sorted(range(ISLANDS), key=lambda i: (best[i] is not None,
                                                      rank(best[i], scored) if best[i] else ()))
        weak, strong = order[:ISLANDS // 2], [i for i in order[ISLANDS // 2:] if best[i]]
        rng = _rng(seed, task_id, search.candidate.sample, -round_)
        for i in weak:
            search.islands[i] = [best[rng.choice(strong)]] if strong else []
