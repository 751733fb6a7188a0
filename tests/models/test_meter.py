"""The meter every model call goes through: cache hits are counted, never as generated."""

from __future__ import annotations

from dataclasses import asdict

from codecrucible.models.cache import Meter, tokens_per_second
from codecrucible.records import Completion


def test_tokens_per_second_counts_only_what_the_model_generated():
    meter = Meter()
    meter.add(Completion("a", 10, 100, 2.0))               # generated: 100 tokens in 2 s
    meter.add(Completion("b", 10, 5000, 0.0, cached=True))  # served by the cache
    assert meter.tokens_out == 5100 and meter.tokens_generated == 100
    assert tokens_per_second(asdict(meter)) == 50.0


def test_a_session_of_cache_hits_has_no_speed():
    meter = Meter()
    meter.add(Completion("b", 10, 5000, 1.5, cached=True))
    assert tokens_per_second(asdict(meter)) == 0.0
