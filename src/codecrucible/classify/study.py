"""The study: every arm on the same split, every prediction kept as it is made, then the
results (``results.json``) and the page (``report.html``, ``report.classify_page``).

Arms, by name: the baselines (``tfidf-lr``, ``hashed-sgd``, ``embed-lr``, ``ast-gb``),
``prompt:SCHEME:MODEL`` for each prompting scheme and model, ``lora:MODEL``. An arm whose test
items are all in the ledger is not run again; one with some is finished (a baseline is fitted
again first: its fitted model is not kept, and its one-off cost is that last fit's).

Costs are measured in this process, one arm at a time: CPU-seconds (``time.process_time``,
every thread of the process, llama.cpp's and torch's included), wall, tokens, and the process's
peak memory when the arm ends (it only grows: an arm after a heavier one shows that one's
peak). Loading a model is warm-up, recorded apart (``load:MODEL``) and left out of the arms'
costs, as the paper's comparison of the models' use rather than their start-up.
"""

from __future__ import annotations

import hashlib
import json
import resource
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from codecrucible.classify import ClassifyError, baselines
from codecrucible.classify.costs import ArmCost, break_even, energy_label, estimated_joules
from codecrucible.classify.items import Item, check_split, labels_of, split_by_problem
from codecrucible.classify.ledger import Ledger
from codecrucible.classify.metrics import bootstrap_ci, macro_f1, per_class_f1, validity
from codecrucible.classify.prompting import Prediction, classify_item
from codecrucible.classify.prompts import (
    PASS_FRAME,
    SCHEMES,
    Frame,
    bug_type_frame,
    few_shot_examples,
    user_frame,
)
from codecrucible.judges.cost import rapl_joules
from codecrucible.report import classify_page

TASKS = ("pass", "bug-type", "file")
CHUNK = 64   # a baseline's test items predicted and stored together


@dataclass(frozen=True)
class StudyConfig:
    task: str
    baselines: tuple[str, ...] = ("tfidf-lr", "hashed-sgd", "ast-gb")
    models: tuple[str, ...] = ()          # the prompting arms' models
    schemes: tuple[str, ...] = SCHEMES
    lora: tuple[str, ...] = ()            # models to fine-tune
    encoder: str | None = None            # embed-lr's frozen encoder
    test_fraction: float = 0.3
    seed: int = 0
    max_test: int | None = None
    max_train: int | None = None
    shots: int = 5
    lora_epochs: int = 1
    lora_max_steps: int | None = None
    threads: int = 1
    bootstrap: int = 1000

    def arms(self) -> list[str]:
        return ([*self.baselines]
                + [f"prompt:{s}:{m}" for m in self.models for s in self.schemes]
                + [f"lora:{m}" for m in self.lora])

    def settings(self) -> dict:
        """What decides the predictions (threads and the bootstrap do not)."""
        facts = asdict(self)
        facts.pop("threads")
        facts.pop("bootstrap")
        return facts


@dataclass
class Progress:
    """started(arm, items, done before) as each arm starts; advanced() after each item."""

    started: Callable[[str, int, int], None] = lambda arm, total, before: None
    advanced: Callable[[int], None] = lambda count: None


@dataclass
class Split:
    train: list[Item]
    test: list[Item]
    labels: tuple[str, ...]
    frame: Frame = PASS_FRAME


def frame_for(task: str, labels: tuple[str, ...]) -> Frame:
    if task == "pass":
        return PASS_FRAME
    return bug_type_frame(labels) if task == "bug-type" else user_frame(labels)


def make_split(config: StudyConfig, items: list[Item]) -> Split:
    train, test = split_by_problem(items, config.test_fraction, config.seed)
    train, test = _first(train, config.max_train, config.seed), \
        _first(test, config.max_test, config.seed)
    check_split(train, test)
    if not train or not test:
        raise ClassifyError("the split leaves no training or no test items")
    labels = labels_of(items)
    return Split(train, test, labels, frame_for(config.task, labels))


def _first(items: list[Item], most: int | None, seed: int) -> list[Item]:
    """The first ``most`` items in a fixed order that keeps a problem's items together."""
    if most is None:
        return items
    order = sorted(items, key=lambda i: (hashlib.sha256(f"{seed}:{i.group}".encode())
                                         .hexdigest(), i.id))
    return order[:most]


def _items_key(split: Split) -> str:
    digest = hashlib.sha256()
    for side, items in (("train", split.train), ("test", split.test)):
        for item in items:
            digest.update(f"{side}\0{item.id}\0{item.label}\0{item.text}\0".encode())
    return digest.hexdigest()


class _Measure:
    """CPU-seconds, wall, peak memory and (where RAPL is readable) joules of a block."""

    def __enter__(self) -> _Measure:
        self.cpu, self.wall, self.joules = time.process_time(), time.perf_counter(), rapl_joules()
        return self

    def __exit__(self, *_) -> None:
        self.cpu_s = time.process_time() - self.cpu
        self.wall_s = time.perf_counter() - self.wall
        after = rapl_joules()
        self.used_j = after - self.joules if after is not None and self.joules is not None \
            else None
        self.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(config: StudyConfig, items: list[Item], out_dir: Path,
        progress: Progress | None = None, opener: Callable | None = None) -> dict:
    """Run every arm not done yet; write and return the results. ``opener(spec, threads)``
    opens a model (default: ``models.open_model``, through the cache and meter)."""
    progress = progress or Progress()
    split = make_split(config, items)
    ledger = Ledger(out_dir / "ledger.sqlite")
    opened: dict[str, object] = {}
    try:
        ledger.check_settings(config.settings() | {"items": _items_key(split)})
        for arm in config.arms():
            done = ledger.done(arm)
            todo = [item for item in split.test if item.id not in done]
            progress.started(arm, len(split.test), len(split.test) - len(todo))
            if not todo:
                continue
            if arm.startswith("prompt:"):
                _, scheme, spec = arm.split(":", 2)
                model = _model(spec, config, ledger, opened, opener)
                _prompting(arm, scheme, model, split, todo, config, ledger, progress)
            elif arm.startswith("lora:"):
                _lora(arm, arm.split(":", 1)[1], split, todo, config, ledger, out_dir,
                      progress, opened, opener)
            else:
                _baseline(arm, split, todo, config, ledger, progress)
        results = summarise(config, split, ledger)
    finally:
        for model in opened.values():
            model.close()
        ledger.close()
    (out_dir / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    classify_page.write(results, out_dir / "report.html")
    return results


def _open(spec: str, threads: int):
    from codecrucible.models import ModelOptions, open_model
    return open_model(spec, ModelOptions(threads=threads, context=4096))


def _model(spec: str, config: StudyConfig, ledger: Ledger, opened: dict, opener):
    if spec not in opened:
        with _Measure() as spent:
            opened[spec] = (opener or _open)(spec, config.threads)
        ledger.add_setup(f"load:{spec}", spent.cpu_s, spent.wall_s, 0, spent.peak_rss_mb,
                         spent.used_j, {"warm-up": True})
    return opened[spec]


def _prompting(arm: str, scheme: str, model, split: Split, todo: list[Item],
               config: StudyConfig, ledger: Ledger, progress: Progress) -> None:
    shots = few_shot_examples(split.train, split.labels, config.shots) \
        if scheme == "few_shot" else ()
    if ledger.setup(arm) is None:   # nothing to train: the shots are the one-off choice
        ledger.add_setup(arm, 0.0, 0.0, 0, _peak_mb(), None,
                         {"shots": [shot.id for shot in shots]})
    for item in todo:
        ledger.add(arm, [classify_item(model, scheme, split.frame, item, shots)])
        progress.advanced(1)


def _baseline(arm: str, split: Split, todo: list[Item], config: StudyConfig, ledger: Ledger,
              progress: Progress) -> None:
    embed = _embedder(config) if arm == "embed-lr" else None
    with _threads(config.threads), _Measure() as spent:
        model = baselines.make(arm, config.seed, embed).fit(
            [i.text for i in split.train], [i.label for i in split.train])
    ledger.add_setup(arm, spent.cpu_s, spent.wall_s, 0, spent.peak_rss_mb, spent.used_j,
                     {"train_items": len(split.train)})
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start:start + CHUNK]
        with _threads(config.threads), _Measure() as spent:
            labels = model.predict([i.text for i in chunk])
        # A batch's cost is shared evenly: the items are predicted together.
        ledger.add(arm, [Prediction(i.id, label, label, spent.cpu_s / len(chunk),
                                    spent.wall_s / len(chunk))
                         for i, label in zip(chunk, labels, strict=True)])
        progress.advanced(len(chunk))


def _lora(arm: str, spec: str, split: Split, todo: list[Item], config: StudyConfig,
          ledger: Ledger, out_dir: Path, progress: Progress, opened: dict, opener) -> None:
    from codecrucible.classify import lora
    with _Measure() as spent:
        result = lora.train(spec, split.train, split.frame, out_dir / "lora" / _slug(spec),
                            epochs=config.lora_epochs, max_steps=config.lora_max_steps,
                            seed=config.seed, threads=config.threads)
    if ledger.setup(arm) is None or result.tokens:   # a finished run read back trains nothing
        ledger.add_setup(arm, spent.cpu_s, spent.wall_s, result.tokens, spent.peak_rss_mb,
                         spent.used_j, {"steps": result.steps, "spec": result.spec})
    model = _model(result.spec, config, ledger, opened, opener)   # warm-up, recorded apart
    for item in todo:
        ledger.add(arm, [classify_item(model, lora.SCHEME, split.frame, item)])
        progress.advanced(1)


def _slug(spec: str) -> str:
    return "".join(c if c.isalnum() or c in "-." else "_" for c in spec)[-80:]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _threads(count: int):
    """One thread per process for the baselines' numerical libraries (a fair comparison)."""
    from threadpoolctl import threadpool_limits
    return threadpool_limits(count)


def _embedder(config: StudyConfig):
    from codecrucible.weights.embeddings import (
        EmbeddingCache,
        Encoder,
        embed_all,
        encoder_file,
        missing_count,
    )
    if config.encoder is None:
        raise ClassifyError("the embed-lr arm needs --encoder MODEL")
    _, sha = encoder_file(config.encoder)
    cache = EmbeddingCache(sha)
    state: dict = {}

    def embed(texts: list[str]):
        if "encoder" not in state and missing_count(texts, cache):
            state["encoder"] = Encoder(config.encoder, config.threads)
        return embed_all(texts, state.get("encoder"), cache)

    return embed


def arm_cost(arm: str, ledger: Ledger) -> ArmCost:
    setup = ledger.setup(arm) or {"cpu_s": 0.0, "wall_s": 0.0, "tokens": 0, "peak_rss_mb": 0.0}
    made = ledger.predictions(arm).values()
    return ArmCost(arm, setup["cpu_s"], setup["wall_s"], setup["tokens"], setup["peak_rss_mb"],
                   len(made), sum(p.cpu_s for p in made), sum(p.wall_s for p in made),
                   sum(p.tokens_in + p.tokens_out for p in made))


def summarise(config: StudyConfig, split: Split, ledger: Ledger) -> dict:
    """Per arm: macro-F1 with its interval over problems, per-class F1, validity and cost;
    the break-even counts; the totals the ledger holds."""
    truth = [item.label for item in split.test]
    groups = [item.group for item in split.test]
    rows, costs = [], []
    for arm in config.arms():
        made = ledger.predictions(arm)
        if len(made) < len(split.test):
            continue   # not finished: no score from part of the items
        predicted = [made[item.id].label for item in split.test]
        cost = arm_cost(arm, ledger)
        costs.append(cost)
        low, high = bootstrap_ci(truth, predicted, groups, split.labels, config.bootstrap,
                                 seed=config.seed)
        rows.append({
            "arm": arm, "kind": arm.split(":")[0] if ":" in arm else "baseline",
            "macro_f1": macro_f1(truth, predicted, split.labels), "ci_low": low,
            "ci_high": high, "per_class_f1": per_class_f1(truth, predicted, split.labels),
            "validity": validity(predicted), "items": cost.items,
            "setup_cpu_s": cost.setup_cpu_s, "setup_wall_s": cost.setup_wall_s,
            "setup_tokens": cost.setup_tokens, "peak_rss_mb": cost.peak_rss_mb,
            "item_cpu_s": cost.item_cpu_s, "per_item_cpu_s": cost.per_item_cpu_s,
            "per_item_wall_s": cost.item_wall_s / cost.items,
            "per_item_tokens": cost.per_item_tokens, "total_cpu_s": cost.total_cpu_s,
            "energy_j": estimated_joules(cost.total_cpu_s),
            "cached_calls": sum(p.cached for p in made.values())})
    crossings = [{"a": a.arm, "b": b.arm, "items": break_even(a, b)}
                 for i, a in enumerate(costs) for b in costs[i + 1:]]
    loads = ledger.db.execute("SELECT COALESCE(SUM(cpu_s), 0) FROM setups WHERE arm LIKE "
                              "'load:%'").fetchone()[0]
    return {"task": config.task, "labels": list(split.labels),
            "train_items": len(split.train), "test_items": len(split.test),
            "train_problems": len({i.group for i in split.train}),
            "test_problems": len({i.group for i in split.test}),
            "energy": energy_label(), "arms": rows, "break_even": crossings,
            "totals": {"arms_cpu_s": sum(c.total_cpu_s for c in costs),
                       "warm_up_cpu_s": loads,
                       "tokens": sum(c.setup_tokens + c.item_tokens for c in costs)}}
