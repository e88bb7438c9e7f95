""" "Why this supplier?": the plan without one source, against the plan with it."""

from __future__ import annotations

import argparse
import json
import re

import pytest

from cli.insight import add_commands
from optimizer.scenario.loading import load_scenario
from optimizer.scenario.parsing import parse_scenario
from optimizer.solve import solve
from optimizer.whatif.shocks import SpecError
from optimizer.whatif.why import format_why, why
from tests.paths import INSTANCES
from tests.tiny import demand, plant, scenario, supplier

# Grades p and q. a (CN) sells p at 10, c (VN) sells p at 30, b (JP) is the only seller of
# q, at 20. Demand: 50 kg of p, 30 kg of q. Shortage: 1000 a kg.
TWO_GRADES = scenario(
    products=[{"id": "p"}, {"id": "q"}],
    suppliers=[
        supplier("a", "CN", 10.0, product="p"),
        supplier("b", "JP", 20.0, product="q"),
        supplier("c", "VN", 30.0, product="p"),
    ],
    demand=demand(50, product="p") + demand(30, product="q"),
)
BASE_COST = 50 * 10 + 30 * 20


def test_excluding_an_unused_supplier_changes_nothing():
    got = why(TWO_GRADES, supplier="c")
    assert got["base"] == {
        "status": "optimal",
        "objective": pytest.approx(BASE_COST),
        "shortage_kg": 0,
    }
    assert got["without"]["objective"] == pytest.approx(BASE_COST)
    assert got["cost_delta"] == pytest.approx(0, abs=1e-9)
    assert got["shortage_delta_kg"] == pytest.approx(0, abs=1e-9)
    assert got["base_supply_kg"] == 0
    assert got["excluded"] == {"kind": "supplier", "id": "c", "suppliers": ["c"], "plants": []}


def test_excluding_the_only_supplier_of_a_grade_turns_its_demand_into_shortage():
    got = why(TWO_GRADES, supplier="b")
    assert got["without"] == {
        "status": "optimal",
        "objective": pytest.approx(50 * 10 + 30 * 1000),
        "shortage_kg": pytest.approx(30),
    }
    assert got["cost_delta"] == pytest.approx(30 * 1000 - 30 * 20)
    assert got["shortage_delta_kg"] == pytest.approx(30)
    assert got["base_supply_kg"] == pytest.approx(30)


def test_excluding_an_origin_takes_its_suppliers_and_plants():
    doc = {**TWO_GRADES, "plants": [plant("k", "CN", 40.0, capacity=10.0, product="p")]}
    got = why(doc, origin="CN")
    assert got["excluded"] == {"kind": "origin", "id": "CN", "suppliers": ["a"], "plants": ["k"]}
    # p now comes from c at 30 (k, at 40, is excluded too)
    assert got["cost_delta"] == pytest.approx(50 * (30 - 10))
    assert got["shortage_delta_kg"] == pytest.approx(0, abs=1e-9)
    # the same as solving with a's and k's capacity at 0 from scratch
    cold = json.loads(json.dumps(doc))
    cold["suppliers"][0]["capacity"] = 0.0
    cold["plants"][0]["capacity"] = 0.0
    assert got["without"]["objective"] == pytest.approx(solve(parse_scenario(cold))["objective"])


def test_excluding_a_plant():
    doc = {**TWO_GRADES, "plants": [plant("k", "IN", 15.0, capacity=10.0, product="q")]}
    got = why(doc, plant="k")
    assert got["base"]["objective"] == pytest.approx(50 * 10 + 10 * 15 + 20 * 20)
    assert got["cost_delta"] == pytest.approx(10 * (20 - 15))
    assert got["base_supply_kg"] == pytest.approx(10)


@pytest.mark.parametrize(
    ("request_", "pointer"),
    [
        ({"supplier": "zz"}, "/supplier"),
        ({"origin": "XX"}, "/origin"),
        ({"plant": "k9"}, "/plant"),
        ({}, ""),
        ({"supplier": "a", "plant": "k"}, ""),
    ],
)
def test_bad_requests_are_refused(request_, pointer):
    with pytest.raises(SpecError) as caught:
        why(TWO_GRADES, **request_)
    assert caught.value.problems[0].pointer == pointer


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="magnets")
    add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    return args.handler(args)


def test_cli_why(tmp_path, capsys):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(TWO_GRADES))
    assert run_cli("why", str(path), "--supplier", "b") == 0
    assert json.loads(capsys.readouterr().out)["shortage_delta_kg"] == pytest.approx(30)
    assert run_cli("why", str(path), "--origin", "XX") == 2
    assert "invalid why request: /origin: unknown origin" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run_cli("why", str(path), "--supplier", "a", "--plant", "k")


BASELINE = INSTANCES / "india-2025-baseline.json"


def test_why_names_the_binding_cap_that_amplifies_the_loss(capsys):
    assert run_cli("why", str(BASELINE), "--supplier", "jp_ndfeb", "--format", "table") == 0
    out = capsys.readouterr().out
    assert re.search(r"shortage +145\.6 t +799\.6 t +\+654 t", out)
    assert re.search(r"total cost +\$90,444,565 +\$221,253,625 +\+\$130,809,060", out)
    assert "jp_ndfeb supplied 150 t; without it the shortage grows by 654 t" in out
    assert "the loss exceeds the removed supply, amplified by the binding share cap on CN" in out
    without = out[out.index("Binding limits without jp_ndfeb:") :]
    assert "origin share: CN at its 80 % cap in 2025-Q3, 2025-Q4, 2026-Q1" in without
    assert "each kg of other supply lost takes 4 kg of CN with it" in without
    assert "licence cn-pooled-2025: used up, 100 t of 100 t" in without


def test_why_reports_binding_limits_and_the_amplified_loss_in_json():
    got = why(
        load_scenario(BASELINE).model_dump(mode="json", exclude_none=True), supplier="jp_ndfeb"
    )
    assert got["loss_exceeds_supply"] is True and got["currency"] == "USD"
    caps = [b for b in got["binding"]["without"] if b["constraint"] == "origin_share"]
    assert {b["id"] for b in caps} == {"CN"} and len(caps) == 6
    assert all(b["used"] == pytest.approx(0.8) and b["limit"] == 0.8 for b in caps)
    assert got["shortage_delta_kg"] == pytest.approx(654_000) and got["base_supply_kg"] == 150_000


def test_why_table_rounds_the_solver_s_round_off_away(capsys, tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(TWO_GRADES))
    assert run_cli("why", str(path), "--supplier", "c", "--format", "table") == 0
    out = capsys.readouterr().out
    assert re.search(r"shortage +0 kg +0 kg +0 kg", out)
    assert "e-" not in out and "−0" not in out
    assert "the shortage does not change" in out


def test_a_soft_cap_is_named_a_target_and_amplifies_nothing() -> None:
    """With a penalty, China's 80 % cap is a target the plan passes (89-99 %): losing
    jp_ndfeb costs its own 150 t of supply, not 654 t as under the hard cap."""
    document = json.loads((INSTANCES / "india-2025-baseline.json").read_text(encoding="utf-8"))
    document["policy"]["origin_share_penalty"] = {"CN": 20.0}
    result = why(document, supplier="jp_ndfeb")
    kinds = {b["constraint"] for b in result["binding"]["without"]}
    assert "origin_share_target" in kinds and "origin_share" not in kinds
    assert result["loss_exceeds_supply"] is False
    text = format_why(result)
    assert "soft cap" in text and "kg of CN with it" not in text
