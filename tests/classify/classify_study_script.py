"""Runs a tiny classify study (a user file, two baselines, two prompting arms on a slow fake
model) in its own process, so a test can kill it with SIGKILL and run it again.

Usage: classify_study_script.py DATA OUT_DIR PAUSE"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from fake_model import FakeModel  # noqa: E402

from codecrucible.classify.study import StudyConfig, run  # noqa: E402
from codecrucible.classify.tasks import user_items  # noqa: E402

CONFIG = StudyConfig("file", baselines=("tfidf-lr", "hashed-sgd"), models=("fake:slow",),
                     schemes=("task_only", "zero_shot_cot"), bootstrap=200)


def write_data(path: Path) -> Path:
    """40 texts in 20 groups (targets), two labels by a word in them."""
    rows = []
    for n in range(40):
        label = "favor" if n % 2 else "against"
        word = "love" if label == "favor" else "hate"
        rows.append(f'{{"text": "item {n}: I {word} topic {n // 2} a lot", "label": "{label}", '
                    f'"target": "topic {n // 2}", "group": "g{n // 2}"}}')
    path.write_text("\n".join(rows) + "\n")
    return path


if __name__ == "__main__":
    data, out_dir, pause = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
    items = user_items(data, group="group")
    run(CONFIG, items, out_dir, opener=lambda spec, threads: FakeModel(
        "favor", pause, out_dir / "calls.log"))
