"""The hedge document's rules (MODEL.md §6): each rejection names pointer, value and rule."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from optimizer.errors import ScenarioError
from optimizer.whatif.hedge_document import load_hedge, parse_hedge
from tests.whatif.test_hedge_values import HALT, hedge, two_periods


def problems(doc: Any) -> list[tuple[str, Any, str]]:
    with pytest.raises(ScenarioError) as caught:
        parse_hedge(doc)
    return [(p.pointer, p.value, p.rule) for p in caught.value.problems]


def test_a_valid_document_and_its_defaults() -> None:
    doc = hedge(0.3)
    del doc["reveal"], doc["risk"]
    h = parse_hedge(doc)
    assert (h.reveal, h.reveal_at, h.alpha, h.weight) == ("t0", 0, 0.9, 0.0)
    assert [o.name for o in h.outcomes] == ["hold", "cn-halt"]
    assert h.outcomes[1].scenario.suppliers[0].capacity == [100.0, 0.0]


def test_yaml_is_read_too(tmp_path: Any) -> None:
    import yaml

    path = tmp_path / "hedge.yaml"
    path.write_text(yaml.safe_dump(hedge(0.3)), encoding="utf-8")
    assert load_hedge(path).reveal == "t1"


@pytest.mark.parametrize(
    ("change", "pointer", "rule"),
    [
        (lambda d: d.update(extra=1), "/extra", "unknown field"),
        (
            lambda d: d["outcomes"][0].update(probability=0),
            "/outcomes/0/probability",
            "greater than 0",
        ),
        (lambda d: d["risk"].update(alpha=1.0), "/risk/alpha", "less than 1"),
        (lambda d: d["risk"].update(weight=1.5), "/risk/weight", "less than or equal to 1"),
        (lambda d: d.update(outcomes=[]), "/outcomes", "at least 1"),
        (lambda d: d["outcomes"][0].update(scenario=two_periods()), "/outcomes/0", "exactly one"),
        (lambda d: d["outcomes"][0].pop("shocks"), "/outcomes/0", "exactly one"),
        (lambda d: d.update(reveal="t9"), "/reveal", "not a period label"),
        (lambda d: d["outcomes"][1].update(name="hold"), "/outcomes/1/name", "unique"),
        (lambda d: d["outcomes"][1].update(probability=0.6), "/outcomes", "sum to 1"),
        (lambda d: d["base"].pop("periods"), "/base/periods", "required"),
        (
            lambda d: d["outcomes"][1]["shocks"].append(
                {"kind": "capacity", "origin": "XX", "factor": 0}
            ),
            "/outcomes/1/shocks/1/origin/0",
            "unknown country",
        ),
        (
            lambda d: d["outcomes"][1]["shocks"].append({"kind": "demand", "factor": 2}),
            "/outcomes/1/shocks",
            "before reveal, must equal base's",
        ),
    ],
)
def test_each_rule_names_pointer_and_rule(change: Any, pointer: str, rule: str) -> None:
    doc = hedge(0.3)
    change(doc)
    found = problems(doc)
    assert any(p == pointer and rule in r for p, _, r in found), found


def test_probabilities_within_1e_9_of_one_are_accepted() -> None:
    doc = hedge(0.3)
    doc["outcomes"][0]["probability"] = 0.7 + 5e-10
    parse_hedge(doc)
    doc["outcomes"][0]["probability"] = 0.7 + 5e-9
    assert problems(doc)[0][0] == "/outcomes"


def test_a_shock_that_adds_or_removes_an_id_says_to_give_it_in_base() -> None:
    doc = hedge(0.3)
    new = {"id": "L9", "suppliers": ["cn"], "quantity": 10}
    doc["outcomes"][1]["shocks"] = [{"kind": "add_licence", "licence": new}]
    (found,) = problems(doc)
    assert found[0] == "/outcomes/1/shocks" and found[1] == "L9"
    assert "give it in `base` (with quantity 0)" in found[2]
    doc = hedge(0.3)
    doc["base"]["licences"] = [new]
    doc["outcomes"][1]["shocks"] = [{"kind": "revoke_licence", "licence": "L9", "remove": True}]
    (found,) = problems(doc)
    assert "remove licence 'L9'" in found[2] and "quantity to 0" in found[2]
    doc["outcomes"][1]["shocks"] = [{"kind": "revoke_licence", "licence": "L9"}]
    parse_hedge(doc)  # quantity 0 keeps the id


def test_a_written_out_outcome_must_hold_base_ids_and_structure() -> None:
    doc = hedge(0.3)
    other = two_periods()
    other["suppliers"][1]["id"] = "kr"
    doc["outcomes"][1] = {"name": "x", "probability": 0.3, "scenario": other}
    found = problems(doc)
    assert ("/outcomes/1/scenario/suppliers", "kr") in [(p, v) for p, v, _ in found]
    other = two_periods()
    other["suppliers"][0]["country"] = "JP"
    doc["outcomes"][1]["scenario"] = other
    (found1,) = problems(doc)
    assert found1[0] == "/outcomes/1/scenario/suppliers/0/country"
    assert "numbers only" in found1[2]


def test_early_demand_and_opening_stock_must_equal_base() -> None:
    doc = hedge(0.3)
    other = two_periods()
    other["demand"][0]["quantity"] = 60
    other["products"][0]["initial_inventory"] = {"CN": 5}
    doc["outcomes"][1] = {"name": "x", "probability": 0.3, "scenario": other}
    found = {p: r for p, _, r in problems(doc)}
    assert "before reveal" in found["/outcomes/1/scenario/demand/0"]
    assert "opening stock" in found["/outcomes/1/scenario/products/0/initial_inventory"]
    later = copy.deepcopy(two_periods())
    later["demand"][1]["quantity"] = 80  # after reveal: free to differ
    later["suppliers"][0]["lead_time"] = 1  # a number: free to differ
    doc["outcomes"][1]["scenario"] = later
    parse_hedge(doc)


def test_an_invalid_outcome_scenario_is_reported_under_its_pointer() -> None:
    doc = hedge(0.3)
    bad = two_periods()
    bad["suppliers"][0]["capacity"] = -1
    doc["outcomes"][1] = {"name": "x", "probability": 0.3, "scenario": bad}
    assert any(
        p.startswith("/outcomes/1/scenario/suppliers/0/capacity") for p, _, _ in problems(doc)
    )
    doc = hedge(0.3)
    doc["outcomes"][1]["shocks"] = [dict(HALT, factor=-1)]
    assert any(p.startswith("/outcomes/1/shocks/0/factor") for p, _, _ in problems(doc))
