"""The games benchmark: three score problems whose references are the heuristic baselines and
earn the documented numbers through the real sandbox, with each episode's return shown; bad
policies and mazes earn nothing; the baselines quoted are what the engines measure in process;
the prompts' examples are true; a search's feedback carries the episodes' components;
and `crucible judge` says all of it."""

from __future__ import annotations

import json
import math

import pytest
from support import crucible

from codecrucible import benchmarks
from codecrucible.benchmarks.games import (
    baba,
    episode,
    maze,
    minatar_games,
    minatar_tasks,
    prompts,
    references,
    vehicle,
)
from codecrucible.benchmarks.games.baba_levels import LEVELS
from codecrucible.benchmarks.games.benchmark import BASELINES, RANDOM, SEEDS
from codecrucible.correctness import calibrate, play
from codecrucible.correctness.expected import TimeLimits
from codecrucible.correctness.referee import Referee
from codecrucible.records import Attempt, Candidate, Completion, Request, Status
from codecrucible.search import climb
from codecrucible.search.rounds import Made, explained

PROBLEMS = {p.task_id: p for p in benchmarks.get("games").load(None)}
BABA, VEHICLE, MAZE = "Games/baba", "Games/vehicle", "Games/maze"
# The MinAtar games' tasks, where MinAtar is installed (``make minatar``; ``make test`` does).
MINATAR = [minatar_tasks.task_id(g) for g in minatar_games.MINIMAL_ACTIONS] \
    if minatar_games.available() else []


@pytest.fixture(scope="module")
def referee(sandbox_pool, reference_pool):
    tests = calibrate.calibrate(list(PROBLEMS.values()), reference_pool, "games")
    assert not any(t.error for t in tests.values()), tests
    referee = Referee(PROBLEMS, tests, sandbox_pool, TimeLimits(), references=reference_pool)
    yield referee
    referee.close()


def _verdict(referee, task_id, code):
    return referee.submit(task_id, code).result()["base"]


def test_the_benchmark_is_registered_with_its_score_problems():
    assert "games" in benchmarks.REGISTRY.names()
    assert sorted(PROBLEMS) == sorted([BABA, MAZE, VEHICLE, *MINATAR])
    assert benchmarks.get("games").size == len(PROBLEMS)
    assert all(p.check == "score" and p.metadata["higher_is_better"] for p in PROBLEMS.values())
    assert {t: p.metadata["game"] for t, p in PROBLEMS.items() if play.is_game(p)} == \
        {BABA: "baba", VEHICLE: "vehicle"} | {t: f"minatar-{t.split('_', 1)[1].replace('_', '-')}"
                                              for t in MINATAR}
    assert PROBLEMS[BABA].metadata["seeds"] == PROBLEMS[VEHICLE].metadata["seeds"] == SEEDS
    assert PROBLEMS[MAZE].metadata["time_limit_s"] == 0.1
    assert {"baba", "vehicle"} <= set(play.GAMES.names())


@pytest.mark.parametrize("task_id", [BABA, VEHICLE, MAZE])
def test_each_reference_scores_its_baseline_through_the_sandbox(referee, task_id):
    verdict = _verdict(referee, task_id, PROBLEMS[task_id].reference)
    assert verdict.status is Status.PASSED, verdict
    assert math.isclose(verdict.score, BASELINES[task_id], abs_tol=0.005)


@pytest.mark.skipif(not MINATAR, reason="MinAtar is not installed (make minatar)")
@pytest.mark.parametrize("task_id", MINATAR or ["-"])
def test_each_minatar_reference_scores_its_heuristics_baseline_through_the_sandbox(referee,
                                                                                    task_id):
    problem = PROBLEMS[task_id]
    verdict = _verdict(referee, task_id, problem.reference)
    assert verdict.status is Status.PASSED, verdict
    assert math.isclose(verdict.score, problem.metadata["baseline"], abs_tol=0.05)
    assert verdict.score > problem.metadata["random"]
    assert f"at most {minatar_games.MAX_STEPS} steps" in " ".join(problem.prompt.split())


def test_a_game_verdict_shows_each_episodes_return(referee):
    components = _verdict(referee, BABA, PROBLEMS[BABA].reference).components
    assert [components[f"seed_{s}"] for s in SEEDS] == [94, 90, 0, 92, 0, 0, 0, 0, 0, 0]
    assert components["played_out"] == 10 and components["invalid_actions"] == 0
    shown = explained({"base": _verdict(referee, VEHICLE, PROBLEMS[VEHICLE].reference)})
    assert shown.startswith("mean_return 6.22") and "seed_9 5.72" in shown


def test_the_climbs_next_message_shows_the_episodes_and_why_one_ended(referee):
    code = "def policy(observation):\n    return 'up' if len(observation) > 7 else 'wait'\n"
    verdicts = referee.submit(BABA, code).result()
    attempt = Attempt(0, Request(prompt="x"), Completion(code, 1, 1, 0), code, verdicts)
    trial = climb._Trial(Candidate(BABA, 0, [attempt]))
    said = climb._feedback(PROBLEMS[BABA], trial, attempt, Made())
    assert "its score is 0 " in said and "Measured: mean_return 0, episodes 10" in said
    assert "seed_0 0" in said and "not an action: 'wait'" in said


BAD = {
    "a Baba non-action": (BABA, "def policy(observation):\n    return 'wait'\n", 0.0,
                          "seed 0, step 0: not an action: 'wait'"),
    "a Baba policy that raises": (BABA, "def policy(observation):\n    return observation[99]\n",
                                  0.0, "seed 0, step 0: the policy raised IndexError"),
    "a vehicle action out of range": (VEHICLE, "def policy(vehicle, target):\n    return 7\n",
                                      0.0, "seed 0, step 0: not an action: '7'"),
    "a vehicle action of the wrong type": (
        VEHICLE, "def policy(vehicle, target):\n    return 1.0\n", 0.0,
        "seed 0, step 0: not an action: a float"),
    "a vehicle program without its policy": (
        VEHICLE, "def drive(vehicle, target):\n    return 1\n", 0.0,
        "the program defines no function policy(vehicle, target)"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_policy_earns_nothing_and_says_why(referee, name):
    task_id, code, score, why = BAD[name]
    verdict = _verdict(referee, task_id, code)
    assert verdict.status is not Status.PASSED and verdict.score == score, verdict
    assert why in (verdict.first_failure or "") + verdict.stderr, verdict


def test_a_vehicle_policy_may_import_the_simulator_and_look_ahead(referee):
    code = ("from vehicle import LEFT, NOTHING, RIGHT, THRUST, Vehicle\n\n"
            "def policy(vehicle: Vehicle, target):\n"
            "    def after(action):\n"
            "        return vehicle.update(action).position.distance(target)\n"
            "    return min((NOTHING, THRUST, LEFT, RIGHT), key=after)\n")
    verdict = _verdict(referee, VEHICLE, code)
    assert verdict.status is Status.PASSED and 0 < verdict.score < BASELINES[VEHICLE], verdict


@pytest.mark.parametrize("code, status", [
    ("def generate_maze(width, height, start, end):\n    return [[1] * width] * height\n",
     Status.FAILED),
    ("import time\n\ndef generate_maze(width, height, start, end):\n    time.sleep(0.15)\n"
     "    return [[0] * width for _ in range(height)]\n", Status.TIMEOUT),
])
def test_an_invalid_or_slow_maze_scores_nothing(referee, code, status):
    # 0.15 s: within the calibrated floor of a call (0.25 s), over the task's own 0.1 s.
    verdict = _verdict(referee, MAZE, code)
    assert verdict.status is status and verdict.score is None, verdict


def test_an_empty_maze_scores_the_manhattan_distance(referee):
    code = "def generate_maze(width, height, start, end):\n    return [[0] * width] * height\n"
    assert _verdict(referee, MAZE, code).score == 18.0


@pytest.mark.parametrize("game, policy", [(baba.GAME, baba.heuristic_policy),
                                          (baba.GAME, baba.random_policy(3)),
                                          (vehicle.GAME, vehicle.greedy_policy)])
def test_the_registered_form_of_a_game_returns_its_fitness(game, policy):
    scored = episode.FitnessReturns(game)
    for seed in (0, 3):
        state, total = scored.reset(seed), 0.0
        for _ in range(game.max_steps // 3):         # cut short, as the sandbox may
            state, reward, done = scored.step(state, policy(scored.observation(state)))
            total += reward
            if done:
                break
        assert math.isclose(total, game.fitness(state), abs_tol=1e-9)


def test_the_quoted_baselines_are_what_the_engines_measure():
    assert round(episode.mean_fitness(baba.GAME, baba.heuristic_policy, SEEDS), 2) == \
        BASELINES[BABA]
    assert round(episode.mean_fitness(vehicle.GAME, vehicle.greedy_policy, SEEDS), 2) == \
        BASELINES[VEHICLE]
    randoms = [episode.mean_fitness(baba.GAME, baba.random_policy(r), SEEDS) for r in range(20)]
    assert round(sum(randoms) / len(randoms), 2) == RANDOM[BABA]
    assert round(episode.mean_fitness(vehicle.GAME, vehicle.random_policy(0), SEEDS), 2) == \
        RANDOM[VEHICLE]
    solved = [100 - len(level.solution) for level in LEVELS]
    assert round(sum(solved) / len(solved), 1) == PROBLEMS[BABA].metadata["best_known"]
    mazes = [maze.fitness(maze.depth_first_maze(*maze.TASK, seed=s), *maze.TASK)
             for s in range(20)]
    assert round(sum(mazes) / len(mazes), 1) == RANDOM[MAZE]


def test_the_prompts_examples_are_true():
    level = baba.parse(["B=Y..", ".b..f", "F=V.."])
    assert str(baba.observation(level)).replace("'", '"') in prompts.BABA.replace("\n        ", "")
    assert baba.replay(level, ["right"] * 3)[0].won
    assert maze.fitness([[0, 0, 0, 0], [1, 1, 1, 0], [0, 0, 0, 0]], 4, 3, (0, 0), (0, 2)) == 8
    assert "references" not in references.VEHICLE and "codecrucible" not in references.BABA


@pytest.mark.parametrize("task_id, bad", [
    (BABA, "def policy(observation):\n    return 'wait'\n"),
    (VEHICLE, "def policy(vehicle, target):\n    return 'thrust'\n"),
    (MAZE, "def generate_maze(width, height, start, end):\n    return []\n"),
])
def test_crucible_judge_scores_the_reference_and_a_bad_program(tmp_path, task_id, bad):
    for name, code in (("reference", PROBLEMS[task_id].reference), ("bad", bad)):
        (tmp_path / f"{name}.py").write_text(code)
    judged = {name: crucible("judge", str(tmp_path / f"{name}.py"), "-b", "games", "--task",
                             task_id, "--json") for name in ("reference", "bad")}
    assert all(r.returncode == 0 for r in judged.values()), judged
    good, bad = (json.loads(judged[n].stdout)["verdicts"]["base"] for n in ("reference", "bad"))
    assert good["status"] == "passed" and math.isclose(good["score"], BASELINES[task_id],
                                                       abs_tol=0.005)
    assert good["components"] and bad["status"] == "failed" and not bad["score"], bad
    table = crucible("judge", str(tmp_path / "reference.py"), "-b", "games", "--task", task_id)
    assert "score (base)" in table.stdout
