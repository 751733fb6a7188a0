"""The kept pairs of an Evol-Instruct run as JSON Lines, and what each rule removed.

Each line is ``{"instruction", "output"}`` (the answerer's whole answer), the shape Code
Alpaca and WizardCoder's training script read, plus the lineage fields (``id``, ``seed_id``,
``round``, ``heuristic``) for whoever wants to filter. WizardCoder trains on the seeds and
every round merged; ``with_seeds`` adds the seeds' own pairs (round 0) for that.
``seeds_only`` writes the control a before/after study needs instead: the seeds' own pairs,
as many as the kept evolutions (every seed when they are fewer), the seeds whose lineage
was kept first, so that LoRA on evolved data and LoRA on unevolved data see the same number
of pairs drawn from the same problems.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from codecrucible.store import Store
from codecrucible.training.elimination import RULES


@dataclass
class ExportSummary:
    written: int
    seeds: int
    evolved: int                 # every evolution decided (rounds 1 and on)
    removed: dict[str, int]      # rule -> evolutions it removed, in ``RULES`` order
    by_round: dict[int, tuple[int, int]]   # round -> (kept, decided)


def export(store: Store, run_id: str, target: Path, with_seeds: bool = False,
           seeds_only: bool = False) -> ExportSummary:
    if with_seeds and seeds_only:
        raise ValueError("with_seeds and seeds_only exclude each other")
    store.run(run_id)   # raises StoreError naming the run when it is not there
    evolutions = store.evolutions(run_id)
    evolved = [e for e in evolutions if e.round > 0]
    if seeds_only:
        chosen = control(evolutions)
    else:
        chosen = [e for e in evolutions if e.kept and (e.round > 0 or with_seeds)]
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    with open(partial, "w", encoding="utf-8") as out:
        for e in chosen:
            out.write(json.dumps({"instruction": e.instruction, "output": e.answer or "",
                                  "id": e.id, "seed_id": e.seed_id, "round": e.round,
                                  "heuristic": e.heuristic}, ensure_ascii=False) + "\n")
    partial.replace(target)
    counts = Counter(e.rule for e in evolved if not e.kept)
    by_round: dict[int, tuple[int, int]] = {}
    for e in evolved:
        kept, decided = by_round.get(e.round, (0, 0))
        by_round[e.round] = (kept + e.kept, decided + 1)
    removed = {rule: counts[rule] for rule in RULES if counts[rule]}
    removed.update({rule: n for rule, n in counts.items() if rule not in RULES})
    return ExportSummary(len(chosen), sum(e.round == 0 for e in evolutions), len(evolved),
                         removed, dict(sorted(by_round.items())))


def control(evolutions: list) -> list:
    """The unevolved seeds' pairs, as many as the kept evolutions: those whose lineage kept
    an evolution first, then the others, each in the store's order."""
    wanted = sum(e.kept for e in evolutions if e.round > 0)
    fruitful = {e.seed_id for e in evolutions if e.kept and e.round > 0}
    seeds = [e for e in evolutions if e.round == 0]
    ordered = [e for e in seeds if e.seed_id in fruitful] + \
              [e for e in seeds if e.seed_id not in fruitful]
    return ordered[:wanted]
