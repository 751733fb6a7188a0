"""Runs one candidate program for ``evaluator.py``, in a child Python of its own.

``python run_candidate.py PROGRAM TAG``: imports PROGRAM, calls ``pack_circles(26)`` and prints
one line, ``RESULT <json>``, holding what it returned (or ``ERROR <message>``). TAG is not
read: it only marks this process (and any child it forks) in ``ps`` for the hostile checks.
"""

import importlib.util
import json
import sys


def main() -> None:
    path = sys.argv[1]
    try:
        spec = importlib.util.spec_from_file_location("candidate", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        value = module.pack_circles(26)
        text = json.dumps(value, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))
    except BaseException as err:  # noqa: BLE001 - anything the candidate raises is its failure
        print(f"ERROR {type(err).__name__}: {err}", flush=True)
        return
    print(f"RESULT {text}", flush=True)


if __name__ == "__main__":
    main()
