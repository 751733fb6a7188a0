"""The ``evolve`` strategy: LLM-driven hill climbing, the protocol of "From Code to Play"
(Eberhardinger et al., arXiv 2412.04057), on any score-valued or pass/fail problem.

Each sample is one trial: one conversation. The first message is the task (the request
``single`` sends); every later message gives the model what its last program earned (its score,
or the error it raised, or for a pass/fail problem the tests it passed and the first failing
one; and the scorer's components, the numbers that explain a score or an invalid answer) and
the best fitness so far, and asks for a better program. A trial runs up to ``budget.rounds``
rounds after the first answer, while its model calls and tokens last (``Budget.spent``, as in
``repair``); a pass/fail trial that passes everything stops there. K independent trials are
the ``-n`` samples, their rounds batched in one model call.

A program that repeats one the trial already wrote (``novelty.fingerprint``: the same syntax
tree up to docstrings and renaming) is not run: its round counts as spent, it is stored
unjudged, the next message says it was a repeat, and it is asked for at a higher
temperature (``rounds.heated``). Fitness is the score (a score problem,
all suites valid: their mean) or the fraction of tests passed (a pass/fail problem); the best
attempt (the earliest of equals) is moved last, so it is the candidate's final program, the one
pass@k and best scores count; every attempt keeps its round number.

Only the first message and the last ``HISTORY`` exchanges are sent, so a long trial fits a
small model's context; the feedback always names the best fitness so far.

With ``diffs`` (``Evolve().with_diffs()``, ``--diffs``) every round after the first asks for
SEARCH/REPLACE blocks that edit the best program so far, shown in the feedback; the program
they make is the attempt's code. An answer whose blocks cannot be applied spends its round
with no code, and the next feedback says which block failed and why. The conversation shows
an answer of edits as written, not the program it made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from codecrucible.records import Attempt, Candidate, Problem, Request
from codecrucible.search import diffs
from codecrucible.search.rounds import Made, Trial, ask, explained, fitness, heated, produce, shown
from codecrucible.strategies import Budget, Context, prompting, seed_for

HISTORY = 2   # exchanges (program, feedback) kept in the conversation besides the task


@dataclass
class _Trial(Trial):
    exchanges: list[tuple[str, str]] = field(default_factory=list)
    parent: str | None = None     # what the next answer edits (with diffs): the best program


@dataclass(frozen=True)
class Evolve:
    """Hill climbing with execution feedback, one conversation per sample; ``diffs`` asks for
    edits of the best program instead of whole programs."""

    diffs: bool = False

    def with_diffs(self) -> Evolve:
        return Evolve(diffs=True)

    def check(self, budget: Budget, problems: Sequence[Problem]) -> None:
        pass  # every budget applies; any problem with verdicts can be climbed

    def __call__(self, problem: Problem, samples: list[int], ctx: Context) -> list[Candidate]:
        scored = problem.check == "score"
        trials = {s: _Trial(Candidate(problem.task_id, s, [])) for s in samples}
        requests = {s: ctx.request(problem, s) for s in samples}
        for round_ in range(ctx.budget.rounds + 1):
            if round_:
                requests = {s: _next_request(problem, t, ctx, round_)
                            for s, t in trials.items() if not _stopped(problem, t, ctx.budget)}
            if not requests:
                break
            parents = {s: t.parent for s, t in trials.items() if t.parent is not None}
            made = produce(problem, trials, requests, round_, ctx, parents)
            for sample, outcome in made.items():
                trial = trials[sample]
                attempt = trial.candidate.attempts[-1]
                if self.diffs and ctx.model.chat:   # a base model continues code
                    trial.parent = trial.best_program(scored)
                answer = attempt.completion.text.strip() if outcome.edit else shown(attempt.code)
                trial.exchanges.append((answer, _feedback(problem, trial, attempt, outcome)))
        return [t.with_best_last(scored) for t in trials.values()]


evolve = Evolve()


def _stopped(problem: Problem, trial: _Trial, budget: Budget) -> bool:
    attempts = trial.candidate.attempts
    solved = problem.check != "score" and any(a.passed for a in attempts)
    return solved or budget.spent(attempts)


def _feedback(problem: Problem, trial: _Trial, attempt: Attempt, made: Made) -> str:
    """What the next message tells the model about its last program, and what to do next."""
    scored = problem.check == "score"
    best = fitness(trial.best(scored).verdicts, scored)
    unit = "score" if scored else "fraction of tests passed"
    if made.edit is not None and made.edit.failure:
        said = f"Your edits could not be applied, so nothing was run: {made.edit.failure}."
    elif attempt.code is None:
        said = "Your answer contains no usable Python code."
    elif made.repeat is not None:
        said = (f"This program repeats the one you wrote in round {made.repeat} (the same code up "
                "to names, comments and formatting), so it was not run again.")
    else:
        value = fitness(attempt.verdicts, scored)
        failing = next((v for v in attempt.verdicts.values() if not v.passed), None)
        if scored and value is not None:
            said = f"The program ran and its score is {value:.6g} (higher is better)."
            if failing is not None:  # a game's episode cut short: it earned what it had
                said += f"\nBut running it failed:\n{prompting.feedback(failing)}"
        elif failing is None:
            said = "The program passed every test."
        else:
            passed = "" if scored else f"The program passed {value:.0%} of the tests. "
            said = f"{passed}Running it failed:\n{prompting.feedback(failing)}"
        if explained(attempt.verdicts):
            said += f"\nMeasured: {explained(attempt.verdicts)}."
    if best is not None:
        said += f"\nThe best {unit} so far is {best:.6g}."
    if trial.parent is None:
        return f"{said}\nWrite an improved program. {ask(problem)}"
    return (f"{said}\nImprove the best program so far:\n{shown(trial.parent)}\n"
            f"{diffs.asked('this program', ask(problem))}")


def _next_request(problem: Problem, trial: _Trial, ctx: Context, round_: int) -> Request:
    """The conversation so far (the task and the last exchanges) and the latest feedback."""
    task = ctx.request(problem, trial.candidate.sample)
    seed = seed_for(ctx.sampling.seed, problem.task_id, trial.candidate.sample, round_)
    recent = trial.exchanges[-HISTORY:]
    temperature = heated(task.temperature, trial.candidate.attempts)
    if task.is_chat:
        messages = task.messages[:1]
        for program, said in recent:
            messages += (("assistant", program), ("user", said))
        # An edit is not one Python block: it is neither prefilled nor stopped at a fence.
        whole = trial.parent is None
        return Request(messages=messages,
                       prefill=prompting.CODE_PREFILL if task.prefill and whole else "",
                       max_tokens=task.max_tokens, temperature=temperature,
                       top_p=task.top_p, seed=seed, stop=task.stop if whole else (),
                       trial=task.trial)
    best = trial.best(problem.check == "score")
    comment = "\n".join("# " + line for line in recent[-1][1].splitlines())
    return Request(prompt=f"{best.code or ''}\n\n{comment}\n{problem.prompt}",
                   max_tokens=task.max_tokens, temperature=temperature,
                   top_p=task.top_p, seed=seed, stop=task.stop, trial=task.trial)
