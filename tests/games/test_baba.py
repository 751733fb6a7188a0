"""The Baba engine, one rule mechanic at a time on small maps, then the ten levels: every
reference solution wins and earns 100 - its length, wrong move sequences do not win, and the
later levels' solutions change the rules."""

from __future__ import annotations

import json

import pytest
from games.baba_search import shortest_solution

from codecrucible.benchmarks.games import baba, episode
from codecrucible.benchmarks.games.baba_levels import LEVELS


def moved(rows, *actions):
    """The state after the moves, and the last step's reward and done."""
    state, reward, done = baba.parse(rows), 0.0, False
    for action in actions:
        state, reward, done = baba.step(state, action)
    return state, reward, done


def where(state, label):
    return sorted((x, y) for name, x, y in state.things if name == label)


# Reading the rules.

def test_rules_read_across_and_down_in_reading_order():
    state = baba.parse(["B=Y", "=..", "V.."])
    assert state.rules == (("baba", "you"), ("baba", "win"))


def test_words_out_of_order_or_apart_make_no_rule():
    assert baba.parse(["Y=B.", "B.=Y", "=Y.B"]).rules == ()


def test_a_noun_after_is_makes_a_noun_rule_and_a_property_word_alone_nothing():
    assert baba.parse(["R=F", "Y.."]).rules == (("rock", "flag"),)


# Moving.

def test_you_moves_and_other_objects_stay():
    state, reward, done = moved(["B=Y.", "b.r."], "right")
    assert where(state, "baba") == [(1, 1)] and where(state, "rock") == [(2, 1)]
    assert (reward, done) == (0.0, False)


def test_every_you_object_moves_together():
    state, _, _ = moved(["B=Y..", "b....", "..b.."], "right", "right")
    assert where(state, "baba") == [(2, 1), (4, 2)]


def test_the_border_and_stop_block_a_move():
    state, _, _ = moved(["B=Y.", "W=X.", "bw.."], "left", "right")
    assert where(state, "baba") == [(0, 2)]


def test_you_objects_blocked_in_front_stack_behind():
    state, _, _ = moved(["B=Y..", "W=X..", "bbw.."], "right")
    assert where(state, "baba") == [(1, 2), (1, 2)]
    assert baba.observation(state)[2][1] == "baba+baba"


def test_other_objects_are_passed_over_and_share_the_cell():
    state, _, _ = moved(["B=Y.", "br.."], "right")
    assert baba.observation(state)[1][1] == "rock+baba"


# Pushing.

def test_a_move_pushes_a_whole_chain_of_push_things():
    state, _, _ = moved(["B=Y...", "R=P...", "brr..."], "right")
    assert where(state, "baba") == [(1, 2)] and where(state, "rock") == [(2, 2), (3, 2)]


def test_a_chain_against_stop_or_the_border_does_not_move_nor_does_the_mover():
    for rows in (["B=Y..", "R=P..", "W=X..", "brrw."], ["B=Y.", "R=P.", ".brr"]):
        state, _, _ = moved(rows, "right")
        assert state.things == baba.parse(rows).things


def test_words_are_always_pushable():
    state, _, _ = moved(["B=Y..", "bF..."], "right")
    assert where(state, "FLAG") == [(2, 1)]


def test_push_wins_over_stop():
    state, _, _ = moved(["B=Y..", "R=P..", "R=X..", "br..."], "right")
    assert where(state, "rock") == [(2, 3)]


def test_a_push_thing_that_is_you_moves_once_the_one_ahead_first():
    state, _, _ = moved(["B=Y...", "R=Y...", "R=P...", "br...."], "right")
    assert where(state, "baba") == [(1, 3)] and where(state, "rock") == [(2, 3)]


# Killing, winning and losing.

def test_kill_removes_you_and_with_no_you_left_the_level_is_lost():
    state, reward, done = moved(["B=Y..", "S=K..", "bs..."], "right")
    assert where(state, "baba") == [] and where(state, "skull") == [(1, 2)]
    assert state.lost and not state.won and (reward, done) == (0.0, True)


def test_only_the_you_objects_in_a_kill_cell_die():
    state, _, done = moved(["B=Y..", "S=K..", "bs...", "b...."], "right")
    assert where(state, "baba") == [(1, 3)] and not done


def test_you_and_win_in_one_cell_win_with_reward_one():
    state, reward, done = moved(["B=Y..", "F=V..", "b.f.."], "right", "right")
    assert state.won and (reward, done) == (1.0, True)


def test_a_finished_level_stays_finished():
    state, _, _ = moved(["B=Y..", "F=V..", "bf..."], "right")
    assert baba.step(state, "left") == (state, 0.0, True)


def test_breaking_the_only_you_rule_loses():
    state, _, done = moved(["...", "B=Y", "..b"], "up")
    assert state.rules == () and state.lost and done


# Rules changed by moves.

def test_forming_a_rule_takes_effect_on_the_move_that_forms_it():
    state, reward, done = moved(["B=Y..", "B=.V.", "....b"], "up", "left")
    assert ("baba", "win") in state.rules and state.won and (reward, done) == (1.0, True)


def test_noun_is_noun_turns_the_objects():
    state, _, _ = moved(["B=Y..", "R=.F.", "r...b"], "up", "left", "left")
    assert where(state, "rock") == [] and where(state, "flag") == [(0, 2)]


def test_a_noun_is_itself_keeps_it_from_turning():
    state = baba.parse(["B=Y.", "R=F.", "R=R.", "r..b"])
    assert where(state, "rock") == [(0, 3)]


def test_turning_into_you_lets_the_new_objects_move():
    state, _, _ = moved(["B=Y..", "R=B..", "r...."], "right")
    assert where(state, "baba") == [(1, 2)]


# The interface.

def test_observation_is_a_json_grid_of_labels_that_reads_back_as_the_things():
    state = baba.reset(0)
    grid = baba.observation(state)
    assert json.loads(json.dumps(grid)) == grid
    assert len(grid) == state.height and {len(row) for row in grid} == {state.width}
    assert grid[1][1:4] == ["BABA", "IS", "YOU"] and grid[0][0] == "empty"
    assert sorted(baba.things_seen(grid)) == sorted(state.things)


def test_a_non_action_or_a_missing_level_is_refused():
    with pytest.raises(ValueError, match="an action is one of"):
        baba.step(baba.reset(0), "jump")
    with pytest.raises(ValueError, match="there are 10 levels"):
        baba.reset(10)


def test_a_step_leaves_the_old_state_as_it_was():
    state = baba.reset(0)
    before = state.things
    after, _, _ = baba.step(state, "right")
    assert state.things == before and after.things != before


# The levels.

def test_there_are_ten_levels_that_parse_rectangular():
    assert len(LEVELS) == 10
    for level in LEVELS:
        assert len({len(row) for row in level.rows}) == 1, level.name
        assert not baba.parse(level.rows).won and not baba.parse(level.rows).lost


@pytest.mark.parametrize("index", range(10))
def test_each_reference_solution_wins_and_earns_100_minus_its_length(index):
    moves = LEVELS[index].moves()
    state, steps = baba.replay(baba.reset(index), moves)
    assert state.won and steps == len(moves)
    replayed = iter(moves)
    ep = episode.play(baba.GAME, lambda grid: next(replayed), index)
    assert ep.done and baba.fitness(ep) == 100 - len(moves)


@pytest.mark.parametrize("index", range(10))
def test_wrong_move_sequences_do_not_win(index):
    moves = LEVELS[index].moves()
    flipped = {"up": "down", "down": "up", "left": "right", "right": "left"}
    for wrong in (moves[:-1], [flipped[m] for m in moves], moves[::-1][:-1]):
        assert not baba.replay(baba.reset(index), wrong)[0].won


@pytest.mark.parametrize("index", [0, 1, 2, 3, 5])
def test_the_reference_solutions_of_the_quick_levels_are_shortest(index):
    """(The others' were found by the same search; it takes seconds to minutes on them.)"""
    assert len(shortest_solution(baba.reset(index))) == len(LEVELS[index].solution)


def test_no_win_leaves_the_rules_standing_on_the_level_that_teaches_breaking_them():
    assert shortest_solution(baba.reset(5), keep_rules=True) is None


def test_the_search_says_when_there_is_no_solution_or_it_gave_up():
    assert shortest_solution(baba.parse(["B=Y.", "F=V.", "b..."])) is None
    with pytest.raises(RuntimeError, match="within 3 states"):
        shortest_solution(baba.reset(9), max_states=3)


def test_the_later_levels_reference_solutions_change_the_rules():
    changed = [i for i, level in enumerate(LEVELS)
               if baba.replay(baba.reset(i), level.moves())[0].rules != baba.reset(i).rules]
    assert changed == [4, 5, 6, 7, 8, 9]


def test_an_unsolved_level_scores_nothing():
    ep = episode.play(baba.GAME, lambda grid: "left", 0)
    assert ep.steps == baba.MAX_STEPS and not ep.done and baba.fitness(ep) == 0.0


# Baselines.

def test_the_heuristic_solves_the_plain_levels_and_beats_random():
    heuristic = [baba.fitness(episode.play(baba.GAME, baba.heuristic_policy, i))
                 for i in range(10)]
    assert heuristic[0] == 100 - len(LEVELS[0].solution) and heuristic[1] > 0
    random_mean = episode.mean_fitness(baba.GAME, baba.random_policy(0), list(range(10)))
    assert sum(heuristic) / 10 > random_mean
