"""llama.cpp's OpenAI-compatible server (``python -m llama_cpp.server``) as a context manager.

Started in a session of its own, so that stopping it (SIGTERM, then SIGKILL after a grace
period) takes everything it started; stopped on leaving the block whatever happened, Ctrl-C
included. The server's log (uvicorn's access lines among it) is kept in a file, so a caller can
count the requests it answered: ``count_calls(log, offset)``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

CHAT_LINE = '"POST /v1/chat/completions HTTP/1.1" 200'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_busy(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def llama_server(python: Path, gguf: Path, port: int, alias: str, log: Path, *,
                 context: int = 8192, threads: int | None = None, start_s: float = 180.0):
    """Serve ``gguf`` as model ``alias`` on 127.0.0.1:``port``; yields the /v1 base URL."""
    if port_busy(port):
        raise SystemExit(f"port {port} is busy: pick another with --port (0 picks a free one)")
    argv = [str(python), "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
            "--port", str(port), "--model_alias", alias, "--n_ctx", str(context)]
    if threads:
        argv += ["--n_threads", str(threads)]
    handle = open(log, "w")
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=handle,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_ready(proc, url, log, start_s)
        yield url
    finally:
        _stop(proc)
        handle.close()


def _wait_ready(proc: subprocess.Popen, url: str, log: Path, start_s: float) -> None:
    deadline = time.monotonic() + start_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise SystemExit(f"llama.cpp server exited with code {proc.returncode}:\n{tail}\n"
                             "(is llama-cpp-python installed with its [server] extra?)")
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise SystemExit(f"llama.cpp server did not answer within {start_s:.0f} s (log: {log})")


def _stop(proc: subprocess.Popen) -> None:
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue


def log_size(log: Path) -> int:
    return log.stat().st_size if log.exists() else 0


def count_calls(log: Path, offset: int = 0, end: int | None = None) -> int:
    """Chat completions the server answered (status 200) in ``log`` between two offsets."""
    with open(log, "rb") as handle:
        handle.seek(offset)
        text = handle.read(None if end is None else end - offset).decode(errors="replace")
    return text.count(CHAT_LINE)
