"""``crucible weights study`` from end to end: label, embed, train, summarise.

Every phase keeps what it made under the output directory (or, for embeddings, in the user
cache) as soon as it is made, so the command can be killed at any moment and rerun with the
same arguments to continue: the labelled set (``defects.jsonl``), the embeddings, the models
(``models.jsonl``, ``heads/``), then ``cells.json`` and ``table.md``, rewritten at the end.
``config.json`` holds the study's settings; a rerun with other settings (other than more
models per cell) is refused instead of mixing two studies in one directory.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from codecrucible.weights import WeightsError, cells, defects, embeddings, study, tasks


@dataclass
class Phases:
    """Progress callbacks: a phase starts (name, total, done before), then advances by one."""

    start: Callable[[str, int, int], None] = lambda name, total, before: None
    advance: Callable[[], None] = lambda: None


def check_config(config: study.StudyConfig, out_dir: Path) -> None:
    path = out_dir / "config.json"
    identity = config.identity()
    if path.exists():
        before = json.loads(path.read_text())
        if before != identity:
            changed = sorted(k for k in identity.keys() | before.keys()
                             if identity.get(k) != before.get(k))
            raise WeightsError(f"{out_dir} holds a study with other settings "
                               f"({', '.join(changed)}); use another --out-dir or the same "
                               "settings")
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(identity, indent=2) + "\n")


def featurise(samples: list[defects.Sample], encoder: str, phases: Phases,
              threads: int | None) -> dict[str, tasks.TaskData]:
    """Each task's features under one encoder, embedding only what the cache lacks."""
    texts = tasks.all_texts(samples)
    path, sha = embeddings.encoder_file(encoder)
    cache = embeddings.EmbeddingCache(sha)
    opened = None
    try:
        missing = embeddings.missing_count(texts, cache)
        phases.start(f"embedding ({encoder})", len(texts), len(texts) - missing)
        if missing:
            opened = embeddings.Encoder(encoder, threads)
        vectors = embeddings.embed_all(texts, opened, cache, phases.advance)
    finally:
        if opened is not None:
            opened.close()
        cache.close()
    by_text = dict(zip(texts, vectors, strict=True))
    return {task: tasks.task_data(task, samples, by_text) for task in tasks.TASKS}


def run(config: study.StudyConfig, out_dir: Path, data_dir: Path | None, jobs: int = 2,
        threads: int | None = None, phases: Phases | None = None) -> list[dict]:
    phases = phases or Phases()
    check_config(config, out_dir)
    labelling = defects.Progress(lambda total, before: phases.start("labelling", total, before),
                                 phases.advance)
    samples = defects.build(list(config.benchmarks), data_dir, config.problems,
                            out_dir / "defects.jsonl", jobs, labelling)
    if not samples:
        raise WeightsError("no problem gave a labelled sample (are the benchmarks' data "
                           "files in --data-dir?)")
    data = {}
    for encoder in config.encoders:
        for task, task_data in featurise(samples, encoder, phases, threads).items():
            data[(task, encoder)] = task_data
    training = study.Progress(lambda total, before: phases.start("models", total, before),
                              lambda record: phases.advance())
    log = study.train_models(config, data, out_dir, training, threads or 1)
    return cells.write_cells(config, log, out_dir)
