"""The wall-clock bound on every model call (``ModelOptions.call_timeout_s``): the embedded model
ends a call at its deadline keeping the text so far, a server that never answers costs one
empty "timeout" completion, and neither is cached or wedges the caller."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from support import LocalServer

from codecrucible.files import cache_dir
from codecrucible.models import (
    Completion,
    ModelError,
    ModelOptions,
    Request,
    open_model,
    openai_api,
)
from codecrucible.models.cache import ResponseCache
from codecrucible.models.stalls import TIMEOUTS_IN_A_ROW, ModelStalled, StallWatch

STORY = Request(messages=(("user", "Write a long story about a dragon, at least 400 words."),),
                max_tokens=500)


def _cached(model, request: Request) -> bool:
    cache = ResponseCache(cache_dir() / "responses.sqlite")
    try:
        return cache.get(request.key(model.identity)) is not None
    finally:
        cache.close()


def test_the_embedded_model_stops_at_the_deadline_and_keeps_its_text():
    model = open_model("embedded:qwen2.5-coder-0.5b", ModelOptions(call_timeout_s=0.3))
    try:
        [first] = model.generate([STORY])
        # The prompt is processed now (uninterruptible), so the second call generates at once.
        [short] = model.generate([STORY])
        assert first.finish_reason == short.finish_reason == "timeout"
        assert short.tokens_out < STORY.max_tokens and not short.cached
        assert short.model == "embedded:qwen2.5-coder-0.5b"
        assert not _cached(model, STORY)  # a resumed run asks again
        assert model.meter.timeouts == 2 and model.meter.calls == 2
        # What came before the deadline is the start of the whole answer.
        model.model.call_timeout_s = 300.0
        longer = Request(messages=STORY.messages, max_tokens=short.tokens_out + 20)
        [whole] = model.generate([longer])
        assert whole.finish_reason == "length" and whole.text.startswith(short.text)
        assert _cached(model, longer)
    finally:
        model.close()


def _silent(status: int | None) -> LocalServer:
    """A server that reads each request and never answers it (until closed), or answers every
    request with HTTP ``status``."""
    busy = (status, {"error": {"message": "busy"}})
    return LocalServer(lambda n: None if status is None else busy)


@pytest.fixture
def silent():
    servers = []

    def start(status: int | None = None) -> LocalServer:
        servers.append(_silent(status))
        return servers[-1]
    yield start
    for server in servers:
        server.close()


@pytest.mark.timeout(60)
def test_a_server_that_never_answers_costs_one_timeout_completion(silent):
    server = silent()
    model = open_model(f"openai:{server.url}#m", ModelOptions(call_timeout_s=1.0))
    request = Request(messages=(("user", "hi"),), max_tokens=16)
    [done] = model.generate([request])
    assert (done.text, done.finish_reason, done.tokens_out) == ("", "timeout", 0)
    assert done.model == f"openai:{server.url}#m" and server.requests == 1
    assert model.meter.timeouts == 1 and not _cached(model, request)


@pytest.mark.timeout(60)
def test_retries_of_timed_out_tries_stay_within_the_call_bound(silent, monkeypatch):
    monkeypatch.setattr(openai_api, "BACKOFF_S", 0.01)
    server = silent()
    options = ModelOptions(timeout_s=0.2, retries=1000, call_timeout_s=1.5)
    [done] = open_model(f"openai:{server.url}#m", options).generate(
        [Request(messages=(("user", "hi"),))])
    assert done.finish_reason == "timeout"
    assert 1 < server.requests < 1000  # retried, and stopped by the bound, not the retries


@pytest.mark.timeout(60)
def test_a_failing_server_is_still_an_error_when_the_bound_ends_its_retries(silent,
                                                                             monkeypatch):
    monkeypatch.setattr(openai_api, "BACKOFF_S", 0.3)
    server = silent(status=503)
    model = open_model(f"openai:{server.url}#m",
                       ModelOptions(retries=1000, call_timeout_s=1.0))
    with pytest.raises(ModelError, match="HTTP 503 after [0-9]+ tries"):
        model.generate([Request(messages=(("user", "hi"),))])
    assert model.meter.timeouts == 0


def test_a_stalled_call_does_not_hold_up_the_others(silent):
    """Requests sent together: each has its own bound, and the batch comes back."""
    server = silent()
    model = open_model(f"openai:{server.url}#m", ModelOptions(call_timeout_s=0.5,
                                                              concurrency=4))
    start = time.monotonic()
    done = model.generate([Request(messages=(("user", f"hi {i}"),)) for i in range(3)])
    assert [d.finish_reason for d in done] == ["timeout"] * 3
    assert time.monotonic() - start < 50  # not the server's 120 s


@pytest.mark.timeout(60)
def test_calls_timing_out_in_a_row_stop_the_next_call(silent):
    """The calls that timed out come back as their answers; the next one is refused at once,
    naming the model (``stalls.py``), and so is every one after it."""
    server = silent()
    model = open_model(f"openai:{server.url}#m", ModelOptions(call_timeout_s=0.3))
    for i in range(TIMEOUTS_IN_A_ROW):
        [done] = model.generate([Request(messages=(("user", f"hi {i}"),))])
        assert done.finish_reason == "timeout"
    for _ in range(2):
        with pytest.raises(ModelStalled, match=f"model openai:.*#m: {TIMEOUTS_IN_A_ROW} calls "
                                               "in a row timed out after 0.3 s each"):
            model.generate([Request(messages=(("user", "again"),))])
    assert server.requests == TIMEOUTS_IN_A_ROW


def test_an_answer_in_between_starts_the_count_again():
    watch = StallWatch("m", 1.0)
    late, fine = Completion("", 0, 0, 1.0, "timeout"), Completion("x", 1, 1, 0.1)
    watch.saw([late] * (TIMEOUTS_IN_A_ROW - 1) + [fine] + [late] * (TIMEOUTS_IN_A_ROW - 1))
    watch.check()                                         # not yet
    watch.saw([replace(late, cached=True)])               # a cache hit tells nothing
    watch.check()
    watch.saw([late])
    with pytest.raises(ModelStalled):
        watch.check()
    never = StallWatch("m", 1.0, limit=0)
    never.saw([late] * 100)
    never.check()
