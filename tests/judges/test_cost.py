"""The cost judge: RAPL energy counters, the user's price table, cost per solved problem."""

from __future__ import annotations

import time

import pytest

from codecrucible.judges import cost


def test_rapl_sums_the_packages_and_skips_their_sub_zones(tmp_path):
    for zone, microjoules in (("intel-rapl:0", 5_000_000), ("intel-rapl:1", 2_500_000),
                              ("intel-rapl:0:0", 9_999_999)):
        (tmp_path / zone).mkdir()
        (tmp_path / zone / "energy_uj").write_text(f"{microjoules}\n")
    assert cost.rapl_joules(tmp_path) == pytest.approx(7.5)
    assert cost.rapl_joules(tmp_path / "absent") is None


def test_the_most_specific_price_applies(tmp_path):
    prices = tmp_path / "prices.json"
    prices.write_text('{"openai:*": {"input_per_mtok": 1.0, "output_per_mtok": 2.0},'
                      ' "openai:https://api.example.com/v1#*": {"output_per_mtok": 8.0},'
                      ' "embedded:qwen2.5-coder-0.5b": {"per_hour": 0.36}}')
    table = cost.load_prices(prices)
    assert cost.price_for("openai:https://api.example.com/v1#big", table) == {
        "output_per_mtok": 8.0}
    assert cost.price_for("openai:http://127.0.0.1:8000/v1#small", table)["input_per_mtok"] == 1
    assert cost.price_for("embedded:gemma-3-270m", table) == {"per_hour": 0.0}  # the default
    assert cost.price_for("vllm:x", table) is None
    row = {"tokens_in": 2_000_000, "tokens_out": 500_000, "model_s": 1800.0, "sandbox_cpu_s": 0}
    assert cost.money(row, {"input_per_mtok": 1.0, "output_per_mtok": 2.0,
                            "per_hour": 0.36}) == pytest.approx(2.0 + 1.0 + 0.18)
    prices.write_text("{not json")
    with pytest.raises(ValueError, match="not a valid price table"):
        cost.load_prices(prices)


def test_cost_per_solved_problem_charges_every_candidate():
    rows = [{"task_id": "T/1", "status": "passed", "tokens_in": 100, "tokens_out": 50,
             "model_s": 3.0, "sandbox_cpu_s": 1.0},
            {"task_id": "T/1", "status": "failed", "tokens_in": 100, "tokens_out": 70,
             "model_s": 4.0, "sandbox_cpu_s": 0.0},
            {"task_id": "T/2", "status": "failed", "tokens_in": 80, "tokens_out": 30,
             "model_s": 2.0, "sandbox_cpu_s": 0.0}]
    cost.add_costs(rows, "embedded:qwen2.5-coder-0.5b", 100.0, {"embedded:*": {"per_hour": 36}})
    assert [r["cost.energy_j"] for r in rows] == pytest.approx([40.0, 40.0, 20.0])
    assert rows[0]["cost.usd"] == pytest.approx(0.04)
    total = cost.per_solved(rows)
    assert total["problems"] == 2 and total["solved"] == 1
    assert total["tokens_out_per_solved"] == 150
    assert total["energy_j_per_solved"] == pytest.approx(100.0)
    assert total["usd_per_solved"] == pytest.approx(0.1)


def test_a_local_model_without_a_price_has_no_money_column():
    rows = [{"task_id": "T/1", "status": "passed", "tokens_in": 100, "tokens_out": 50,
             "model_s": 3.0, "sandbox_cpu_s": 1.0}]
    cost.add_costs(rows, "embedded:qwen2.5-coder-0.5b", None, dict(cost.DEFAULT_PRICES))
    assert "cost.usd" not in rows[0] and rows[0]["cost.seconds"] == 4.0
    assert "usd" not in cost.per_solved(rows)


def test_the_energy_meter_measures_a_busy_block():
    """RAPL where readable, else codecarbon's estimate (the test extra installs it)."""
    assert cost.energy_source().startswith(("RAPL", "codecarbon"))
    with cost.EnergyMeter() as meter:
        end = time.monotonic() + 2
        while time.monotonic() < end:
            pass
    assert meter.joules is not None and 0 < meter.joules < 2 * 1000  # under a kilowatt
