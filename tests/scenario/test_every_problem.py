"""Every problem of a document at once: the schema's and the domain rules', each once.

A document (JSON, YAML or a workbook) holds one problem of each kind; every one is
reported exactly once, and nothing else is: a supplier whose capacity is malformed is
still a known supplier for the licences and offers that name it.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from optimizer.errors import Problem, ScenarioError
from optimizer.scenario.loading import load_scenario
from optimizer.scenario.parsing import parse_scenario
from tests.scenario.test_validation import edited
from tests.scenario.test_workbook import book, minimal


def problems(call: Any, *args: Any) -> list[Problem]:
    with pytest.raises(ScenarioError) as caught:
        call(*args)
    return caught.value.problems


def reported_once(found: list[Problem], expected: dict[str, str]) -> None:
    """Exactly the pointers of `expected`, each once, each rule holding its words."""
    counts = Counter(p.pointer for p in found)
    assert counts == Counter(expected.keys()), [str(p) for p in found]
    for p in found:
        assert expected[p.pointer] in p.rule, (p.pointer, p.rule)


def one_of_each_kind() -> dict[str, Any]:
    doc = edited("/suppliers/0/capacity", -5)  # shape; cn1 is still licence L1's supplier
    doc = edited("/suppliers/1/offers/0/price", "cheap", doc)  # shape: a type
    doc = edited("/plants/0/colour", "red", doc)  # shape: an unknown field
    doc = edited("/suppliers/1/country", "XX", doc)  # an unknown country
    doc = edited("/periods/2", "P1", doc)  # a duplicate period: three periods now
    doc = edited("/suppliers/1/price_index", [1.0, 1.1], doc)  # two values for three periods
    doc = edited("/demand/0/product", "samarium", doc)  # an unknown product
    doc = edited("/products/1", {"id": "ndfeb"}, doc)  # a duplicate id
    return edited("/licences/0/periods/1", "P9", doc)  # a period no one declared


EXPECTED = {
    "/suppliers/0/capacity": "greater than or equal to 0",
    "/suppliers/1/offers/0/price": "valid number",
    "/plants/0/colour": "unknown field",
    "/suppliers/1/country": "countries",
    "/periods/2": "unique",
    "/suppliers/1/price_index": "one value per period (3), got 2",
    "/demand/0/product": "products",
    "/products/1/id": "unique within products",
    "/licences/0/periods/1": "one of the scenario's periods",
}


def test_a_document_reports_every_problem_of_every_kind_once() -> None:
    found = problems(parse_scenario, one_of_each_kind())
    reported_once(found, EXPECTED)
    shape = {"/suppliers/0/capacity", "/suppliers/1/offers/0/price", "/plants/0/colour"}
    assert {p.pointer for p in found[:3]} == shape  # the schema's problems come first


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_a_file_reports_every_problem_of_every_kind_once(suffix: str, tmp_path: Path) -> None:
    doc = one_of_each_kind()
    text = json.dumps(doc) if suffix == ".json" else yaml.safe_dump(doc)
    path = tmp_path / f"scenario{suffix}"
    path.write_text(text, encoding="utf-8")
    reported_once(problems(load_scenario, path), EXPECTED)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("/suppliers/0/id", 5),  # licence L1 names cn1: it may be this one
        ("/suppliers/0", "cn1"),  # not an entry at all
        ("/suppliers", {"cn1": {}}),  # not a list
    ],
    ids=["id", "entry", "list"],
)
def test_an_unreadable_id_is_no_reason_to_call_a_reference_unknown(path: str, value: Any) -> None:
    doc = edited(path, value, edited("/licences/0/suppliers", ["cn1", "ghost"]))
    found = problems(parse_scenario, doc)
    assert [p.pointer for p in found] == [path], [str(p) for p in found]


@pytest.mark.parametrize("periods", [[], "P1", ["P1", 2]], ids=["empty", "not-a-list", "a-number"])
def test_unreadable_periods_leave_period_rules_unchecked(periods: Any) -> None:
    """No count to hold per-period lists to (a list of two labels has one), no label to name."""
    doc = edited("/periods", periods, edited("/suppliers/1/price_index", [1.0, 1.0]))
    doc = edited("/demand/0/period", "P7", doc)
    found = problems(parse_scenario, doc)
    assert all(p.pointer.startswith("/periods") for p in found), [str(p) for p in found]


def test_a_wrong_share_with_an_unknown_origin_is_two_problems() -> None:
    found = problems(parse_scenario, edited("/policy/max_origin_share", {"XX": 2}))
    assert [p.pointer for p in found] == ["/policy/max_origin_share/XX"] * 2
    assert "at most" not in found[0].rule and "countries" in found[1].rule


def test_a_list_of_the_right_length_with_a_bad_value_is_one_problem() -> None:
    found = problems(parse_scenario, edited("/suppliers/1/price_index", [1.0, -1.0]))
    assert [p.pointer for p in found] == ["/suppliers/1/price_index/1"]


# ---------------------------------------------------------------------------- workbooks


def test_a_workbook_reports_every_bad_cell_on_every_sheet_and_every_rule_once(
    tmp_path: Path,
) -> None:
    sheets = minimal(
        periods=[["period"], ["t0"], ["t1"], ["t0"]],  # a duplicate period
        products=[["id", "holding_cost"], ["p", "cheap"]],  # a bad cell
        sectors=[["id", "shortage_penalty"], ["auto", "lots"]],  # a bad cell
        suppliers=[
            ["id", "country", "capacity", "lead_time"],
            ["s1", "CN", "a lot", 1.5],  # two bad cells; s1 is still the offers' supplier
            ["s2", "XX", 10, 0],  # an unknown country
        ],
        supplier_offers=[
            ["supplier", "product", "price"],
            ["s1", "p", "ten"],  # a bad cell
            ["s2", "neodymium", 3],  # an unknown product
        ],
        licences=[["id", "suppliers", "quantity"], ["L1", "s1", 5]],
        demand=[
            ["product", "sector", "quantity[t0]", "quantity[t1]"],
            ["p", "auto", "x", 30],  # a bad cell
            ["p", "navy", 1, 2],  # an unknown sector, in both of the rows it spells
        ],
    )
    found = problems(load_scenario, book(tmp_path, sheets))
    expected = {
        "/products/0/holding_cost": "sheet 'products', cell B2: a number",
        "/sectors/0/shortage_penalty": "sheet 'sectors', cell B2: a number",
        "/suppliers/0/capacity": "sheet 'suppliers', cell C2: a number",
        "/suppliers/0/lead_time": "sheet 'suppliers', cell D2: a whole number",
        "/suppliers/0/offers/0/price": "sheet 'supplier_offers', cell C2: a number",
        "/demand/0/quantity": "sheet 'demand', cell C2: a number",
        "/periods/2": "sheet 'periods', cell A4: period labels must be unique",
        "/suppliers/1/country": "sheet 'suppliers', cell B3: must be the id of one of",
        "/suppliers/1/offers/0/product": "sheet 'supplier_offers', cell B3: must be the id",
        "/demand/2/sector": "sheet 'demand', cell B3: must be the id of one of",
    }
    reported_once(found, expected)
    for p in found:
        assert p.rule.startswith(expected[p.pointer]), p.rule


def test_a_workbook_sheet_without_a_required_column_says_so_once(tmp_path: Path) -> None:
    sheets = minimal(
        suppliers=[["id", "country"], ["s1", "CN"], ["s2", "CN"]],
        supplier_offers=[["product", "price"], ["p", 1]],
    )
    found = problems(load_scenario, book(tmp_path, sheets))
    assert [p.rule.split(" (")[0] for p in found] == [
        "sheet 'suppliers': no column 'capacity'",
        "sheet 'supplier_offers': no column 'supplier'",
    ]


def test_a_workbook_period_label_that_cannot_be_read_hides_no_other_cell(tmp_path: Path) -> None:
    sheets = minimal(
        periods=[["period"], ["t0"], [True]],
        suppliers=[["id", "country", "capacity"], ["s1", "XX", "a lot"]],
    )
    found = problems(load_scenario, book(tmp_path, sheets))
    assert [p.pointer for p in found] == [
        "/periods/1",
        "/suppliers/0/capacity",
        "/suppliers/0/country",
    ]
