"""MODEL.md §7's fields, as strict as the rest: each problem names the pointer, the value
and the rule, in JSON and YAML alike, with the rest of the document still checked."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from optimizer.errors import Problem, ScenarioError
from optimizer.scenario.parsing import decode, parse_scenario
from tests.scenario.test_validation import C0


def rules_doc() -> dict[str, Any]:
    doc = copy.deepcopy(C0)
    doc["suppliers"][1]["offers"][0]["discounts"] = [
        {"min_kg": 50, "price": 18.0},
        {"min_kg": 90, "price": 16.5},
    ]
    doc["suppliers"][1]["qualification"] = {"cost": 250.0, "lead": 1}
    doc["sectors"][1]["min_service"] = 0.95
    doc["policy"] = {
        "max_origin_share": {"CN": 0.6}, "origin_share_penalty": {"CN": 5.0},
        "max_suppliers": {"ndfeb": 1},
    }  # fmt: skip
    return doc


def problems(doc: dict[str, Any]) -> list[Problem]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(doc)
    return list(caught.value.problems)


def test_every_rule_parses_and_keeps_its_values() -> None:
    sc = parse_scenario(rules_doc())
    offer = sc.suppliers[1].offers[0]
    assert [(d.min_kg, d.price) for d in offer.discounts] == [(50.0, 18.0), (90.0, 16.5)]
    assert sc.suppliers[1].qualification is not None
    assert (sc.suppliers[1].qualification.cost, sc.suppliers[1].qualification.lead) == (250, 1)
    assert sc.suppliers[0].qualification is None and sc.sectors[0].min_service is None
    assert sc.sectors[1].min_service == 0.95
    assert sc.policy.max_suppliers == {"ndfeb": 1}
    assert sc.policy.origin_share_penalty == {"CN": 5.0}


def test_yaml_spells_the_same_document() -> None:
    text = yaml.safe_dump(rules_doc())
    assert decode(text, "yaml") == decode(json.dumps(rules_doc()), "json")
    assert parse_scenario(decode(text, "yaml")) == parse_scenario(rules_doc())


DISCOUNTS = "/suppliers/1/offers/0/discounts"


@pytest.mark.parametrize(
    ("change", "pointer", "rule"),
    [
        (lambda d: d[1].update(min_kg=50), f"{DISCOUNTS}/1/min_kg", "must increase strictly"),
        (lambda d: d[1].update(min_kg=40), f"{DISCOUNTS}/1/min_kg", "must increase strictly"),
        (lambda d: d[1].update(price=18.0), f"{DISCOUNTS}/1/price", "decrease strictly"),
        (lambda d: d[0].update(price=20.0), f"{DISCOUNTS}/0/price", "below the offer's price"),
        (lambda d: d[0].update(min_kg=0), f"{DISCOUNTS}/0/min_kg", "greater than 0"),
        (lambda d: d[0].update(price=-1.0), f"{DISCOUNTS}/0/price", "greater than or equal"),
        (lambda d: d[0].update(kg=5), f"{DISCOUNTS}/0/kg", "unknown field"),
        (lambda d: d[0].update(min_kg="50"), f"{DISCOUNTS}/0/min_kg", "valid number"),
    ],
)
def test_discount_rules(change: Any, pointer: str, rule: str) -> None:
    doc = rules_doc()
    change(doc["suppliers"][1]["offers"][0]["discounts"])
    found = [p for p in problems(doc) if p.pointer == pointer]
    assert len(found) == 1 and rule in found[0].rule, problems(doc)


def test_a_bracket_that_cannot_be_read_is_compared_with_nothing() -> None:
    doc = rules_doc()
    doc["suppliers"][1]["offers"][0]["discounts"][0]["price"] = "cheap"
    assert [p.pointer for p in problems(doc)] == [f"{DISCOUNTS}/0/price"]


def test_discounts_belong_to_supplier_offers_only() -> None:
    doc = rules_doc()
    doc["plants"] = [
        {"id": "k", "country": "JP", "capacity": 10,
         "offers": [{"product": "ndfeb", "price": 5.0, "discounts": []}]},
    ]  # fmt: skip
    assert [p.pointer for p in problems(doc)] == ["/plants/0/offers/0/discounts"]


@pytest.mark.parametrize(
    ("field", "value", "pointer", "rule"),
    [
        ("cost", -1.0, "/suppliers/1/qualification/cost", "greater than or equal to 0"),
        ("lead", 1.5, "/suppliers/1/qualification/lead", "valid integer"),
        ("lead", -1, "/suppliers/1/qualification/lead", "greater than or equal to 0"),
        ("lead", True, "/suppliers/1/qualification/lead", "valid integer"),
        ("weeks", 3, "/suppliers/1/qualification/weeks", "unknown field"),
    ],
)
def test_qualification_rules(field: str, value: Any, pointer: str, rule: str) -> None:
    doc = rules_doc()
    doc["suppliers"][1]["qualification"][field] = value
    [problem] = problems(doc)
    assert (problem.pointer, rule in problem.rule) == (pointer, True)


def test_a_qualification_needs_cost_and_lead() -> None:
    doc = rules_doc()
    doc["suppliers"][1]["qualification"] = {"cost": 1.0}
    assert [p.pointer for p in problems(doc)] == ["/suppliers/1/qualification/lead"]


@pytest.mark.parametrize("value", [1.01, -0.1, "0.9", True])
def test_a_service_level_lies_in_zero_one(value: Any) -> None:
    doc = rules_doc()
    doc["sectors"][1]["min_service"] = value
    assert [p.pointer for p in problems(doc)] == ["/sectors/1/min_service"]


def test_max_suppliers_names_products_with_whole_counts() -> None:
    doc = rules_doc()
    doc["policy"]["max_suppliers"] = {"smco": 1, "ndfeb": 1.5}
    found = {p.pointer: p.rule for p in problems(doc)}
    assert "products" in found["/policy/max_suppliers/smco"]
    assert "integer" in found["/policy/max_suppliers/ndfeb"]
    doc["policy"]["max_suppliers"] = {"ndfeb": -1}
    assert [p.pointer for p in problems(doc)] == ["/policy/max_suppliers/ndfeb"]
    doc["policy"]["max_suppliers"] = {"ndfeb": 2.0}  # a whole float is the integer
    assert parse_scenario(doc).policy.max_suppliers == {"ndfeb": 2}


def test_a_penalty_names_a_capped_origin() -> None:
    doc = rules_doc()
    doc["policy"]["origin_share_penalty"] = {"JP": 1.0, "XX": 2.0, "CN": -1.0}
    found = {p.pointer: p.rule for p in problems(doc)}
    assert "give the origin a cap" in found["/policy/origin_share_penalty/JP"]
    assert "countries" in found["/policy/origin_share_penalty/XX"]
    assert "greater than or equal to 0" in found["/policy/origin_share_penalty/CN"]
    assert len(found) == 3


def test_rule_problems_come_with_every_other_problem() -> None:
    doc = rules_doc()
    doc["suppliers"][0]["capacity"] = -1
    doc["sectors"][1]["min_service"] = 2
    doc["suppliers"][1]["offers"][0]["discounts"][1]["price"] = 19.0
    assert [p.pointer for p in problems(doc)] == [
        "/sectors/1/min_service",
        "/suppliers/0/capacity",
        f"{DISCOUNTS}/1/price",
    ]


def test_at_most_32_brackets_per_offer() -> None:
    doc = rules_doc()
    offer = doc["suppliers"][1]["offers"][0]
    offer["price"] = 100.0
    offer["discounts"] = [{"min_kg": 10 * (b + 1), "price": 99.0 - b} for b in range(33)]
    [problem] = problems(doc)
    assert problem.pointer == DISCOUNTS and "at most 32" in problem.rule
    offer["discounts"] = offer["discounts"][:32]
    assert len(parse_scenario(doc).suppliers[1].offers[0].discounts) == 32
