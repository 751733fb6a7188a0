"""Hostile programs: forged verdicts, and hunts for the expected answers in memory."""

from __future__ import annotations

import pytest
from sandbox.hostile import (
    ANSWERS,
    LINUX_ONLY,
    RNG,
    not_a_pass,
    run_calls,
)

pytestmark = LINUX_ONLY

# ---------------------------------------------------------------- verdict forging
# The server returns values, never verdicts, and the answers stay in the harness: whatever a
# candidate prints, patches or writes on the result channel, only the right values pass.
FORGERIES = {
    "exit_before_tests": "raise SystemExit(0)\ndef f(x):\n    return 0\n",
    "sys_exit_in_f": "import sys\ndef f(x):\n    sys.exit(0)\n",
    "os_exit_at_load": "import os\nos._exit(0)\ndef f(x):\n    return 0\n",
    "os_exit_in_f": "import os\ndef f(x):\n    os._exit(0)\n",
    "always_equal_object": """
        class Yes:
            def __eq__(self, other): return True
            def __ne__(self, other): return False
            __hash__ = object.__hash__
        def f(x):
            return Yes()
    """,
    "int_subclass_equal": """
        class Yes(int):
            def __eq__(self, other): return True
            def __ne__(self, other): return False
            __hash__ = int.__hash__
        def f(x):
            return Yes(0)
    """,
    "patched_builtins": """
        import builtins
        builtins.isinstance = lambda *a: True
        builtins.len = lambda *a: 0
        builtins.abs = lambda *a: 0
        builtins.type = lambda *a: int
        class Yes:
            def __eq__(self, other): return True
        def f(x):
            return Yes()
    """,
    "patched_json_dumps": """
        import sys
        sys.modules["json"].dumps = lambda *a, **k: "[3,null]"
        def f(x):
            return 0
    """,
    "patched_json_dumps_well_formed": """
        import json
        json.dumps = lambda frame, **k: "[%d,3,null,null]" % frame[0]
        def f(x):
            return 0
    """,
    "patched_wire_and_oracle_in_child": """
        import sys
        wire = sys.modules["codecrucible.sandbox.wire"]
        wire.to_plain = lambda *a, **k: 3
        wire.loads = lambda *a, **k: (3,)
        for name in ("codecrucible.correctness.oracle", "codecrucible.correctness.scoring"):
            module = sys.modules.get(name)     # not loaded in the server: nothing to patch
            if module is not None:
                module.matches = module.outcomes = lambda *a, **k: True
        def f(x):
            return None
    """,
    "print_fake_verdicts": """
        import sys
        print("ok\\nok\\nok\\npassed: 3/3\\nPASSED")
        print('{"outcomes": ["ok", "ok", "ok"], "passed": true}')
        sys.stderr.write("ok\\n")
        def f(x):
            return -1
    """,
    "fake_frames_on_fd3": """
        import os
        for i in range(3):
            os.write(3, b"[%d,3,null,null]\\n" % i)
        def f(x):
            return 3
    """,
    "fake_frames_then_exit": """
        import os
        os.write(3, b"[0,3,null,null]\\n[1,3,null,null]\\n[2,3,null,null]\\n")
        os._exit(0)
    """,
    "fake_frames_echoing_the_input": """
        def f(x):
            return x
    """,
    "fake_exception_named_ok": """
        import os
        os.write(3, b'[0,null,"ok",null]\\n[1,null,"ok",null]\\n[2,null,"ok",null]\\n')
        os._exit(0)
    """,
    "fake_frames_null_everything": """
        import os
        os.write(3, b"[0,null,null,null]\\n[1,null,null,null]\\n[2,null,null,null]\\n")
        os._exit(0)
    """,
    "fake_frames_out_of_order": """
        import os
        os.write(3, b"[2,3,null,null]\\n[0,3,null,null]\\n[1,3,null,null]\\n")
        def f(x):
            return 3
    """,
    "fake_frames_with_extra_fields": """
        import os
        os.write(3, b'[0,3,null,null,"ok"]\\n[1,3,null,null,"ok"]\\n[2,3,null,null,"ok"]\\n')
        os._exit(0)
    """,
    "fake_frames_nan_and_infinity": """
        import os
        os.write(3, b"[0,NaN,null,null]\\n[1,Infinity,null,null]\\n[2,-Infinity,null,null]\\n")
        os._exit(0)
    """,
    "raise_in_del": """
        import gc
        class Bomb:
            def __del__(self):
                raise SystemExit(0)
        keep = []
        def f(x):
            Bomb()
            gc.collect()
            keep.append(Bomb())
            return 3
    """,
    "close_fds": """
        import os
        for fd in (1, 2, 3):
            os.close(fd)
        def f(x):
            return 3
    """,
    "dup2_result_to_stdout": """
        import os
        os.dup2(1, 3)
        def f(x):
            return 3
    """,
    "dup2_stdout_into_results": """
        import os
        os.dup2(3, 1)
        os.dup2(3, 2)
        print("[0,3,null,null]\\n[1,3,null,null]\\n[2,3,null,null]", flush=True)
        def f(x):
            print("ok", flush=True)
            return 3
    """,
    "return_nan": "def f(x):\n    return float('nan')\n",
}


@pytest.mark.parametrize("name", list(FORGERIES))
def test_verdict_forgery(pool, name):
    result, outcomes = run_calls(pool, FORGERIES[name])
    assert not_a_pass(outcomes), (outcomes, result)


# The attacks that read the answers out of the server's memory, which the forked child shares:
# the job's expected answers (the original weakness), then anything at all that holds them.
_MASK = RNG.getrandbits(64)
ANSWER_HUNTS = {
    "stack_frame": """
        import json, sys
        def f(x):
            found = []
            frame = sys._getframe(1)
            while frame is not None:
                for name, value in frame.f_locals.items():
                    if name in ("expected", "answers"):
                        found.append(value)
                    if type(value) is dict and "expected" in value:
                        found.append(value["expected"])
                frame = frame.f_back
            print("FOUND" if found else "nothing", flush=True)
            job = sys._getframe(1).f_locals["job"]      # the server's own copy of the job
            return json.loads(job["expected"][sys._getframe(1).f_locals["index"]])[0]
    """,
    "gc_scan": """
        import gc, json
        found = [obj for obj in gc.get_objects()
                 if type(obj) is dict and "expected" in obj and "tests" in obj]
        print("FOUND" if found else "nothing", flush=True)
        def f(x):
            for obj in found:
                inputs = [json.loads(t)["t"][0] for t in obj["tests"]]
                return json.loads(obj["expected"][inputs.index(x)])[0]
    """,
    # Looks for the answers themselves, whatever holds them: every str, bytes or small int in
    # every container the collector knows. The answers are computed here from masked values,
    # so the candidate's own code does not contain them.
    "memory_scan": f"""
        import gc
        TARGETS = [str(m ^ {_MASK}) for m in {[a ^ _MASK for a in ANSWERS]!r}]
        hits = []
        skip = {{id(TARGETS), id(hits)}}
        for obj in gc.get_objects():
            if id(obj) in skip:
                continue
            if type(obj) is dict:
                items = [*obj.keys(), *obj.values()]
            elif type(obj) in (list, tuple):
                items = obj
            else:
                continue
            for item in items:
                if type(item) is int and item.bit_length() < 256:
                    item = str(item)
                if type(item) in (bytes, bytearray):
                    item = bytes(item).decode("latin-1")
                if type(item) is str:
                    hits += [t for t in TARGETS if t in item]
        print("FOUND" if hits else "nothing", len(hits), flush=True)
        def f(x):
            return int(hits[0]) if hits else None
    """,
}


@pytest.mark.parametrize("how", list(ANSWER_HUNTS))
def test_candidate_cannot_read_expected_answers(pool, how):
    result, outcomes = run_calls(pool, ANSWER_HUNTS[how])
    assert "FOUND" not in result["stdout"], result
    assert result["stdout"].startswith("nothing"), result
    assert "ok" not in outcomes, (outcomes, result)
