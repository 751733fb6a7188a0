"""A model whose calls keep timing out stops the run (``models/stalls.py``): ``crucible run``
against a real local server that reads each request and never answers it. The run ends with one
line naming the model and how to continue, keeps what it judged, and resumes once the server
answers."""

from __future__ import annotations

import threading

import pytest
from support import LocalServer, crucible, rows

from codecrucible.models.stalls import TIMEOUTS_IN_A_ROW

pytestmark = pytest.mark.timeout(600)
TASKS = ["HumanEval/0", "HumanEval/2", "HumanEval/4", "HumanEval/7", "HumanEval/12",
         "HumanEval/15"]
# An answer with no code in it: judged at once (no_code), whatever the task.
ANSWER = {"id": "x", "object": "chat.completion", "created": 0, "model": "m",
          "choices": [{"index": 0, "finish_reason": "stop",
                       "message": {"role": "assistant", "content": "I cannot."}}],
          "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}}


@pytest.fixture
def server():
    """Answers its first two requests, then holds every request unanswered while ``stalled``
    is set."""
    stalled = threading.Event()
    stalled.set()
    local = LocalServer(lambda n: None if n > 2 and stalled.is_set() else (200, ANSWER))
    local.stalled, local.spec = stalled, f"openai:{local.url}#m"
    yield local
    local.close()


def test_calls_timing_out_in_a_row_stop_the_run_and_it_resumes(server, tmp_path, data_dir):
    db = tmp_path / "runs.db"
    stopped = crucible("run", "-m", server.spec, "--call-timeout", "0.5", "--concurrency", "1",
                       "--store", str(db), "--data-dir", str(data_dir),
                       *(arg for task in TASKS for arg in ("--task", task)))
    assert stopped.returncode == 2, stopped.stderr
    [line] = [s for s in stopped.stderr.splitlines() if s.startswith("error:")]
    [(run_id,)] = rows(db, "SELECT id FROM runs")
    assert f"model {server.spec}: {TIMEOUTS_IN_A_ROW} calls in a row timed out" in line, line
    assert f"crucible run --resume {run_id} --store {db}" in line, line
    assert "Traceback" not in stopped.stderr, stopped.stderr
    # Two answered, then three timed out (stored as their empty answers); the sixth call stops
    # the run before it reaches the server.
    assert server.requests == 2 + TIMEOUTS_IN_A_ROW
    answers = rows(db, "SELECT finish_reason FROM attempts ORDER BY rowid")
    assert [r for (r,) in answers] == ["stop"] * 2 + ["timeout"] * TIMEOUTS_IN_A_ROW
    assert {s for (s,) in rows(db, "SELECT status FROM verdicts")} == {"no_code"}
    assert rows(db, "SELECT finished FROM runs") == [(None,)]

    server.stalled.clear()
    resumed = crucible("run", "--resume", run_id, "--store", str(db))
    assert resumed.returncode == 0, resumed.stderr
    assert len(rows(db, "SELECT task_id FROM verdicts")) == len(TASKS)
    assert rows(db, "SELECT finished FROM runs") != [(None,)]



def test_of_several_models_the_stalled_one_is_named(server, tmp_path, data_dir):
    """Trial 1 goes to the stalled server, trial 0 to one that answers: the run stops naming
    the stalled one, after as many timeouts in a row as ``--timeouts-in-a-row`` says."""
    answering = LocalServer(lambda n: (200, ANSWER))
    try:
        stopped = crucible("run", "-m", f"openai:{answering.url}#m", "-m", server.spec,
                           "-n", "2", "-t", "0", "--call-timeout", "0.5", "--concurrency", "1",
                           "--timeouts-in-a-row", "2",
                           "--store", str(tmp_path / "runs.db"), "--data-dir", str(data_dir),
                           *(arg for task in TASKS for arg in ("--task", task)))
    finally:
        answering.close()
    assert stopped.returncode == 2, stopped.stderr
    [line] = [s for s in stopped.stderr.splitlines() if s.startswith("error:")]
    assert f"model {server.spec}: 2 calls in a row timed out" in line, line
    assert "crucible run --resume" in line, line
    assert server.requests == 2 + 2
