"""Several models behind one ``Model`` (``models.ensemble``): routing by trial, a meter per
member, and members that cannot share requests refused with their names."""

from __future__ import annotations

import socket
import threading
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from codecrucible.models import Ensemble, ModelError, ModelOptions, Request, open_models
from codecrucible.models.llama import CATALOG, assemble
from codecrucible.runs.from_model import RunConfig, RunError
from codecrucible.strategies import Sampling

EMBEDDED = "embedded:qwen2.5-coder-0.5b"


@pytest.fixture(scope="module")
def pair():
    """The embedded model twice: by name and as a GGUF file (the same bytes, two members)."""
    path = assemble(CATALOG["qwen2.5-coder-0.5b"])
    model = open_models([EMBEDDED, f"gguf:{path}"], ModelOptions(threads=1))
    yield model
    model.close()


def test_trials_go_to_members_round_robin(pair):
    assert isinstance(pair, Ensemble)
    requests = [Request(prompt=f"# {i}\ndef f():", max_tokens=4, trial=i) for i in range(4)]
    done = pair.generate(requests)
    specs = [m.spec for m in pair.members]
    assert [d.model for d in done] == [specs[0], specs[1], specs[0], specs[1]]
    assert Request(prompt="x").trial is None and pair.route(Request(prompt="x")) == 0
    meters = pair.meters()
    assert [meters[s]["calls"] for s in specs] == [2, 2]
    assert pair.meter.calls == 4
    assert pair.meter.tokens_out == sum(m["tokens_out"] for m in meters.values())


def test_the_trial_is_not_part_of_the_cache_key():
    one, other = Request(prompt="p", trial=0), Request(prompt="p", trial=5)
    assert one.key("m") == other.key("m")


def test_the_ensemble_records_every_member(pair):
    described = pair.describe()
    assert described["backend"] == "ensemble" and described["routing"] == "trial mod members"
    assert [m["spec"] for m in described["members"]] == [m.spec for m in pair.members]
    assert all(m["identity"].startswith("gguf:") for m in described["members"])
    assert pair.chat and pair.prefills and pair.serial
    assert pair.identity == " + ".join(m.identity for m in pair.members)


def test_members_that_take_different_requests_are_refused_by_name():
    """llama.cpp prefills answers, a chat server cannot: one request cannot serve both."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        with pytest.raises(ModelError) as err:
            open_models([EMBEDDED, f"openai:{url}#m"], ModelOptions(threads=1))
    finally:
        server.shutdown()
        server.server_close()
    message = str(err.value)
    assert EMBEDDED in message and f"openai:{url}#m" in message and "prefill" in message


def test_a_model_named_twice_is_refused():
    with pytest.raises(ModelError, match="named twice"):
        open_models([EMBEDDED, EMBEDDED])


def test_a_member_that_cannot_open_fails_the_whole():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ModelError, match="nothing listens"):
        open_models([EMBEDDED, f"openai:http://127.0.0.1:{port}/v1#m"], ModelOptions(threads=1))


def test_greedy_runs_of_several_models_take_one_sample_per_model():
    models = ("embedded:a", "embedded:b")
    RunConfig(model=models[0], models=models, sampling=Sampling(n=2)).check()
    with pytest.raises(RunError, match="use -n 2"):
        RunConfig(model=models[0], models=models, sampling=Sampling(n=3)).check()
    with pytest.raises(RunError, match="use -n 1"):
        RunConfig(sampling=Sampling(n=2)).check()


def test_one_model_keeps_its_config_key():
    assert RunConfig(models=()).key() == RunConfig().key() == \
        "b8fcbc92bb60c5a5c812045b0f48c238d1eaeaf643599a055ebf0db662112dda"
    several = RunConfig(models=(EMBEDDED, "embedded:other"))
    assert several.key() != RunConfig().key()
    assert RunConfig.from_dict(asdict(several)) == several
    assert RunConfig(model_options=ModelOptions(call_timeout_s=5)).key() != RunConfig().key()
