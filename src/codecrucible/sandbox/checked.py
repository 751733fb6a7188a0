"""Checking a program's results in a process apart from it (DS-1000).

Two kinds of job, each running a side of a split program (``benchmarks/ds1000_split.py``).
``values`` runs the candidate's side: before each case's inputs the program calls
``seed(i)``, after the run ``ANSWER(i, env)``, which sends back one line per case,
``[i, payload, null, seconds]``, the payload being ``env["result"]`` in the data encoding
(``datawire``) and, for a plot, the saved image's pixels and the figure's answers to the
checker's queries (``figures``); never a verdict, which this process cannot give. ``check``
runs on a reference server, which never runs candidate code: its program recomputes each
case's inputs and expected result and calls ``CHECK(i, expected)``, which decodes the
candidate's line for that case and runs the benchmark's own ``exec_test`` on it, answering
``[i, passed, error, why]``; then ``test_string(solution)`` on the solution's text, if the
problem has one, as one case more.
"""

from __future__ import annotations

import builtins
import json
import os
import random
import sys
import time
import traceback

from codecrucible.sandbox import datawire, figures
from codecrucible.sandbox.channel import RESULT_FD, write_all

SEED_BASE = 1_000
SEED, ANSWER, CHECK = "__crucible_seed__", "__crucible_answer__", "__crucible_check__"
IMAGE, REFERENCE_IMAGE = "output.png", "ans.png"
MAX_IMAGE_PIXELS = 4096 * 4096
_SHOWN = 300


def seed(case: int) -> None:
    """The same random state on both sides before a case's inputs are drawn."""
    value = SEED_BASE + case
    random.seed(value)
    for name, call in (("numpy", "random.seed"), ("torch", "manual_seed"),
                       ("tensorflow", "random.set_seed")):
        module = sys.modules.get(name)
        if module is not None:
            for part in call.split("."):
                module = getattr(module, part)
            module(value)


def _send(frame: list) -> None:
    write_all(RESULT_FD, (json.dumps(frame, separators=(",", ":")) + "\n").encode())


# ------------------------------------------------------------------ the candidate's side
def run_values(job: dict) -> None:
    started = [time.perf_counter()]
    answered = [0]
    recorder = _Recorder(job["record"]) if job.get("record") else None

    def begin(case: int) -> None:
        seed(case)
        started[0] = time.perf_counter()

    def answer(case: int, env: dict) -> None:
        seconds = time.perf_counter() - started[0]
        payload = {"result": env["result"]}  # KeyError, as the benchmark's own loop raises
        if job.get("figure"):
            queries = job.get("queries") or []
            queries = queries[case] if case < len(queries) else []
            if recorder is not None:
                queries = recorder.queries(env.get("result"))
                _send(["queries", case, queries])
            payload["image"] = _read_image()
            payload["figure"] = figures.answer(queries)
        try:
            text = datawire.dumps(payload)
        except (datawire.Unserializable, ValueError, RecursionError) as err:
            _send([case, None, f"Unserializable: {err}"[:_SHOWN], None])
        else:
                    write_all(RESULT_FD, f"[{case},{text},null,{seconds:.6f}]\n".encode())
        answered[0] = case + 1

    namespace = {"__name__": "__main__", "__builtins__": builtins, SEED: begin,
                 ANSWER: answer}
    try:
        exec(compile(job["code"], "<program>", "exec"), namespace)
    except BaseException as err:
        traceback.print_exc()
        _send([answered[0], None, type(err).__name__, None])


def _read_image():
    """The plot the program saved, as pixels (decoded here, so the checker never parses an
    image file the candidate wrote); None if there is none."""
    if not os.path.exists(IMAGE):
        return None
    import numpy
    from PIL import Image
    with Image.open(IMAGE) as image:
        if image.width * image.height > MAX_IMAGE_PIXELS:
            return None
        return numpy.array(image)


class _Recorder:
    """Calibration only (a reference server): which parts of a figure ``exec_test`` reads.
    It runs the whole context's ``exec_test`` on the reference's own figure, with a 1x1
    stand-in for the reference image so that the image comparison fails and the property
    checks run, through recording proxies."""

    def __init__(self, context: str):
        self.namespace = {"__name__": "__reference__", "__builtins__": builtins}
        exec(compile(context, "<context>", "exec"), self.namespace)

    def queries(self, result) -> list[str]:
        from PIL import Image
        Image.new("RGBA", (1, 1)).save(REFERENCE_IMAGE)
        log: set[str] = set()
        real = self.namespace.get("plt")
        self.namespace["plt"] = figures.recording_pyplot(log)
        try:
            self.namespace["exec_test"](result, None)
        except Exception:  # noqa: BLE001 - what it read up to its failure is what it reads
            traceback.print_exc()
        finally:
            self.namespace["plt"] = real
            os.remove(REFERENCE_IMAGE)
        paths = [json.loads(query) for query in log]
        # A path that another extends is answered on the way to it.
        return sorted(figures.key(p) for p in paths
                      if not any(len(q) > len(p) and q[:len(p)] == p for q in paths))


# ------------------------------------------------------------------ the checker's side
class _Unanswered(BaseException):
    """The candidate sent no line for this case: the check ends here."""


def run_check(job: dict) -> None:
    answers = job["answers"]
    namespace: dict = {"__name__": "__main__", "__builtins__": builtins, SEED: seed}
    checked = [0]

    def check(case: int, expected) -> None:
        if case >= len(answers):
            raise _Unanswered
        passed, error, why = _judge(namespace, job, case, answers[case], expected)
        _send([case, passed, error, why])
        checked[0] = case + 1

    namespace[CHECK] = check
    try:
        exec(compile(job["code"], "<checker>", "exec"), namespace)
        namespace["test_execution"](job["solution"])
    except _Unanswered:
        return
    except BaseException as err:
        traceback.print_exc()
        _send([checked[0], None, "CheckerError", _why(err)])
        return
    if "test_string" in namespace:
        try:
            namespace["test_string"](job["solution"])
            _send([checked[0], True, None, None])
        except BaseException as err:
            _send([checked[0], False, None, "test_string: " + _why(err)])


def _judge(namespace: dict, job: dict, case: int, line: object, expected
           ) -> tuple[bool | None, str | None, str | None]:
    """(passed, the candidate's error, why it failed) for one case's answer line."""
    try:
        if type(line) is not str or len(line) > datawire.MAX_TEXT:
            raise datawire.Malformed("the answer is not text or longer than the limit")
        frame = json.loads(line)
        if type(frame) is not list or len(frame) != 4 or frame[0] != case:
            raise datawire.Malformed(f"not the answer line of case {case}")
        if frame[2] is not None:
            return None, str(frame[2])[:_SHOWN], None
        payload = datawire.decode(frame[1])
        if type(payload) is not dict or "result" not in payload:
            raise datawire.Malformed("the answer holds no result")
        replay = _plot(payload) if job.get("figure") else None
    except (datawire.Malformed, ValueError, TypeError, RecursionError, MemoryError) as err:
        return False, None, f"the answer could not be read: {_why(err)}"
    real = namespace.get("plt")
    if replay is not None:
        namespace["plt"] = replay.pyplot()
    try:
        returned = namespace["exec_test"](payload["result"], expected)
        passed = bool(returned)
        why = None if passed else f"the result is not the expected one (exec_test returned " \
            f"{str(returned)[:40]})"
    except BaseException as err:  # the checker's assertion, or anything the value made it raise
        passed, why = False, _why(err)
    finally:
        if replay is not None:
            namespace["plt"] = real
    if replay is not None and replay.missing:
        passed = False
        why = ("the checker read a part of the figure that the reference's figure did not "
               f"need: {replay.missing[:200]}")
    return passed, None, why


def _plot(payload: dict) -> figures.Replay:
    """Puts the candidate's pixels where ``exec_test`` reads them; its figure's answers."""
    image = payload.get("image")
    numpy = sys.modules["numpy"]
    if image is not None:
        if type(image) is not numpy.ndarray or image.dtype != numpy.uint8 \
                or image.ndim not in (2, 3) or image.size > 4 * MAX_IMAGE_PIXELS \
                or (image.ndim == 3 and image.shape[2] not in (3, 4)):
            raise datawire.Malformed("the image is not 8-bit pixels")
        from PIL import Image
        Image.fromarray(image).save(IMAGE)
    elif os.path.exists(IMAGE):
        os.remove(IMAGE)
    return figures.Replay(payload.get("figure") or {})


def _why(err: BaseException) -> str:
    text = " ".join(f"{type(err).__name__}: {err}".split())
    return text[:_SHOWN]
