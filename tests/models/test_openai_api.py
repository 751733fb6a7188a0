"""The ``openai:URL#MODEL`` backend against real servers: llama-cpp-python's OpenAI-compatible
server running the embedded model, and small stdlib servers that fail on purpose (errors,
rate limits, silence) to exercise retries, timeouts and the API key."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from support import crucible, rows

from codecrucible.models import openai_api
from codecrucible.models.base import ModelError, ModelOptions, Request, factory_for


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def chat(text: str, **kw) -> Request:
    return Request(messages=(("user", text),), **kw)


# --- a real server: llama-cpp-python serving the embedded model ---------------------------------

@pytest.fixture(scope="module")
def llama_process(tmp_path_factory):
    from codecrucible.models.llama import CATALOG, assemble
    path = assemble(CATALOG["qwen2.5-coder-0.5b"])  # conftest shares the assembled files
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--host",
             "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--model_alias", "qwen"],
            stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            check_alive(proc, log)
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not answer within 120 s:\n"
                            f"{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield url, proc, log
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def check_alive(proc, log):
    if proc.poll() is not None:
        pytest.fail(f"llama_cpp.server exited {proc.returncode}:\n"
                    f"{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture
def llama_server(llama_process):
    """The server's URL; a test that finds it dead fails with its log, not a retry storm."""
    url, proc, log = llama_process
    check_alive(proc, log)
    yield url
    check_alive(proc, log)


def test_crucible_run_through_the_server(llama_server, tmp_path, data_dir):
    db = tmp_path / "served.db"
    result = subprocess.run(
        [str(Path(sys.executable).with_name("crucible")), "run",
         "-m", f"openai:{llama_server}#qwen",
         "--task", "HumanEval/2", "--task", "HumanEval/4", "--concurrency", "2",
         "--store", str(db), "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "pass@1" in result.stdout
    with sqlite3.connect(db) as conn:
        (environment,) = conn.execute("SELECT environment FROM runs").fetchone()
        attempts = conn.execute("SELECT tokens_in, tokens_out, code FROM attempts").fetchall()
    assert json.loads(environment)["model"]["backend"] == "openai"
    assert len(attempts) == 2 and all(t_in > 0 and t_out > 0 for t_in, t_out, _ in attempts)
    assert any(code and "def " in code for _, _, code in attempts)


def open_spec(spec: str, **options):
    factory, rest = factory_for(spec)
    return factory(rest, ModelOptions(**options))


def test_chat_greedy_answers_with_code_and_usage(llama_server):
    model = open_spec(f"openai:{llama_server}#qwen")
    assert model.chat and model.identity == f"openai:{llama_server}#qwen"
    [done] = model.generate([chat("Write a Python function add(a, b) that returns a + b. "
                                  "Reply with only the code.", max_tokens=64,
                                  prefill="```python\n")])
    assert "def add" in done.text and "return" in done.text
    assert done.tokens_in > 0 and done.tokens_out > 0 and done.latency_s > 0
    assert done.finish_reason in ("stop", "length")


def test_completion_endpoint(llama_server):
    model = open_spec(f"openai:{llama_server}#qwen", prompt_style="completion")
    assert not model.chat
    [done] = model.generate([Request(prompt="def square(x):\n    return", max_tokens=8,
                                     stop=("\n",))])
    assert "x" in done.text and "\n" not in done.text
    assert done.tokens_in > 0 and done.tokens_out > 0


def test_identical_greedy_requests_agree(llama_server):
    model = open_spec(f"openai:{llama_server}#qwen")
    request = chat("Name one Python sorting function. One word.", max_tokens=16)
    first, second = model.generate([request, request])
    assert first.text and first.text == second.text


def test_concurrent_requests_come_back_in_order(llama_server):
    model = open_spec(f"openai:{llama_server}#qwen", concurrency=4)
    words = ["apple", "banana", "cherry", "grape"]
    # Three repeats: after two, the model continues 'apple' with 'banana'.
    requests = [Request(prompt=f"print('{w}')\n" * 3 + "print('", max_tokens=6, stop=("'",))
                for w in words]
    assert [done.text for done in model.generate(requests)] == words


# --- stdlib servers that misbehave on purpose ---------------------------------------------------

def chat_answer(content: str) -> dict:
    return {"id": "x", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}}


class Fake:
    """A server whose ``respond(n, body)`` gives (status, JSON payload, seconds to wait first)
    for its n-th request; it records every request and the most it had in flight at once."""

    def __init__(self, respond):
        self.respond, self.seen = respond, []
        self.in_flight = self.most_in_flight = 0
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                headers = {name.lower(): value for name, value in self.headers.items()}
                with fake.lock:
                    fake.seen.append((self.path, headers, body))
                    n = len(fake.seen)
                    fake.in_flight += 1
                    fake.most_in_flight = max(fake.most_in_flight, fake.in_flight)
                status, payload, wait = fake.respond(n, body)
                time.sleep(wait)
                with fake.lock:  # before answering: the answer frees a slot for the next one
                    fake.in_flight -= 1
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except ConnectionError:
                    pass  # the client gave up waiting: that is the point of the timeout test

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False  # a handler still sleeping must not hold up teardown
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def serve(monkeypatch):
    monkeypatch.setattr(openai_api, "BACKOFF_S", 0.01)
    servers = []

    def start(respond) -> Fake:
        servers.append(Fake(respond))
        return servers[-1]
    yield start
    for server in servers:
        server.close()


def test_server_errors_are_retried(serve):
    fake = serve(lambda n, body: (500, {"error": "busy"}, 0) if n <= 2
                 else (200, chat_answer("def f(): pass"), 0))
    [done] = open_spec(f"openai:{fake.url}#m", retries=3).generate([chat("hi")])
    assert done.text == "def f(): pass" and (done.tokens_in, done.tokens_out) == (5, 3)
    assert len(fake.seen) == 3
    path, _, body = fake.seen[0]
    assert path == "/v1/chat/completions" and body["model"] == "m"
    assert body["temperature"] == 0 and body["messages"] == [{"role": "user", "content": "hi"}]


def test_rate_limit_gives_up_after_the_retries(serve):
    fake = serve(lambda n, body: (429, {"error": {"message": "slow down"}}, 0))
    model = open_spec(f"openai:{fake.url}#m", retries=2)
    with pytest.raises(ModelError) as err:
        model.generate([chat("hi")])
    assert len(fake.seen) == 3
    message = str(err.value)
    assert fake.url in message and "#m" in message and "429" in message and "3 tries" in message
    assert "\n" not in message


def test_client_errors_are_not_retried(serve):
    fake = serve(lambda n, body: (404, {"error": {"message": "no such model"}}, 0))
    with pytest.raises(ModelError, match="no such model"):
        open_spec(f"openai:{fake.url}#m", retries=3).generate([chat("hi")])
    assert len(fake.seen) == 1


def test_a_silent_server_times_out(serve):
    fake = serve(lambda n, body: (200, chat_answer("late"), 3))
    model = open_spec(f"openai:{fake.url}#m", retries=1, timeout_s=0.3)
    start = time.monotonic()
    with pytest.raises(ModelError, match="timeout") as err:
        model.generate([chat("hi")])
    assert time.monotonic() - start < 2.5
    assert len(fake.seen) == 2 and "2 tries" in str(err.value)


def test_nothing_listening():
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(ModelError, match="cannot reach the server after 2 tries") as err:
        openai_api.OpenAIModel(url, "x", ModelOptions(retries=1), backoff_s=0.01).generate(
            [chat("hi")])
    assert str(err.value).startswith(f"openai:{url}#x: ")
    assert "refused" in str(err.value).lower()


def test_nothing_listening_is_said_at_open_without_retries(tmp_path, data_dir):
    url = f"http://127.0.0.1:{free_port()}/v1"
    started = time.monotonic()
    with pytest.raises(ModelError, match="connection refused") as err:
        openai_api.open_openai(f"{url}#x", ModelOptions(retries=5))
    assert time.monotonic() - started < 2
    assert str(err.value).startswith(f"openai:{url}#x: ") and f"at {url} " in str(err.value)
    # crucible run stops before any run is created
    db = tmp_path / "r.db"
    result = crucible("run", "-m", f"openai:{url}#x", "--task", "HumanEval/0", "--store",
                      str(db), "--data-dir", str(data_dir))
    assert result.returncode == 2 and "connection refused" in result.stderr
    assert result.stderr.count("\n") == 1
    if db.exists():
        assert rows(db, "SELECT COUNT(*) FROM runs") == [(0,)]


def test_concurrency_is_bounded_and_order_kept(serve):
    # Later requests answer sooner, so completions arrive out of order.
    fake = serve(lambda n, body: (200, chat_answer(body["messages"][0]["content"]),
                                  0.3 - 0.04 * int(body["messages"][0]["content"])))
    model = open_spec(f"openai:{fake.url}#m", concurrency=3)
    done = model.generate([chat(str(i)) for i in range(7)])
    assert [c.text for c in done] == [str(i) for i in range(7)]
    assert fake.most_in_flight == 3


def test_generate_from_several_threads_at_once(serve):
    # Worker threads share one model; each call runs its own event loop and client.
    fake = serve(lambda n, body: (200, chat_answer(body["messages"][0]["content"]), 0.05))
    model = open_spec(f"openai:{fake.url}#m", concurrency=2)
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda t: [c.text for c in model.generate(
            [chat(f"{t}.{i}") for i in range(3)])], range(4)))
    assert answers == [[f"{t}.{i}" for i in range(3)] for t in range(4)]


def test_plain_prompts_use_the_completions_endpoint(serve):
    answer = {"id": "x", "object": "text_completion", "created": 0, "model": "m",
              "choices": [{"index": 0, "text": " 42", "finish_reason": "length"}]}
    fake = serve(lambda n, body: (200, answer, 0))
    [done] = open_spec(f"openai:{fake.url}#m").generate(
        [Request(prompt="x =", max_tokens=2, temperature=0.8, top_p=0.9, seed=7, stop=("\n",))])
    assert (done.text, done.finish_reason, done.tokens_in, done.tokens_out) == (" 42", "length",
                                                                               0, 0)
    path, _, body = fake.seen[0]
    assert path == "/v1/completions"
    assert {k: body[k] for k in ("prompt", "max_tokens", "temperature", "top_p", "seed", "stop")} \
        == {"prompt": "x =", "max_tokens": 2, "temperature": 0.8, "top_p": 0.9, "seed": 7,
            "stop": ["\n"]}


# --- the API key and the spec -------------------------------------------------------------------

@pytest.mark.parametrize("env, expected", [
    ({"CRUCIBLE_OPENAI_API_KEY": "sekret", "OPENAI_API_KEY": "other"}, "Bearer sekret"),
    ({"OPENAI_API_KEY": "other"}, "Bearer other"),
    ({}, "Bearer none"),
])
def test_api_key_comes_from_the_environment(serve, monkeypatch, env, expected):
    monkeypatch.delenv("CRUCIBLE_OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    fake = serve(lambda n, body: (200, chat_answer("ok"), 0))
    model = open_spec(f"openai:{fake.url}#m")
    model.generate([chat("hi")])
    assert fake.seen[0][1]["authorization"] == expected
    assert "other" not in json.dumps(model.describe()) and "other" not in model.identity


def test_a_key_the_server_echoes_stays_out_of_errors(serve, monkeypatch):
    monkeypatch.setenv("CRUCIBLE_OPENAI_API_KEY", "sekret")
    fake = serve(lambda n, body: (401, {"error": {"message": "bad key sekret"}}, 0))
    with pytest.raises(ModelError) as err:
        open_spec(f"openai:{fake.url}#m").generate([chat("hi")])
    assert "sekret" not in str(err.value)


@pytest.mark.parametrize("spec", ["openai:http://127.0.0.1:8000/v1", "openai:127.0.0.1:8000#m",
                                  "openai:ftp://host/v1#m", "openai:http://#m"])
def test_a_bad_spec_is_refused_with_an_example(spec):
    with pytest.raises(ModelError, match="e.g. openai:http"):
        open_spec(spec)


def test_describe_and_identity():
    model = open_spec("openai:http://host:8000/v1/#coder", concurrency=8)
    assert model.identity == "openai:http://host:8000/v1#coder"
    assert model.describe() == {"backend": "openai", "url": "http://host:8000/v1",
                                "model": "coder", "concurrency": 8, "chat": True}
    assert model.generate([]) == []


def test_the_backend_is_registered():
    assert factory_for("openai:http://h/v1#m")[0] is openai_api.open_openai
