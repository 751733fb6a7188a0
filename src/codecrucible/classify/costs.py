"""What an arm costs: once (training, or building its few-shot prompt: nothing) and per item,
and where two arms' total cost lines cross.

An arm's total CPU-seconds for n items is ``setup_cpu_s + n * per_item_cpu_s``; two lines
cross at n = (setup_b - setup_a) / (per_item_a - per_item_b), the break-even item count: past
it the arm with the dearer setup and the cheaper items is the cheaper one.

Energy per arm is an estimate from CPU-seconds at ``WATTS_PER_CORE``, labelled so: the RAPL
counters (``judges.cost.rapl_joules``), where readable, count the whole machine, which other
work shares; their readings are kept with the one-off blocks for whoever wants them.
"""

from __future__ import annotations

from dataclasses import dataclass

from codecrucible.judges.cost import rapl_joules

# A busy core of a server CPU draws roughly its TDP over its cores: 10-15 W. A round figure,
# labelled an estimate wherever it is used.
WATTS_PER_CORE = 12.0


@dataclass(frozen=True)
class ArmCost:
    arm: str
    setup_cpu_s: float      # one-off: training the model or fitting the classifier
    setup_wall_s: float
    setup_tokens: int       # tokens trained on (LoRA); 0 for the others
    peak_rss_mb: float      # the process's peak resident memory when the arm finished
    items: int              # test items predicted
    item_cpu_s: float       # all of them together
    item_wall_s: float
    item_tokens: int        # prompt + answer tokens of every model call

    @property
    def per_item_cpu_s(self) -> float:
        return self.item_cpu_s / self.items if self.items else 0.0

    @property
    def per_item_tokens(self) -> float:
        return self.item_tokens / self.items if self.items else 0.0

    @property
    def total_cpu_s(self) -> float:
        return self.setup_cpu_s + self.item_cpu_s

    def cpu_s_for(self, items: float) -> float:
        """The total CPU-seconds to classify ``items`` items."""
        return self.setup_cpu_s + items * self.per_item_cpu_s


def break_even(a: ArmCost, b: ArmCost) -> float | None:
    """The item count where the two arms' total costs are equal, or None where the lines do
    not cross at a positive count (one arm is cheaper at every count)."""
    slope = a.per_item_cpu_s - b.per_item_cpu_s
    if slope == 0:
        return None
    items = (b.setup_cpu_s - a.setup_cpu_s) / slope
    return items if items > 0 else None


def energy_label() -> str:
    """Per-arm energy is always the estimate (RAPL counts the whole machine, not one arm);
    the label says whether the counters were there for the one-off blocks' readings."""
    counters = "RAPL counters readable: the ledger's one-off rows hold their readings" \
        if rapl_joules() is not None else "no RAPL counter here"
    return f"estimate: CPU-seconds x {WATTS_PER_CORE:g} W per busy core ({counters})"


def estimated_joules(cpu_s: float) -> float:
    return cpu_s * WATTS_PER_CORE
