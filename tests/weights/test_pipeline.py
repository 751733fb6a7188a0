"""The whole study command's path on real labelled data and a cached feature set: the sandbox
labels four problems, the embeddings are already in the cache (so no model loads), and the
models, cells and table come out; a rerun trains nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from codecrucible.weights import WeightsError, defects, pipeline, tasks
from codecrucible.weights.defects import read_set
from codecrucible.weights.embeddings import EmbeddingCache, text_key
from codecrucible.weights.heads import HeadConfig
from codecrucible.weights.study import StudyConfig, read_records

DATA = Path("/work/shared/datasets")
pytestmark = pytest.mark.skipif(not (DATA / "mbpp").is_dir(), reason="no shared datasets")


def _fill_cache(texts: list[str], sha: str) -> None:
    """A stand-in encoder: each text's vector drawn from its sha256, stored in the cache."""
    cache = EmbeddingCache(sha)
    for text in texts:
        key = text_key(text)
        cache.put(key, np.random.default_rng(int(key[:8], 16)).normal(size=16))
    cache.close()


def test_study_from_labelling_to_table(tmp_path, monkeypatch):
    monkeypatch.setenv("CRUCIBLE_CACHE_DIR", str(tmp_path / "cache"))
    fake = tmp_path / "encoder.gguf"
    fake.write_bytes(b"GGUF not a real model")
    sha = "ab" * 32
    config = StudyConfig(encoders=(f"gguf:{fake}#sha256={sha}",), problems=2,
                         models_per_cell=2, methods=("dci",), rates=(0.05,),
                         heads=("linear",), head=HeadConfig(epochs=20))
    out = tmp_path / "study"
    pipeline.check_config(config, out)
    samples = defects.build(list(config.benchmarks), DATA, 2, out / "defects.jsonl", 1)
    monkeypatch.setattr(pipeline.embeddings, "encoder_file", lambda spec: (fake, sha))
    _fill_cache(tasks.all_texts(samples), sha)
    rows = pipeline.run(config, out, DATA, jobs=1)
    assert [r["task"] for r in rows] == ["defect", "mutation-type"]
    assert all(r["clean_models"] == r["poisoned_models"] == 2 for r in rows)
    assert len(read_set(out / "defects.jsonl")) == 4
    records = read_records(out / "models.jsonl")
    assert len(records) == 8 and "| defect | dci |" in (out / "table.md").read_text()
    pipeline.run(config, out, DATA, jobs=1)          # resumed: nothing left to do
    assert read_records(out / "models.jsonl") == records
    with pytest.raises(WeightsError, match="other settings"):
        pipeline.run(StudyConfig(encoders=config.encoders, problems=3), out, DATA)
