"""What runs inside the confined child, after every isolation layer is in place.

Eight kinds of job: ``script`` runs a program as ``__main__``; ``calls`` loads a program and
calls its entry point on each test input, writing one answer line per test (never a verdict:
the child is never told the expected answers); ``episode`` loads a policy and calls it on each
observation the harness sends while it plays a game (one at a time, on the job's pipe),
answering each with the action it returned (the game itself stays in the harness); ``record``
runs test statements against a reference solution and records every call they make
(calibration); ``program`` runs a whole program and answers once, with the value it printed
last (MTPB); ``values`` and ``check`` (``checked.py``) run the two sides of a program checked
by its benchmark's own code in a process apart (DS-1000): the results, and, on a reference
server, the checker; ``profile`` measures a correct program's entry point on chosen inputs, in
instructions where the kernel counts them and CPU time where it does not (the efficiency
judge).

Answer lines go to ``RESULT_FD``: ``[index, value, exception, seconds]`` in wire encoding.
"""

from __future__ import annotations

import ast
import builtins
import json
import sys
import time
import traceback

from codecrucible.sandbox import checked, wire
from codecrucible.sandbox.channel import JOB_FD, RESULT_FD, write_all
from codecrucible.sandbox.frames import read_frame

LOADED = b"loaded\n"  # written once the program is loaded, before the first answer
# The longest answer line an honest run writes, with room to spare: a value over
# ``wire.DIGEST_ABOVE`` travels as its digest. Calibration's ``record`` lines carry a test's
# arguments, which can be large; they are bounded by the job's result cap alone.
LINE_BYTES = 1 << 20
EPISODE_LINE_BYTES = 64 << 10  # an action is a short string: an answer line is far shorter
_SHOWN = 200  # characters of a reason a value could not be sent
TRACE_FRAMES = 5  # of a candidate's error's traceback, the innermost, written to its stderr


def answer_lines(job: dict) -> int | None:
    """How many answer lines (after ``LOADED``) the runner writes for ``job``; None when that
    depends on what the program does (``record``). The server forwards no more than this."""
    kind, tests = job.get("kind", "script"), job.get("tests") or []
    if kind == "calls":
        return len(tests)
    if kind == "profile":
        return len(tests) + (2 if tests else 1)  # + the metric line and the peak line
    return {"program": 1, "script": 0}.get(kind)


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
    # A score is computed from the whole value; any other answer may travel as its digest.
    encode = wire.dumps if job.get("whole_values") else wire.answer
    clock = time.perf_counter
    told = False
    for index, raw in enumerate(job["tests"]):
        args = wire.loads(raw)
        started = clock()
        try:
            out = entry(*args)
        except BaseException as err:
            if not told:
                told = _tell(err)
            write_all(RESULT_FD, _line([index, None, type(err).__name__, None]))
            continue
        seconds = clock() - started if timed else None
        value, why = _encoded(encode, out is not None if none_check else out)
        if why is None:
            write_all(RESULT_FD, f"[{index},{value},null,{json.dumps(seconds)}]\n".encode())
        else:
            _send([index, None, why, None])


def _tell(err: BaseException) -> bool:
    """Write the candidate's error to its stderr as a developer reads it (the message and the
    program's own lines, ``TRACE_FRAMES`` at most, not the runner's), once per run, so that a
    search's feedback says more than the error's name. Bounded: the run's output cap stands."""
    trace = err.__traceback__.tb_next if err.__traceback__ else None  # past the runner's frame
    try:
        traceback.print_exception(type(err), err, trace, limit=-TRACE_FRAMES, file=sys.stderr)
    except Exception:   # its message is its own code, which may refuse to be printed
        print(f"{_class_name(err)} (its message could not be printed)", file=sys.stderr)
    return True


def _encoded(encode, value: object) -> tuple[str | None, str | None]:
    """The wire text of a value the candidate returned, or, when it cannot cross, why not
    (``Unserializable:...``). Encoding reads only exact builtin types, yet some of the
    candidate's code can still run here (a set member's ``__lt__`` while the set is sorted, a
    numpy look-alike's ``item``): whatever that raises makes the value unserializable too, and
    is named by its class's own name, never by its message (``__str__`` is its code again)."""
    try:
        return encode(value), None
    except MemoryError:
        return None, "MemoryError"
    except Exception as err:
        said = err.args[0] if type(err) is wire.Unserializable and err.args else None
        why = said if type(said) is str else f"{_class_name(err)} while encoding the value"
        return None, f"Unserializable:{why}"[:_SHOWN]


def _class_name(err: BaseException) -> str:
    """The name the exception's class was created with; a metaclass cannot replace it."""
    return type.__dict__["__name__"].__get__(type(err))


def _run_episode(job: dict) -> None:
    """Call the entry point (a policy) on each observation that arrives on ``JOB_FD``, one at a
    time, and send back what it returned, until the pipe ends. The harness sends the next
    observation only once it has this one's answer, so there is nothing to read ahead."""
    policy, _ = _load_entry(job)
    write_all(RESULT_FD, LOADED)
    index = 0
    while (message := read_frame(JOB_FD)) is not None:
        line = _step(index, policy, wire.loads(message["observe"]))
        sys.stdout.flush()  # the episode ends with a kill: what it printed is kept
        write_all(RESULT_FD, line)
        index += 1


def _step(index: int, policy, observation: object) -> bytes:
    """One step's answer line: the action the policy returned, or what it raised."""
    started = time.perf_counter()
    try:
        action = policy(observation)
    except BaseException as err:
        _tell(err)   # the episode ends here: this is the only error it has
        return _line([index, None, type(err).__name__, None])
    seconds = time.perf_counter() - started
    value, why = _encoded(wire.dumps, action)
    if why is not None:
        return _line([index, None, why, None])
    return f"[{index},{value},null,{json.dumps(seconds)}]\n".encode()


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
            value, exc = _encoded(wire.answer, out)
            value = value or "null"
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


def _printing_last_statement(code: str) -> ast.Module:
    """The program with a final bare expression printed, as MTPB's evaluator does."""
    tree = ast.parse(code, "<candidate>")
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr) and not (
            isinstance(last.value, ast.Call) and isinstance(last.value.func, ast.Name)
            and last.value.func.id == "print"):
        call = ast.Call(func=ast.Name("print", ast.Load()), args=[last.value], keywords=[])
        tree.body[-1] = ast.fix_missing_locations(ast.copy_location(ast.Expr(call), last))
    return tree


def _plain_output(value: object) -> object:
    """MTPB's normalisation of a printed value: pandas Series and numpy values become lists
    and Python scalars, and a list of tuples a list of lists (wire does numpy itself)."""
    pandas = sys.modules.get("pandas")
    if pandas is not None and type(value) in (pandas.Series, pandas.Index):
        value = value.to_numpy().tolist()
    if type(value) is list and value and all(type(v) is tuple for v in value):
        value = [list(v) for v in value]
    return value


def _run_program(job: dict) -> None:
    """Run a whole program; answer once, with the first argument of its last ``print`` call
    (``answer`` is ``last_print``, the only mode: a verdict never rests on a program having
    run to its end, which a program can fake from within)."""
    if job.get("answer") != "last_print":
        raise ValueError(f"unknown program answer {job.get('answer')!r}")
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    printed: list = []
    real_print = builtins.print

    def recording_print(*args, **kwargs):
        if args:
            printed[:] = [args[0]]
        real_print(*args, **kwargs)

    namespace["print"] = recording_print
    code = compile(_printing_last_statement(job["code"]), "<candidate>", "exec")
    try:
        exec(code, namespace)
    except BaseException as err:
        traceback.print_exc()
        _send([0, None, type(err).__name__, None])
        return
    if not printed:
        _send([0, None, "NothingPrinted", None])
    else:
        value, why = _encoded(lambda v: wire.answer(_plain_output(v)), printed[0])
        if why is None:
            write_all(RESULT_FD, f"[0,{value},null,null]\n".encode())
        else:
            _send([0, None, why, None])


class _ThreadClock:
    """The calling thread's CPU time in nanoseconds, with a counter's ``start``/``stop``.
    Under the sandbox's CPU rlimit the process-wide clock advances only at scheduler ticks
    here, the thread clock to the nanosecond."""

    def start(self) -> None:
        self.started = time.clock_gettime_ns(time.CLOCK_THREAD_CPUTIME_ID)

    def stop(self) -> int:
        return time.clock_gettime_ns(time.CLOCK_THREAD_CPUTIME_ID) - self.started


def _run_profile(job: dict) -> None:
    """Measure the entry point on each input: ``repeat`` calls (``repeats[i]`` for input
    ``i`` where given), each on a fresh copy of the arguments; one line per input with the
    median. The first line names the measure: the event counter the server opened for
    ``job["counter"]`` (user-space instructions), or, when it could not, the thread's CPU time
    in nanoseconds, with the reason. Then the peak of Python allocations during one call on
    the last input (tracemalloc), on its own line, so that tracing does not slow the measured
    calls."""
    entry, _ = _load_entry(job)
    write_all(RESULT_FD, LOADED)
    if job.get("counter_fd") is not None:
        from codecrucible.sandbox.counters import Counter
        meter = Counter(job["counter_fd"])
        _send(["metric", job["counter"], None, None])
    else:
        meter = _ThreadClock()
        _send(["metric", "cpu_ns", job.get("counter_error"), None])
    repeats = job.get("repeats") or [job.get("repeat", 5)] * len(job["tests"])
    for index, raw in enumerate(job["tests"]):
        counts = []
        try:
            for _ in range(int(repeats[index])):
                args = wire.loads(raw)
                meter.start()
                entry(*args)
                counts.append(meter.stop())
        except BaseException as err:
            _send([index, None, type(err).__name__, None])
            continue
        counts.sort()
        _send([index, counts[len(counts) // 2], None, None])
    if job["tests"]:
        import tracemalloc
        args = wire.loads(job["tests"][-1])
        tracemalloc.start()
        try:
            entry(*args)
            _send(["peak_bytes", tracemalloc.get_traced_memory()[1], None, None])
        except BaseException as err:
            _send(["peak_bytes", None, type(err).__name__, None])
        finally:
            tracemalloc.stop()


RUNNERS = {"script": _run_script, "calls": _run_calls, "episode": _run_episode,
           "record": _run_record,
           "values": checked.run_values, "check": checked.run_check,
           "program": _run_program, "profile": _run_profile}
