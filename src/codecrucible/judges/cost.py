"""The cost judge: what each candidate and each solved problem cost in tokens, time, energy and
money.

Tokens and model time come from the attempts (every round of every strategy is charged to its
problem), sandbox CPU time from the verdicts. Energy comes from the machine's RAPL counters
(``/sys/class/powercap/intel-rapl*``), read at a run's start and end, where the kernel lets
this user read them. Elsewhere (VMs, most laptops without root) it is codecarbon's estimate,
when the ``energy`` extra is installed: the CPU's power from its TDP and the machine's load,
plus memory by size; the run records which of the two it is. A run's energy is shared among
its candidates in proportion to the model and sandbox time each used. Money comes from a price
table the user edits (JSON, ``$CRUCIBLE_PRICES`` or ``~/.config/codecrucible/prices.json``):
per model pattern, prices per million input and output tokens and per hour of machine time.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import os
from pathlib import Path

import platformdirs

POWERCAP = Path("/sys/class/powercap")
# Local models cost machine time only; a server's tokens are priced by whoever runs it.
DEFAULT_PRICES = {"embedded:*": {"per_hour": 0.0}, "gguf:*": {"per_hour": 0.0},
                  "hf:*": {"per_hour": 0.0}}


def rapl_joules(root: Path = POWERCAP) -> float | None:
    """The sum of the package-level RAPL energy counters, in joules; None if none is readable."""
    total, found = 0.0, False
    for zone in sorted(root.glob("intel-rapl:*")):
        if zone.name.count(":") != 1:
            continue  # sub-zones (core, uncore, dram) are inside their package's count
        try:
            total += int((zone / "energy_uj").read_text()) / 1e6
            found = True
        except (OSError, ValueError):
            continue
    return total if found else None


def energy_source() -> str:
    if rapl_joules() is not None:
        return "RAPL counters (measured)"
    if importlib.util.find_spec("codecarbon") is not None:
        return "codecarbon estimate (CPU TDP x machine load, RAM by size; no RAPL here)"
    return "not measured: no readable RAPL counters (pip install 'codecarbon' to estimate)"


class EnergyMeter:
    """The energy used while a block runs, in joules (``joules`` is None when not measured)."""

    def __init__(self):
        self.joules: float | None = None
        self._rapl: float | None = None
        self._tracker = None

    def __enter__(self) -> EnergyMeter:
        self._rapl = rapl_joules()
        if self._rapl is None and importlib.util.find_spec("codecarbon") is not None:
            import logging

            from codecarbon import OfflineEmissionsTracker
            logging.getLogger("codecarbon").setLevel(logging.ERROR)
            # The whole machine, because the sandbox's programs run in other processes.
            self._tracker = OfflineEmissionsTracker(
                country_iso_code="USA", output_methods=[], log_level="error",
                tracking_mode="machine", measure_power_secs=5)
            self._tracker.start()
        return self

    def __exit__(self, *_) -> None:
        if self._rapl is not None:
            after = rapl_joules()
            self.joules = after - self._rapl if after is not None else None
        elif self._tracker is not None:
            self._tracker.stop()
            data = self._tracker.final_emissions_data
            self.joules = data.energy_consumed * 3.6e6 if data is not None else None


def prices_path() -> Path:
    return Path(os.environ.get("CRUCIBLE_PRICES") or
                Path(platformdirs.user_config_dir("codecrucible")) / "prices.json")


def load_prices(path: Path | None = None) -> dict[str, dict[str, float]]:
    path = path or prices_path()
    table = dict(DEFAULT_PRICES)
    if path.is_file():
        try:
            table.update(json.loads(path.read_text()))
        except ValueError as err:
            raise ValueError(f"{path}: not a valid price table ({err})") from None
    return table


def price_entry(model: str, table: dict[str, dict[str, float]]) -> str | None:
    """The pattern of the most specific entry that matches the model (an exact name wins)."""
    if model in table:
        return model
    matches = [pattern for pattern in table if fnmatch.fnmatchcase(model, pattern)]
    return max(matches, key=len) if matches else None


def price_for(model: str, table: dict[str, dict[str, float]]) -> dict[str, float] | None:
    """The most specific entry whose pattern matches the model (an exact name wins)."""
    pattern = price_entry(model, table)
    return None if pattern is None else table[pattern]


def is_priced(price: dict[str, float] | None) -> bool:
    """Whether an entry sets any price: a local model's default entry (every price 0) does
    not, and its money is no price at all rather than a price of 0."""
    return price is not None and any(value for value in price.values())


def money(row: dict, price: dict[str, float] | None) -> float | None:
    if price is None:
        return None
    hours = ((row.get("model_s") or 0.0) + (row.get("sandbox_cpu_s") or 0.0)) / 3600
    return ((row.get("tokens_in") or 0) / 1e6 * price.get("input_per_mtok", 0.0)
            + (row.get("tokens_out") or 0) / 1e6 * price.get("output_per_mtok", 0.0)
            + hours * price.get("per_hour", 0.0))


def add_costs(rows: list[dict], model: str, energy_j: float | None,
              table: dict[str, dict[str, float]]) -> None:
    """Per candidate: ``cost.seconds``, ``cost.energy_j`` (a share of the run's measured
    energy) and ``cost.usd`` (from the price table; none where it sets no price, as for a
    local model's all-zero default: no price is not a price of 0), in place."""
    price = price_for(model, table)
    price = price if is_priced(price) else None
    seconds = [(r.get("model_s") or 0.0) + (r.get("sandbox_cpu_s") or 0.0) for r in rows]
    total = sum(seconds)
    for row, spent in zip(rows, seconds, strict=True):
        row["cost.seconds"] = spent
        if energy_j is not None and total > 0:
            row["cost.energy_j"] = energy_j * spent / total
        usd = money(row, price)
        if usd is not None:
            row["cost.usd"] = usd


def per_solved(rows: list[dict]) -> dict:
    """A run's totals and its cost per solved problem (a problem is solved when any of its
    candidates passed; every candidate's cost counts, solved or not)."""
    solved = {r["task_id"] for r in rows if r.get("status") == "passed"}
    out: dict = {"problems": len({r["task_id"] for r in rows}), "solved": len(solved)}
    for key, label in (("tokens_in", "tokens_in"), ("tokens_out", "tokens_out"),
                       ("cost.seconds", "seconds"), ("cost.energy_j", "energy_j"),
                       ("cost.usd", "usd")):
        values = [r[key] for r in rows if r.get(key) is not None]
        if not values:
            continue
        out[label] = sum(values)
        out[f"{label}_per_solved"] = sum(values) / len(solved) if solved else None
    return out
