"""Games played by a candidate's policy: the game in the harness, the policy in the sandbox.

A game problem is a score problem (``check == "score"``) whose ``metadata["game"]`` names a
registered game (``GAMES``); its entry point is the candidate's ``policy(observation) ->
action``. Each episode is one sandbox job (``jobs.episode_job``) driven from here by an
``Episode``: the game's state never leaves the harness; the policy is sent one observation at a
time, as wire data, and answers with an action, which is checked against the game's action set
before the game takes it. So a policy cannot patch the game, read beyond its observation or
forge its reward: rewards are summed here, from the game's own ``step``.

An episode ends when the game says it is done or at the step cap (it was played out), or early:
at the first answer that is not one of the game's actions (not a string, not in the set, an
exception the policy raised, an unreadable line), or when the sandbox ends the run (a step over
its window, an output cap, memory, the process gone). Its return is what it earned until it
ended. A policy's fitness is its mean return over the problem's seeds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from codecrucible.benchmarks.games import minatar_games
from codecrucible.correctness.expected import TaskTests
from codecrucible.records import Problem, Status, Verdict
from codecrucible.registry import Registry, instance
from codecrucible.sandbox import SandboxPool, jobs, wire
from codecrucible.sandbox.verdict import abnormal_end, how_it_ended, last_line

DONE, STEP_CAP = "done", "step cap"   # the ends of an episode played out
STOP = {"stop": True}
# The harness's own time per step (the game's step, the pool's loop), which counts against an
# episode's hard deadline but not against the policy's step windows; and a flat margin.
_HARNESS_STEP_S, _HARNESS_S = 0.01, 5.0
_SHOWN = 60
_ENDED = {"timeout": "timed out", "output_limit": "over the output limit",
          "memory": "out of memory", "killed": "killed"}   # ``abnormal_end``'s words


class Game(Protocol):
    """What a game engine provides (``benchmarks/games/``): a fixed set of actions and functions
    of a state that only the harness holds. ``observation`` returns plain data (``wire``
    types); ``step`` returns the next state, the step's reward and whether the episode is over.
    ``step`` is only ever given one of ``actions``."""

    actions: Sequence[str]

    def reset(self, seed: int) -> Any: ...

    def observation(self, state: Any) -> object: ...

    def step(self, state: Any, action: str) -> tuple[Any, float, bool]: ...


# Games by name: built-ins as "module:attribute" (``benchmarks/games/``, each in the form whose
# return is its fitness; the MinAtar games, whose return is their fitness, only where MinAtar is
# installed), plugins through the entry-point group ``codecrucible.games``, tests with
# ``GAMES.add``.
GAMES: Registry[Game] = Registry("game", "codecrucible.games", {
    "baba": "codecrucible.benchmarks.games.baba:BY_FITNESS",
    "vehicle": "codecrucible.benchmarks.games.vehicle:BY_FITNESS",
    **minatar_games.references(),
}, make=instance)


def is_game(problem: Problem) -> bool:
    return problem.check == "score" and "game" in problem.metadata


@dataclass(frozen=True)
class Rules:
    """How a game problem is played: its game, the seeds of its episodes, the most steps an
    episode may take, and each step's wall-clock window for the policy."""

    game: str
    seeds: tuple[int, ...]
    max_steps: int = 100
    step_s: float = 1.0

    @classmethod
    def of(cls, problem: Problem) -> Rules:
        """The rules ``problem.metadata`` declares: ``game``, ``seeds``, ``max_steps``,
        ``step_s``; a clear error for any that is not valid."""
        meta = problem.metadata
        if not isinstance(meta.get("game"), str) or meta["game"] not in GAMES:
            why = minatar_games.unavailable(meta.get("game")) or \
                f"unknown game {meta.get('game')!r} (known: {', '.join(GAMES.names()) or 'none'})"
            raise ValueError(f"{problem.task_id}: {why}")
        rules = cls(meta["game"], tuple(meta.get("seeds", ())),
                    meta.get("max_steps", cls.max_steps), meta.get("step_s", cls.step_s))
        if not rules.seeds or not all(type(s) is int for s in rules.seeds):
            raise ValueError(f"{problem.task_id}: a game problem needs integer seeds "
                             f"(got {meta.get('seeds')!r})")
        if type(rules.max_steps) is not int or rules.max_steps < 1:
            raise ValueError(f"{problem.task_id}: max_steps must be a positive integer "
                             f"(got {rules.max_steps!r})")
        if not isinstance(rules.step_s, int | float) or not 0 < rules.step_s < math.inf:
            raise ValueError(f"{problem.task_id}: step_s must be a positive number of seconds "
                             f"(got {rules.step_s!r})")
        return rules

    def limits(self, load_s: float, memory_mb: int) -> jobs.Limits:
        """What one episode's run may use: every step's window, and the harness's time."""
        wall = load_s + self.max_steps * (self.step_s + _HARNESS_STEP_S) + _HARNESS_S
        return jobs.Limits.timed(wall, load_s, memory_mb)

    def template(self, entry: str, load_s: float, memory_mb: int) -> dict:
        """The job every episode of every candidate shares (the candidate adds its code)."""
        return jobs.episode_job(entry, self.limits(load_s, memory_mb), step_s=self.step_s)


def task_tests(problem: Problem) -> TaskTests:
    """A game problem's "tests", as calibration records them: one per seed, with no expected
    value (nothing to run: the game itself scores)."""
    seeds = Rules.of(problem).seeds
    return TaskTests({"base": len(seeds)}, [wire.dumps(seed) for seed in seeds],
                     [wire.dumps([None, None])] * len(seeds), [0.0] * len(seeds), None)


@dataclass(frozen=True)
class Outcome:
    """How one episode went: its return, the steps the game took, and how it ended (``DONE``,
    ``STEP_CAP``, or why it ended early); ``result`` is its run's sandbox report."""

    seed: int
    steps: int
    reward: float
    end: str
    status: Status
    invalid: bool = False      # ended by an answer that was not an action
    result: dict = field(default_factory=dict, compare=False, repr=False)


class Episode:
    """One episode of ``game``, driven from the harness while its policy runs in the sandbox:
    a ``jobs.Driver``, called with the policy's answer lines as they arrive."""

    def __init__(self, game: Game, seed: int, max_steps: int):
        self.game, self.seed, self.max_steps = game, seed, max_steps
        self.actions = frozenset(game.actions)
        self.state = game.reset(seed)
        self.steps = 0               # the steps the game took: the policy's answers taken
        self.observed = 0            # the observations sent
        self.reward = 0.0
        self.end: str | None = None  # why the harness ended it, once it did
        self.invalid = False         # ended by an answer that was not an action
        self.broken = False          # ended by the game's own failure

    def __call__(self, lines: list[str]) -> dict | None:
        """The next message: the first observation, then, for each answer, the next one or
        ``STOP``; None while the answer to the last observation has not arrived."""
        if self.end is not None or len(lines) < self.observed:
            return None
        try:
            return self._next(lines)
        except Exception as err:  # the actions that broke the game are the policy's: its
            # episode ends in error, and the harness, driving other episodes, goes on
            self.end, self.broken = f"the game failed: {type(err).__name__}: {err}"[:300], True
            return STOP

    def _next(self, lines: list[str]) -> dict:
        if self.observed:
            action, why = self._action(lines[self.observed - 1], self.observed - 1)
            if action is None:
                self.end, self.invalid = why, True
                return STOP
            self.state, reward, done = self.game.step(self.state, action)
            self.reward += float(reward)
            self.steps += 1
            if done or self.steps >= self.max_steps:
                self.end = DONE if done else STEP_CAP
                return STOP
        self.observed += 1
        return {"observe": wire.dumps(self.game.observation(self.state))}

    def _action(self, line: str, index: int) -> tuple[str | None, str]:
        """The action an answer line holds, or None and why it is not one."""
        try:
            frame = wire.loads(line)
        except (ValueError, TypeError, LookupError, RecursionError):
            return None, "an unreadable answer"
        if type(frame) is not list or len(frame) != 4 or frame[0] != index:
            return None, "an unreadable answer"
        _, action, raised, _ = frame
        if raised is not None:
            return None, f"the policy raised {str(raised)[:_SHOWN]}"
        if type(action) is not str:
            return None, f"not an action: a {type(action).__name__}"
        if action not in self.actions:
            return None, f"not an action: {action[:_SHOWN]!r}"
        return action, ""

    def outcome(self, result: dict, cpu_limit: float | None) -> Outcome:
        """How the episode went, once its run's ``result`` is back."""
        if self.end is not None:
            status = Status.PASSED if self.end in (DONE, STEP_CAP) else \
                Status.ERROR if self.broken else Status.FAILED
            return Outcome(self.seed, self.steps, self.reward, self.end, status, self.invalid,
                           result)
        status, why = _cut_short(result, cpu_limit)
        return Outcome(self.seed, self.steps, self.reward, why, status, False, result)


def _cut_short(result: dict, cpu_limit: float | None) -> tuple[Status, str]:
    """Why a run ended before the harness ended its episode, from the sandbox's report."""
    if "sandbox_error" in result:
        return Status.ERROR, f"sandbox: {result['sandbox_error']}"
    if result.get("refused"):
        return Status.FAILED, f"the sandbox refused {result['refused']}"
    ended = abnormal_end(result, cpu_limit)
    if ended is not None:
        return Status(ended), _ENDED[ended]
    status = Status.ERROR if result.get("exit") not in (0, None) else Status.FAILED
    return status, last_line(result.get("stderr", "")) or f"the policy {how_it_ended(result)}"


class Match:
    """A policy's episodes, one per seed of a game problem, to be played side by side: each of
    ``episodes`` drives one job, and ``record`` takes that job's result."""

    def __init__(self, rules: Rules, cpu_limit: float | None):
        self.cpu_limit = cpu_limit
        game = GAMES.get(rules.game)
        self.episodes = [Episode(game, seed, rules.max_steps) for seed in rules.seeds]
        self._outcomes: dict[Episode, Outcome] = {}

    @property
    def over(self) -> bool:
        return len(self._outcomes) == len(self.episodes)

    def record(self, episode: Episode, result: dict) -> None:
        self._outcomes[episode] = episode.outcome(result, self.cpu_limit)

    def verdict(self) -> Verdict:
        return verdict([self._outcomes[episode] for episode in self.episodes])

    def verdicts(self, tests: TaskTests) -> dict[str, Verdict]:
        return {suite: self.verdict() for suite in tests.suites}


def verdict(outcomes: list[Outcome]) -> Verdict:
    """A policy's verdict from its episodes: the score is its mean return (an episode ended
    early counts what it earned); it passed if every episode was played out, else the first
    that was not says why."""
    returns = [o.reward for o in outcomes]
    first = next((o for o in outcomes if o.status is not Status.PASSED), None)
    shown = (first or outcomes[-1]).result
    played = sum(o.status is Status.PASSED for o in outcomes)
    components = {"mean_return": sum(returns) / len(returns), "episodes": len(outcomes),
                  "played_out": played, "steps": sum(o.steps for o in outcomes),
                  "invalid_actions": sum(o.invalid for o in outcomes),
                  "timeouts": sum(o.status is Status.TIMEOUT for o in outcomes)}
    components |= {f"seed_{o.seed}": o.reward for o in outcomes}   # each episode's return
    components = {name: float(value) for name, value in components.items()}
    why = None if first is None else f"seed {first.seed}, step {first.steps}: {first.end}"
    cpu = [o.result.get("cpu_s") for o in outcomes]
    rss = [o.result.get("max_rss_kb") for o in outcomes]
    return Verdict(first.status if first else Status.PASSED, played, len(outcomes), why,
                   stdout=shown.get("stdout", ""), stderr=shown.get("stderr", ""),
                   wall_s=sum(o.result.get("wall_s") or 0.0 for o in outcomes),
                   cpu_s=None if None in cpu else sum(cpu),
                   max_rss_kb=None if None in rss else max(rss),
                   score=components["mean_return"], components=components)


def play(pool: SandboxPool, rules: Rules, code: str, entry: str = "policy", *,
         load_s: float = 1.0, memory_mb: int = 1024) -> Verdict:
    """Play every seed of ``rules`` with the policy ``entry`` of ``code``, the episodes side
    by side on ``pool``: the policy's verdict, without a referee."""
    match = Match(rules, rules.limits(load_s, memory_mb).cpu_s)
    job = {**rules.template(entry, load_s, memory_mb), "code": code}
    for episode, result in pool.imap((e, jobs.with_driver(job, e)) for e in match.episodes):
        match.record(episode, result)
    return match.verdict()
