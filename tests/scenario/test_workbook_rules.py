"""The sourcing rules of MODEL.md §7 in the scenario workbook (optimizer/scenario/workbook*.py).

A sector's min_service is a column of sheet sectors, a supplier's qualification two
columns of sheet suppliers, quantity discounts the rows of sheet discounts, max_suppliers
and origin_share_penalty rows of sheet policy. Round trips: the rules conformance
scenarios and 40 random scenarios with the rules drawn; the cells where each rule is
written; an analyst's workbook; every bad cell of a new kind reported once, with its
sheet and cell. Budget: about 10 s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from optimizer.scenario.parsing import parse_scenario
from optimizer.scenario.workbook import (
    example_scenario,
    read_workbook,
    scenario_from_workbook,
    write_scenario_workbook,
)
from optimizer.solve import solve
from tests.paths import conformance
from tests.random_scenarios import random_scenario
from tests.scenario.test_workbook import book, in_order, load, minimal, only, problems, round_trip

RULES = sorted((conformance() / "rules").glob("*.json"))


def cells(path: Path, sheet: str) -> list[list[Any]]:
    return [[c.value for c in row] for row in openpyxl.load_workbook(path)[sheet].iter_rows()]


# ---------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("path", RULES, ids=lambda p: p.stem)
def test_the_rules_conformance_scenarios_survive_a_round_trip(path: Path, tmp_path: Path) -> None:
    original, back = round_trip(load(path), tmp_path)
    assert back == original
    expected, got = solve(original), solve(back)
    assert got["status"] == expected["status"] == "optimal"
    assert got["objective"] == pytest.approx(expected["objective"], rel=1e-9)


@pytest.mark.parametrize("milp", [False, True], ids=["lp", "milp"])
@pytest.mark.parametrize("seed", range(20))
def test_random_scenarios_with_rules_survive_a_round_trip(
    seed: int, milp: bool, tmp_path: Path
) -> None:
    original, back = round_trip(random_scenario(seed, milp, rules=True), tmp_path)
    assert in_order(back) == in_order(original)


def test_the_random_rule_scenarios_use_every_rule() -> None:
    """The sweep above is only as good as what it exercises: check that it does."""
    docs = [random_scenario(seed, milp, rules=True) for seed in range(20) for milp in (0, 1)]
    offers = [o for d in docs for s in d["suppliers"] for o in s["offers"]]
    assert any(len(o.get("discounts", [])) >= 2 for o in offers)
    assert any(s.get("qualification") for d in docs for s in d["suppliers"])
    assert any(e.get("min_service") is not None for d in docs for e in d["sectors"])
    assert any(len(d["policy"].get("max_suppliers", {})) >= 2 for d in docs)
    assert any(0 in d["policy"].get("max_suppliers", {}).values() for d in docs)
    assert any(d["policy"].get("origin_share_penalty") for d in docs)


def test_each_rule_is_written_where_the_layout_says(tmp_path: Path) -> None:
    doc = load(conformance() / "rules" / "r5_soft_cap_pays.json")
    doc["sectors"][0]["min_service"] = 0.5
    doc["suppliers"][0]["qualification"] = {"cost": 50, "lead": 1}
    doc["suppliers"][1]["offers"][0]["discounts"] = [
        {"min_kg": 10, "price": 19},
        {"min_kg": 20.5, "price": 18.25},
    ]
    doc["policy"]["max_suppliers"] = {"p": 1}
    path = tmp_path / "rules.xlsx"
    write_scenario_workbook(doc, path)
    sectors = cells(path, "sectors")
    assert sectors[1][sectors[0].index("min_service")] == 0.5
    suppliers = cells(path, "suppliers")
    assert suppliers[0][-2:] == ["qualification_cost", "qualification_lead"]
    assert [row[-2:] for row in suppliers[1:]] == [[50, 1], [None, None]]
    assert cells(path, "discounts") == [
        ["supplier", "product", "min_kg", "price"],
        ["jp", "p", 10, 19],
        ["jp", "p", 20.5, 18.25],
    ]
    assert cells(path, "policy") == [
        ["setting", "origin", "product", "value"],
        ["max_origin_share", "CN", None, 0.5],
        ["origin_share_penalty", "CN", None, 5],
        ["max_suppliers", None, "p", 1],
    ]
    assert read_workbook(path)["policy"] == doc["policy"]
    assert parse_scenario(read_workbook(path)) == parse_scenario(doc)


def test_the_template_shows_every_rule(tmp_path: Path) -> None:
    """The template (solved in test_workbook.py) carries an example of each rule."""
    doc = example_scenario(["A", "B"])
    assert any(e.get("min_service") for e in doc["sectors"])
    assert any(s.get("qualification") for s in doc["suppliers"])
    assert any(o.get("discounts") for s in doc["suppliers"] for o in s["offers"])
    assert doc["policy"]["max_suppliers"] and doc["policy"]["origin_share_penalty"]


# ---------------------------------------------------------------------------- reading by hand


def test_an_analysts_rules_read_to_the_document_they_spell(tmp_path: Path) -> None:
    sheets = minimal(
        sectors=[["id", "shortage_penalty", "min_service"], ["auto", 100, 0.9]],
        countries=[["id"], ["CN"], ["JP"]],
        suppliers=[
            ["id", "country", "capacity", "qualification_lead", "qualification_cost"],
            ["s1", "CN", 50, None, None],
            ["s2", "JP", 40, 2.0, 1500],
        ],
        supplier_offers=[["supplier", "product", "price"], ["s1", "p", 10], ["s2", "p", 12]],
        discounts=[
            ["product", "supplier", "price", "min_kg"],
            ["p", "s2", 11, 20],
            [None, None, None, None],
            ["p", "s2", 10.5, 35],
            ["p", "s1", 9, 30],
        ],
        policy=[
            ["setting", "product", "origin", "value"],
            ["max_suppliers", "p", None, 1.0],
            ["max_origin_share", None, "CN", 0.6],
            ["origin_share_penalty", None, "CN", 4.5],
        ],
    )
    got = read_workbook(book(tmp_path, sheets))
    assert got["sectors"] == [{"id": "auto", "shortage_penalty": 100, "min_service": 0.9}]
    assert got["suppliers"] == [
        {"id": "s1", "country": "CN", "capacity": 50,
         "offers": [{"product": "p", "price": 10, "discounts": [{"min_kg": 30, "price": 9}]}]},
        {"id": "s2", "country": "JP", "capacity": 40, "qualification": {"lead": 2, "cost": 1500},
         "offers": [{"product": "p", "price": 12, "discounts": [
             {"min_kg": 20, "price": 11}, {"min_kg": 35, "price": 10.5}]}]},
    ]  # fmt: skip
    assert got["policy"] == {
        "max_suppliers": {"p": 1},
        "max_origin_share": {"CN": 0.6},
        "origin_share_penalty": {"CN": 4.5},
    }
    assert type(got["policy"]["max_suppliers"]["p"]) is int
    assert type(got["suppliers"][1]["qualification"]["lead"]) is int
    parse_scenario(got)  # and it is a valid scenario


# ---------------------------------------------------------------------------- workbook errors


def test_one_bad_cell_of_each_new_kind_is_reported_once_with_its_cell(tmp_path: Path) -> None:
    sheets = minimal(
        countries=[["id"], ["CN"], ["JP"]],
        suppliers=[
            ["id", "country", "capacity", "qualification_cost", "qualification_lead"],
            ["s1", "CN", 50, "a lot", 1],
            ["s2", "JP", 50, 100, 1.5],
        ],
        supplier_offers=[["supplier", "product", "price"], ["s1", "p", 10], ["s2", "p", 12]],
        discounts=[
            ["supplier", "product", "min_kg", "price"],
            ["s1", "p", "twenty", 9],
            ["s2", "p", 20, "11"],
        ],
        policy=[
            ["setting", "origin", "product", "value"],
            ["max_origin_share", "CN", None, "half"],
            ["origin_share_penalty", "CN", None, True],
            ["max_suppliers", None, "p", 1.5],
        ],
    )
    found = problems(scenario_from_workbook, book(tmp_path, sheets))
    assert sorted((p.pointer, p.rule.partition(":")[0]) for p in found) == sorted([
        ("/suppliers/0/qualification/cost", "sheet 'suppliers', cell D2"),
        ("/suppliers/1/qualification/lead", "sheet 'suppliers', cell E3"),
        ("/suppliers/0/offers/0/discounts/0/min_kg", "sheet 'discounts', cell C2"),
        ("/suppliers/1/offers/0/discounts/0/price", "sheet 'discounts', cell D3"),
        ("/policy/max_origin_share/CN", "sheet 'policy', cell D2"),
        ("/policy/origin_share_penalty/CN", "sheet 'policy', cell D3"),
        ("/policy/max_suppliers/p", "sheet 'policy', cell D4"),
    ]), [str(p) for p in found]  # fmt: skip
    rules = {p.pointer: p.rule.partition(": ")[2] for p in found}
    assert rules["/suppliers/1/qualification/lead"] == "a whole number is needed here"
    assert rules["/policy/max_suppliers/p"] == "a whole number is needed here"
    assert rules["/suppliers/1/offers/0/discounts/0/price"].startswith(
        "a number is needed here (this one is stored as text"
    )


@pytest.mark.parametrize(
    ("sheets", "pointer", "rule"),
    [
        (
            {"discounts": [["supplier", "product", "min_kg", "price"], ["s9", "p", 5, 9]]},
            "/suppliers",
            "sheet 'discounts', cell A2: no supplier 's9' on sheet 'suppliers'",
        ),
        (
            {"discounts": [["supplier", "product", "min_kg", "price"], ["s1", "q", 5, 9]]},
            "/suppliers/0/offers",
            "sheet 'discounts', cell B2: supplier 's1' has no offer of 'q' on sheet "
            "'supplier_offers'",
        ),
        (
            {"discounts": [["supplier", "product", "min_kg", "price"], ["s1", None, 5, 9]]},
            "/suppliers/0/offers",
            "sheet 'discounts', row 2: names no product",
        ),
        (
            {"discounts": [["supplier", "product", "price"], ["s1", "p", 9]]},
            "/suppliers",
            "sheet 'discounts': no column 'min_kg'",
        ),
        (
            {
                "suppliers": [
                    ["id", "country", "capacity", "qualification_cost", "qualification_lead"],
                    ["s1", "CN", 50, 100, None],
                ]
            },
            "/suppliers/0/qualification",
            "sheet 'suppliers', row 2: give qualification_lead with qualification_cost, or neither",
        ),
        (
            {"policy": [["setting", "origin", "value"], ["max_suppliers", None, 1]]},
            "/policy/max_suppliers",
            "sheet 'policy', row 2: max_suppliers needs the product id in column 'product'",
        ),
        (
            {
                "policy": [
                    ["setting", "origin", "product", "value"],
                    ["max_suppliers", "CN", "p", 1],
                ]
            },
            "/policy/max_suppliers/p",
            "sheet 'policy', row 2: max_suppliers takes no origin: leave column 'origin' blank",
        ),
        (
            {
                "policy": [
                    ["setting", "origin", "product", "value"],
                    ["origin_share_penalty", "CN", "p", 1],
                ]
            },
            "/policy/origin_share_penalty/CN",
            "sheet 'policy', row 2: origin_share_penalty takes no product: leave column "
            "'product' blank",
        ),
        (
            {
                "policy": [
                    ["setting", "product", "value"],
                    ["max_suppliers", "p", 1],
                    ["max_suppliers", "p", 2],
                ]
            },
            "/policy/max_suppliers/p",
            "sheet 'policy', row 3: this product already has a row",
        ),
        (
            {
                "policy": [
                    ["setting", "product", "value[t0]", "value[t1]"],
                    ["max_suppliers", "p", 1, 2],
                ]
            },
            "/policy/max_suppliers/p",
            "sheet 'policy', row 2: max_suppliers takes one value, not one per period",
        ),
    ],
    ids=[
        "discount-supplier",
        "discount-offer",
        "discount-without-product",
        "discount-column",
        "half-a-qualification",
        "max-suppliers-without-product",
        "max-suppliers-with-origin",
        "penalty-with-product",
        "max-suppliers-twice",
        "max-suppliers-per-period",
    ],
)
def test_rule_rows_that_cannot_be_read(
    sheets: dict, pointer: str, rule: str, tmp_path: Path
) -> None:
    p = only(problems(scenario_from_workbook, book(tmp_path, minimal(**sheets))))
    assert p.pointer == pointer
    assert p.rule.startswith(rule), p.rule


@pytest.mark.parametrize(
    ("sheets", "pointer", "place"),
    [
        (
            {"discounts": [["supplier", "product", "min_kg", "price"], ["s1", "p", 5, 10]]},
            "/suppliers/0/offers/0/discounts/0/price",
            "sheet 'discounts', cell D2",
        ),
        (
            {
                "discounts": [
                    ["supplier", "product", "min_kg", "price"],
                    ["s1", "p", 5, 9],
                    ["s1", "p", 5, 8],
                ]
            },
            "/suppliers/0/offers/0/discounts/1/min_kg",
            "sheet 'discounts', cell C3",
        ),
        (
            {
                "suppliers": [
                    ["id", "country", "capacity", "qualification_cost", "qualification_lead"],
                    ["s1", "CN", 50, 100, -1],
                ]
            },
            "/suppliers/0/qualification/lead",
            "sheet 'suppliers', cell E2",
        ),
        (
            {"policy": [["setting", "product", "value"], ["max_suppliers", "q", 1]]},
            "/policy/max_suppliers/q",
            "sheet 'policy', cell C2",
        ),
        (
            {"policy": [["setting", "origin", "value"], ["origin_share_penalty", "CN", 5]]},
            "/policy/origin_share_penalty/CN",
            "sheet 'policy', cell C2",
        ),
    ],
    ids=["discount-not-below", "brackets-not-increasing", "negative-lead", "unknown-product",
         "penalty-without-cap"],
)  # fmt: skip
def test_the_rules_validation_names_the_cell(
    sheets: dict, pointer: str, place: str, tmp_path: Path
) -> None:
    p = only(problems(scenario_from_workbook, book(tmp_path, minimal(**sheets))))
    assert p.pointer == pointer
    assert p.rule.startswith(f"{place}: "), p.rule


def test_a_cap_whose_value_cannot_be_read_still_holds_its_penalty(tmp_path: Path) -> None:
    """The penalty's rule looks for the origin's cap: a bad cap cell is reported, once."""
    sheets = minimal(
        policy=[
            ["setting", "origin", "value", "value[t0]", "value[t1]"],
            ["max_origin_share", "CN", None, 0.5, 0.5],
            ["origin_share_penalty", "CN", 5, None, None],
        ]
    )
    p = only(problems(scenario_from_workbook, book(tmp_path, sheets)))
    assert p.pointer == "/policy/max_origin_share/CN"
    assert "takes one value, not one per period" in p.rule


def test_a_policy_row_whose_setting_cannot_be_read_points_at_the_policy(tmp_path: Path) -> None:
    """A TRUE where the setting's name goes: its cell is named, and the row's problem
    points at /policy (there is no setting to point under)."""
    sheets = minimal(policy=[["setting", "value"], [True, 1]])
    found = problems(scenario_from_workbook, book(tmp_path, sheets))
    assert [p.pointer for p in found] == ["/policy", "/policy"]
    assert found[0].rule == "sheet 'policy', cell A2: text is needed here, not TRUE/FALSE"
    assert found[1].rule.startswith("sheet 'policy', row 2: setting must be one of")
