"""Any OpenAI-compatible server (``openai:URL#MODEL``): vLLM, llama.cpp, Ollama, TGI, the API.

Chat requests go to ``/chat/completions``, plain prompts to ``/completions``. A call sends its
requests concurrently (at most ``options.concurrency`` in flight) and retries rate limits,
server errors, lost connections and timeouts with exponential backoff.

Each request has a hard wall-clock bound, ``options.call_timeout_s``, counted from when it gets
its slot, tries and backoff included. A server that holds the request past it (accepted, never
answered) costs one completion with ``finish_reason="timeout"`` and empty text, not the run.
A server that cannot be reached, refuses the request or keeps failing raises ``ModelError``
after its retries, as before: that is a configuration error or a broken server, not a stall
(a refused connection to a local server is said at open, with no retries at all). When every
try ran into ``options.timeout_s`` (``--request-timeout``) before the call's bound, the
retries end in ``ModelError`` too. The API key is read from
the environment only (``CRUCIBLE_OPENAI_API_KEY``, then ``OPENAI_API_KEY``), so it never appears
in a spec, a run record, the response cache's identity or an error message.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import random
import socket
import time
import urllib.request
from collections.abc import Sequence
from urllib.parse import urlparse

from codecrucible.models.base import Completion, ModelError, ModelOptions, Request

EXAMPLE = "openai:http://127.0.0.1:8000/v1#qwen"
BACKOFF_S = 1.0          # first retry waits about this long, then twice as long each time
MAX_BACKOFF_S = 60.0
PROBE_S = 2.0            # the one quick connection tried at open to a local or IP-literal server
RETRY_STATUS = {408, 409, 429}  # and every 5xx


def api_key() -> str:
    # Local servers ignore the key, but the SDK refuses to start without one.
    return os.environ.get("CRUCIBLE_OPENAI_API_KEY") or os.environ.get("OPENAI_API_KEY") or "none"


class OpenAIModel:
    """One model on one server. Each ``generate`` call runs its own event loop (and so its own
    client, since an httpx async client belongs to the loop that made it), which keeps calls
    from several worker threads independent."""

    prefills = False  # chat APIs cannot start the assistant's answer
    serial = False    # calls from several threads run side by side

    def __init__(self, base_url: str, model: str, options: ModelOptions,
                 *, backoff_s: float | None = None):
        try:
            import openai
        except ImportError as err:  # a core dependency, imported late: it is slow to import
            raise ModelError(f"openai:{base_url}#{model}: the openai package is not installed "
                             f"({err})") from None
        self._openai = openai
        self.base_url, self.model = base_url, model
        self.spec = self.identity = f"openai:{base_url}#{model}"
        self.chat = options.prompt_style != "completion"
        self.concurrency = max(1, options.concurrency)
        self.timeout_s = options.timeout_s
        self.call_timeout_s = options.call_timeout_s
        self.retries = max(0, options.retries)
        self.backoff_s = BACKOFF_S if backoff_s is None else backoff_s  # read late: tests set it

    def describe(self) -> dict:
        return {"backend": "openai", "url": self.base_url, "model": self.model,
                "concurrency": self.concurrency, "chat": self.chat}

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        if not requests:
            return []
        return asyncio.run(self._all(requests))

    async def _all(self, requests: Sequence[Request]) -> list[Completion]:
        # The SDK's own retries cannot be tuned or counted; ours report how many tries failed.
        client = self._openai.AsyncOpenAI(base_url=self.base_url, api_key=api_key(),
                                          timeout=self.timeout_s, max_retries=0)
        slots = asyncio.Semaphore(self.concurrency)
        tasks = [asyncio.ensure_future(self._one(client, slots, r)) for r in requests]
        try:
            return list(await asyncio.gather(*tasks))
        finally:
            # On the first failure stop the rest before the client they use is closed.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await client.close()

    async def _one(self, client, slots: asyncio.Semaphore, request: Request) -> Completion:
        openai = self._openai
        async with slots:  # held through backoff, so a struggling server gets fewer requests
            start = time.perf_counter()
            deadline = start + self.call_timeout_s
            tries, last = 0, None
            while True:
                left = deadline - time.perf_counter()
                if left <= 0:
                    break
                tries += 1
                try:
                    response = await asyncio.wait_for(self._send(client, request), left)
                    return self._completion(request, response, time.perf_counter() - start)
                except openai.APIStatusError as err:
                    if err.status_code not in RETRY_STATUS and err.status_code < 500:
                        raise ModelError(f"{self.spec}: the server refused the request "
                                         f"({_one_line(str(err))})") from None
                    last = err
                except openai.APIConnectionError as err:  # timeouts of a try included
                    last = err
                except asyncio.TimeoutError:  # the call's deadline, reached during a try
                    break
                if tries > self.retries:
                    raise ModelError(self._failure(last, tries)) from None
                await asyncio.sleep(min(self._delay(tries - 1, last),
                                        max(0.0, deadline - time.perf_counter())))
            if last is None or isinstance(last, openai.APITimeoutError):
                # No answer in time: the call is spent, as a stalled call must not hold the run.
                return Completion("", 0, 0, time.perf_counter() - start, "timeout")
            # The deadline came during the backoff after a refusal or a lost connection: the
            # server is failing, not slow, and that is said as before.
            raise ModelError(self._failure(last, tries)) from None

    async def _send(self, client, request: Request):
        sampling = {"model": self.model, "max_tokens": request.max_tokens,
                    "temperature": request.temperature, "top_p": request.top_p,
                    "seed": request.seed}
        if request.stop:
            sampling["stop"] = list(request.stop)
        if request.is_chat:
            # Chat APIs cannot start the assistant's answer, so the prefill is left out.
            messages = [{"role": role, "content": content} for role, content in request.messages]
            return await client.chat.completions.create(messages=messages, **sampling)
        return await client.completions.create(prompt=request.prompt, **sampling)

    def _completion(self, request: Request, response, latency: float) -> Completion:
        try:
            choice = response.choices[0]
            text = choice.message.content if request.is_chat else choice.text
        except (AttributeError, IndexError, TypeError):
            raise ModelError(f"{self.spec}: the server's answer has no completion "
                             f"({str(response)[:200]!r})") from None
        usage = getattr(response, "usage", None)
        return Completion(text or "", getattr(usage, "prompt_tokens", 0) or 0,
                          getattr(usage, "completion_tokens", 0) or 0, latency,
                          choice.finish_reason or "stop")

    def _delay(self, attempt: int, err: Exception) -> float:
        delay = self.backoff_s * 2 ** attempt * random.uniform(0.5, 1.0)  # jitter spreads retries
        response = getattr(err, "response", None)
        if response is not None:  # a rate limit may say how long to wait
            try:
                delay = max(delay, float(response.headers.get("retry-after", "")))
            except ValueError:
                pass
        return min(delay, MAX_BACKOFF_S)

    def _failure(self, err: Exception, count: int) -> str:
        tries = f"after {count} {'try' if count == 1 else 'tries'}"
        if isinstance(err, self._openai.APITimeoutError):
            return f"{self.spec}: no answer within the {self.timeout_s:g} s timeout {tries}"
        if isinstance(err, self._openai.APIConnectionError):
            return f"{self.spec}: cannot reach the server {tries} ({_one_line(_reason(err))})"
        return f"{self.spec}: the server answered HTTP {err.status_code} {tries} " \
               f"({_one_line(str(err))})"

    def close(self) -> None:
        pass  # clients live only as long as one generate call


def _reason(err: BaseException) -> str:
    """Why a connection failed, from the bottom of the exception chain: the SDK says only
    'Connection error.' and httpx 'All connection attempts failed'; the OS says 'Connection
    refused'. Contexts are followed even where suppressed: httpcore hides the OS error so."""
    chain = []
    while err is not None and err not in chain:
        chain.append(err)
        err = err.__cause__ or err.__context__
    errnos = [e.errno for e in chain if isinstance(e, OSError) and e.errno]
    if errnos:
        return os.strerror(errnos[-1])
    return next((str(e) for e in reversed(chain) if str(e)), type(chain[0]).__name__)


def _one_line(text: str) -> str:
    """An error's text, on one line and short; a key a server echoes back is cut out."""
    text = " ".join(text.split())
    key = api_key()
    if key != "none":
        text = text.replace(key, "***")
    return text if len(text) <= 200 else text[:197] + "..."


def open_openai(rest: str, options: ModelOptions) -> OpenAIModel:
    url, _, model = rest.partition("#")
    parsed = urlparse(url)
    if not model.strip() or parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ModelError(f"openai:{rest}: expected openai:URL#MODEL with an http(s) URL of the "
                         f"API root, e.g. {EXAMPLE}")
    _check_listening(url.rstrip("/"), model.strip())
    return OpenAIModel(url.rstrip("/"), model.strip(), options)


def _check_listening(url: str, model: str) -> None:
    """One quick connection to a server named by IP address or as localhost: if it is refused,
    nothing listens there, and the run stops now instead of after its retries. A host name is
    not looked up here (a slow resolver would hold up every open), and a connection through a
    proxy, a timeout or any other error is left to the requests and their retries."""
    parsed = urlparse(url)
    host = parsed.hostname or ""
    if host != "localhost":
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return
    if urllib.request.getproxies().get(parsed.scheme) and not urllib.request.proxy_bypass(host):
        return
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=PROBE_S).close()
    except ConnectionRefusedError:
        raise ModelError(f"openai:{url}#{model}: nothing listens at {url} (connection "
                         "refused); start the server or check the URL") from None
    except OSError:
        return
