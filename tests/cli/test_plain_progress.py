"""The plain progress lines of a log: a task that starts part done (a resumed run) counts
its time left from this process's pace, not from steps another process did."""

from __future__ import annotations

from codecrucible.cli.common import PlainProgress


def test_a_resumed_task_estimates_from_its_own_pace():
    bars = PlainProgress(interval=3600)
    task = bars.add_task("fine-tuning", total=100, completed=60, rate="")
    state = bars.tasks[task]
    assert state["done"] == 60
    assert PlainProgress._line(state, state["started"] + 10) == "fine-tuning 60/100"
    bars.update(task, advance=10, rate="50 tokens/s")
    # 10 steps in 10 s here: 30 left take 30 s, whatever the 60 before cost
    assert PlainProgress._line(state, state["started"] + 10) == \
        "fine-tuning 70/100, 50 tokens/s, ETA 0m30s"
