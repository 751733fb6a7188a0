"""Runs' names for people, the same in the terminal tables and the HTML page: the model, the
strategy and the benchmark, and, for runs that would share a name, the settings in which they
differ."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from codecrucible.report.summary import RunSummary


def run_name(config: dict, benchmark: str) -> str:
    """A run's name for people, from its configuration: "qwen2.5-coder-0.5b · repair ·
    humaneval+" (the model without its backend or path, the strategy, the benchmark), or, for
    a samples file judged by ``crucible eval``, "samples.jsonl · eval · mbpp+"."""
    if "model" not in config:
        source = Path(str(config.get("samples", "samples file"))).name
        return f"{source} · eval · {benchmark}"
    model = " + ".join(model_name(spec) for spec in config.get("models") or [config["model"]])
    return f"{model} · {config.get('strategy', 'single')} · {benchmark}"


def model_name(spec: str) -> str:
    """A model's name for people: its spec without the backend or the path; a LoRA adapter
    (``+lora=PATH``) adds its folder's name ("smollm2-135m+tuned" for ``tuned/adapter.gguf``,
    what ``crucible finetune`` writes) or else its file's."""
    model, _, adapter = str(spec).partition("+lora=")
    if model.startswith("gguf:"):
        model = model.partition("#")[0]   # a pinned file's sha256 is no name
    model = model.rpartition("#")[2] if "#" in model else model.partition(":")[2] or model
    name = model.rstrip("/").rpartition("/")[2].removesuffix(".gguf")
    if adapter:
        path = Path(adapter)
        name += f"+{path.parent.name if path.stem == 'adapter' and path.parent.name else path.stem}"
    return name


def run_names(reports: list[RunSummary]) -> dict[str, str]:
    """run id -> name (``run_name``), the same in the terminal and the HTML page. Runs that
    would share a name get what tells them apart: the settings in which they differ (prompt
    style, samples, temperature, rounds...), else their order ("#2")."""
    base = {r.run_id: run_name(r.config, r.benchmark) for r in reports}
    names = dict(base)
    for name in set(base.values()):
        same = [r for r in reports if base[r.run_id] == name]
        if len(same) < 2:
            continue
        flat = [_flat(r.config) for r in same]
        differ = [k for k in dict.fromkeys(k for f in flat for k in f)
                  if k not in _NOT_NAMING and len({repr(f.get(k)) for f in flat}) > 1]
        for i, (r, f) in enumerate(zip(same, flat, strict=True)):
            told = ", ".join(f"{k.rpartition('.')[2]} {f.get(k)}" for k in differ[:2])
            names[r.run_id] = f"{name} ({told})" if told else f"{name} #{i + 1}"
        if len({names[r.run_id] for r in same}) < len(same):  # the settings did not tell
            for i, r in enumerate(same):
                names[r.run_id] = f"{names[r.run_id]} #{i + 1}"
    return names


# Settings that never tell runs apart for a reader (checksums, paths of the same file).
_NOT_NAMING = {"samples_sha256"}


def _flat(config: dict, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            out |= _flat(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out
