"""What runs inside the confined child, after every isolation layer is in place.

Three kinds of job: ``script`` runs a program as ``__main__``; ``calls`` loads a program and
calls its entry point on each test input, writing one answer line per test (never a verdict:
the child is never told the expected answers); ``record`` runs test statements against a
reference solution and records every call they make (calibration).

Answer lines go to ``RESULT_FD``: ``[index, value, exception, seconds]`` in wire encoding.
"""

from __future__ import annotations

import json
import os
import time

from codecrucible.sandbox import wire

RESULT_FD = 3
LOADED = b"loaded\n"  # written once the program is loaded, before the first answer


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _line(frame: list) -> bytes:
    return (json.dumps(frame, separators=(",", ":")) + "\n").encode()


def _send(frame: list) -> None:
    write_all(RESULT_FD, _line(frame))


def _run_script(job: dict) -> None:
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    exec(compile(job["code"], job.get("filename", "<candidate>"), "exec"), namespace)


def _load_entry(job: dict) -> object:
    namespace = {"__name__": "__candidate__", "__builtins__": __builtins__}
    exec(compile(job["code"], "<candidate>", "exec"), namespace)
    entry = namespace.get(job["entry"])
    if not callable(entry):
        raise NameError(f"entry point {job['entry']!r} is not defined")
    return entry, namespace


def _run_calls(job: dict) -> None:
    """Call the entry point on every test input; send back each value, never a verdict."""
    entry, _ = _load_entry(job)
    write_all(RESULT_FD, LOADED)  # the load allowance ends here; the first test's window opens
    none_check = job.get("oracle") == "not_none"
    timed = job.get("timed", False)
    clock = time.perf_counter
    for index, raw in enumerate(job["tests"]):
        args = wire.loads(raw)
        started = clock()
        try:
            out = entry(*args)
            seconds = clock() - started if timed else None
            value = wire.answer(out is not None if none_check else out)
            line = f"[{index},{value},null,{json.dumps(seconds)}]\n".encode()
        except (wire.Unserializable, ValueError) as err:
            line = _line([index, None, f"Unserializable:{err}"[:200], None])
        except BaseException as err:
            line = _line([index, None, type(err).__name__, None])
        write_all(RESULT_FD, line)


def _run_record(job: dict) -> None:
    """Run test snippets against a reference solution, recording each top-level call."""
    entry, namespace = _load_entry(job)
    depth = [0]
    snippet = [0]

    def recorder(*args):
        if depth[0]:
            return entry(*args)
        depth[0] += 1
        plain_args = json.dumps(wire.to_plain(args), separators=(",", ":"))
        value, exc = "null", None
        started = time.perf_counter()
        try:
            out = entry(*args)
            try:
                value = wire.answer(out)
            except (wire.Unserializable, ValueError) as err:
                exc = f"Unserializable:{err}"
            return out
        except BaseException as err:
            exc = type(err).__name__
            raise
        finally:
            seconds = time.perf_counter() - started
            write_all(RESULT_FD, f'["call",{snippet[0]},{plain_args},{value},{json.dumps(exc)},'
                                  f'{seconds}]\n'.encode())
            depth[0] -= 1

    namespace[job["entry"]] = recorder
    for index, source in enumerate(job["snippets"]):
        snippet[0] = index
        try:
            exec(compile(source, f"<test {index}>", "exec"), namespace)
            _send(["done", index, None])
        except BaseException as err:
            _send(["done", index, type(err).__name__])


RUNNERS = {"script": _run_script, "calls": _run_calls, "record": _run_record}
