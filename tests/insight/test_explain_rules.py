"""--explain on MODEL.md §7's limits, worked out by hand: the value of a service level and
of one more supplier, the demand's value under a service level, and a diagnosis that
names the rules in words."""

from __future__ import annotations

from typing import Any

from optimizer.insight.diagnosis import diagnose
from optimizer.scenario.parsing import parse_scenario
from tests.reported_values import values
from tests.tiny import demand, scenario, supplier


def _service(level: float) -> dict[str, Any]:
    doc = scenario(suppliers=[supplier("a", "JP", 10.0, 100.0)], demand=demand(100.0))
    doc["sectors"] = [{"id": "auto", "shortage_penalty": 1.0, "min_service": level}]
    return doc


def test_a_binding_service_level_is_worth_its_cost_per_unit() -> None:
    # 80 %: 80 kg bought at 10, 20 short at 1. One more point of service (1 kg) costs
    # 10 − 1 = 9, so one unit (100 %) is worth 900; one more kg demanded costs 10 × 0.8 +
    # 1 × 0.2 = 8.2 (80 % of it must be met).
    got = values(_service(0.8))
    assert got["min_service", "auto", None] == 900.0
    assert got["demand", "p/auto", "t0"] == 8.2


def test_a_service_level_that_does_not_bind_is_not_listed() -> None:
    doc = _service(0.8)
    doc["sectors"][0]["shortage_penalty"] = 50.0  # everything is bought anyway
    assert ("min_service", "auto", None) not in values(doc)


def test_one_more_supplier_is_worth_what_it_saves() -> None:
    # One supplier: b alone, 100 kg at 12 (1,200); two: a's 60 at 10 and b's 40 at 12.
    doc = scenario(
        suppliers=[supplier("a", "JP", 10.0, 60.0), supplier("b", "VN", 12.0, 100.0)],
        demand=demand(100.0),
    )
    doc["policy"] = {"max_suppliers": {"p": 1}}
    assert values(doc)["max_suppliers", "p", None] == -120.0
    doc["policy"] = {"max_suppliers": {"p": 2}}  # both in use, a third would save nothing
    assert ("max_suppliers", "p", None) not in values(doc)


def test_the_diagnosis_names_a_service_level_and_a_qualification() -> None:
    # vn is the only source, qualified with a lead of 1 in a single period: nothing can
    # be delivered, yet 50 % of the 100 kg demanded must be met.
    vn = supplier("vn", "VN", 10.0, 100.0, qualification={"cost": 5.0, "lead": 1})
    doc = scenario(suppliers=[vn], demand=demand(100.0))
    doc["sectors"] = [{"id": "auto", "shortage_penalty": 1.0, "min_service": 0.5}]
    found = diagnose(parse_scenario(doc))
    members = {(c["constraint"], c["id"]): c["text"] for c in found["conflict"]}
    assert set(members) == {
        ("min_service", "auto"), ("qualified_supply", "vn"), ("demand", "p/auto"),
    }  # fmt: skip
    assert "50 %" in members["min_service", "auto"]
    assert "qualification takes 1 period" in members["qualified_supply", "vn"]
    assert found["irreducible"] is True
