"""Every request a strategy sends names its sample (``Request.trial``), in every round, so a run
of several models keeps each trial with one model (``models.ensemble``)."""

from __future__ import annotations

import pytest
from search.scripted import TESTED, program, searched

from codecrucible.strategies import Budget


@pytest.mark.parametrize("strategy", ["evolve", "evolve-islands", "repair"])
def test_every_round_of_a_trial_names_its_sample(strategy):
    candidates, model, _ = searched(strategy, TESTED, [program(v) for v in (5, 6, 7, 8, 9, 4)],
                                    Budget(rounds=2), n=2)
    assert len(model.requests) == 6  # two trials, three rounds each: none solved it
    for candidate in candidates:
        assert [a.request.trial for a in candidate.attempts] == [candidate.sample] * 3
