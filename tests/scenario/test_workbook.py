"""Scenario and plan workbooks: optimizer/scenario/workbook*.py and optimizer/report/plan_workbook.py.

Round trips: every shipped instance, the conformance scenarios and 40 random scenarios
(LP and MILP) go JSON → workbook → document and parse to the same Scenario, demand rows
compared in a fixed order since the workbook groups them by (product, sector). A workbook
built cell by cell with openpyxl, in the habits of an analyst, reads to a document written
out by hand. Every workbook error carries a pointer and names its sheet and cell. The
sourcing rules' spelling (MODEL.md §7) is tested in test_workbook_rules.py.
Budget: about 15 s.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from cli.workbook import add_commands
from optimizer.errors import Problem, ScenarioError
from optimizer.model.plan import TABLES, TERMS
from optimizer.report.plan_workbook import (
    TABLE_COLUMNS,
    write_comparison_workbook,
    write_plan_workbook,
)
from optimizer.scenario.parsing import parse_scenario
from optimizer.scenario.schema import Scenario
from optimizer.scenario.workbook import (
    read_workbook,
    scenario_from_workbook,
    write_scenario_workbook,
    write_template,
)
from optimizer.scenario.workbook_layout import CONVERT, FLAG, LIST, README, SHEETS, TEXT, WHOLE
from optimizer.solve import solve
from tests.paths import ROOT, conformance
from tests.random_scenarios import random_scenario

INSTANCES = sorted(p for p in (ROOT / "instances").glob("*.json") if ".meta." not in p.name)
SHARED = sorted((conformance() / "scenarios").glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def in_order(sc: Scenario) -> Scenario:
    """The scenario with its demand rows sorted: their order means nothing to the model."""
    t = {label: i for i, label in enumerate(sc.periods)}
    rows = sorted(sc.demand, key=lambda d: (d.product, d.sector, t.get(d.period, -1)))
    return sc.model_copy(update={"demand": rows})


def round_trip(doc: dict[str, Any], tmp_path: Path) -> tuple[Scenario, Scenario]:
    path = tmp_path / "scenario.xlsx"
    write_scenario_workbook(doc, path)
    return parse_scenario(doc), parse_scenario(read_workbook(path))


def book(tmp_path: Path, sheets: dict[str, list[list[Any]]], name: str = "in.xlsx") -> Path:
    """A workbook written cell by cell, without the module's writer."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet, rows in sheets.items():
        ws = wb.create_sheet(sheet)
        for row in rows:
            ws.append(row)
    path = tmp_path / name
    wb.save(path)
    return path


def minimal(**sheets: list[list[Any]]) -> dict[str, list[list[Any]]]:
    """A valid one-supplier scenario's sheets; keyword arguments replace sheets."""
    base = {
        "scenario": [["field", "value"], ["name", "mini"]],
        "periods": [["period"], ["t0"], ["t1"]],
        "products": [["id"], ["p"]],
        "sectors": [["id", "shortage_penalty"], ["auto", 100]],
        "countries": [["id"], ["CN"]],
        "suppliers": [["id", "country", "capacity"], ["s1", "CN", 50]],
        "supplier_offers": [["supplier", "product", "price"], ["s1", "p", 10]],
        "demand": [["product", "sector", "quantity[t0]", "quantity[t1]"], ["p", "auto", 20, 30]],
    }
    base.update(sheets)
    return base


def problems(call: Any, *args: Any) -> list[Problem]:
    with pytest.raises(ScenarioError) as caught:
        call(*args)
    return caught.value.problems


def only(found: list[Problem]) -> Problem:
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


# ---------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("path", INSTANCES + SHARED, ids=lambda p: p.stem)
def test_shipped_scenarios_survive_a_round_trip(path: Path, tmp_path: Path) -> None:
    original, back = round_trip(load(path), tmp_path)
    assert in_order(back) == in_order(original)


@pytest.mark.parametrize("milp", [False, True], ids=["lp", "milp"])
@pytest.mark.parametrize("seed", range(20))
def test_random_scenarios_survive_a_round_trip(seed: int, milp: bool, tmp_path: Path) -> None:
    original, back = round_trip(random_scenario(seed, milp), tmp_path)
    assert in_order(back) == in_order(original)


def test_random_scenarios_cover_the_forms_the_workbook_spells() -> None:
    """The sweep above is only as good as what it exercises: check that it does."""
    docs = [random_scenario(seed, milp) for seed in range(20) for milp in (False, True)]
    suppliers = [s for d in docs for s in d["suppliers"]]
    assert any(isinstance(s["capacity"], list) for s in suppliers)
    assert any(isinstance(s["capacity"], float) for s in suppliers)
    assert any(isinstance(s.get("price_index"), list) for s in suppliers)
    assert any(isinstance(d["policy"].get("budget"), list) for d in docs)
    assert any(lic.get("periods") == [] or lic.get("products") == []
               for d in docs for lic in d["licences"])  # fmt: skip
    assert any(p.get("initial_inventory") for d in docs for p in d["products"])


@pytest.mark.parametrize(
    "doc",
    [
        load(ROOT / "instances" / "india-2025-baseline.json"),
        random_scenario(3, milp=True),
        random_scenario(11, milp=False),
    ],
    ids=["baseline", "random-milp-3", "random-lp-11"],
)
def test_a_scenario_read_from_its_workbook_solves_to_the_same_objective(
    doc: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "s.xlsx"
    write_scenario_workbook(doc, path)
    expected, got = solve(parse_scenario(doc)), solve(scenario_from_workbook(path))
    assert got["status"] == expected["status"] == "optimal"
    assert got["objective"] == pytest.approx(expected["objective"], rel=1e-9)


def test_writing_keeps_scalars_scalar_and_lists_per_period(tmp_path: Path) -> None:
    doc = {
        "name": "forms", "periods": ["t0", "t1"], "products": [{"id": "p"}],
        "countries": [{"id": "CN"}],
        "suppliers": [
            {"id": "a", "country": "CN", "capacity": 5, "price_index": [1.0, 1.5]},
            {"id": "b", "country": "CN", "capacity": [7, 8]},
        ],
        "policy": {"budget": 900},
    }  # fmt: skip
    path = tmp_path / "forms.xlsx"
    write_scenario_workbook(doc, path)
    ws = openpyxl.load_workbook(path)["suppliers"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    header = rows[0]
    assert header[3:6] == ["capacity", "capacity[t0]", "capacity[t1]"]
    assert header[-5:-2] == ["price_index", "price_index[t0]", "price_index[t1]"]
    assert rows[1][3:6] == [5, None, None] and rows[1][-5:-2] == [None, 1, 1.5]
    assert rows[2][3:6] == [None, 7, 8] and rows[2][-5:-2] == [None, None, None]
    policy = [[c.value for c in row] for row in openpyxl.load_workbook(path)["policy"].iter_rows()]
    assert policy == [["setting", "origin", "product", "value"], ["budget", None, None, 900]]
    assert read_workbook(path)["suppliers"][1]["capacity"] == [7, 8]
    assert parse_scenario(read_workbook(path)) == parse_scenario(doc)


def test_numbers_keep_sixteen_significant_digits(tmp_path: Path) -> None:
    doc = random_scenario(5)
    doc["suppliers"][0]["offers"][0]["price"] = 0.1 + 0.2  # needs 17 digits: 0.30000000000000004
    back = read_workbook(_written(doc, tmp_path))
    price = back["suppliers"][0]["offers"][0]["price"]
    assert price == pytest.approx(0.1 + 0.2, rel=1e-15)


def _written(doc: dict[str, Any], tmp_path: Path) -> Path:
    path = tmp_path / "w.xlsx"
    write_scenario_workbook(doc, path)
    return path


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    doc = random_scenario(2)
    doc["name"] = "=SUM(A1:A2)"
    assert read_workbook(_written(doc, tmp_path))["name"] == "=SUM(A1:A2)"


# ---------------------------------------------------------------------------- reading by hand


def test_an_analysts_workbook_reads_to_the_document_it_spells(tmp_path: Path) -> None:
    """Numbers typed as period labels, Excel booleans, spaced lists, both demand forms."""
    sheets = {
        README: [["anything an analyst wrote here is ignored"]],
        "scenario": [["field", "value"], ["name", "hand made"], ["currency", "EUR"]],
        "periods": [["period"], [2025], ["2026"]],
        "products": [["id", "holding_cost", "min_inventory"], ["ndfeb", 0.5, None]],
        "initial_inventory": [["product", "origin", "kg"], ["ndfeb", "CN", 100]],
        "sectors": [
            ["id", "tags", "shortage_penalty"],
            ["auto", None, 300],
            ["defence", " defence ,us_reexport, ", 900.5],
        ],
        "countries": [
            ["id", "tariff", "freight", "restricted_end_uses"],
            ["CN", 0.1, 1, "defence"],
            ["JP", None, None, None],
        ],
        "suppliers": [
            [
                "id",
                "country",
                "capacity",
                "capacity[2025]",
                "capacity[2026]",
                "licence_required",
                "lead_time",
            ],
            ["cn1", "CN", None, 100, 200, True, 1.0],
            ["jp1", "JP", 50, None, None, "no", None],
        ],  # fmt: skip
        "supplier_offers": [
            ["supplier", "product", "price"],
            ["cn1", "ndfeb", 10],
            ["jp1", "ndfeb", 20],
        ],
        "licences": [
            ["id", "suppliers", "quantity", "periods", "products"],
            ["L1", "cn1", 150, None, "ndfeb"],
            ["L2", "cn1", 10, "(none)", None],
        ],
        "demand": [
            ["product", "sector", "period", "quantity", "quantity[2025]", "quantity[2026]"],
            ["ndfeb", "auto", None, None, 80, None],
            [None, None, None, None, None, None],
            ["ndfeb", "defence", 2026, 30, None, None],
        ],
        "policy": [
            ["setting", "origin", "value", "value[2025]", "value[2026]"],
            ["max_origin_share", "CN", 0.6, None, None],
            ["budget", None, None, 1000, 2000],
        ],
    }
    expected = {
        "name": "hand made", "currency": "EUR", "periods": ["2025", "2026"],
        "products": [{"id": "ndfeb", "holding_cost": 0.5, "initial_inventory": {"CN": 100}}],
        "sectors": [
            {"id": "auto", "shortage_penalty": 300},
            {"id": "defence", "tags": ["defence", "us_reexport"], "shortage_penalty": 900.5},
        ],
        "countries": [
            {"id": "CN", "tariff": 0.1, "freight": 1, "restricted_end_uses": ["defence"]},
            {"id": "JP"},
        ],
        "suppliers": [
            {"id": "cn1", "country": "CN", "capacity": [100, 200], "licence_required": True,
             "lead_time": 1, "offers": [{"product": "ndfeb", "price": 10}]},
            {"id": "jp1", "country": "JP", "capacity": 50, "licence_required": False,
             "offers": [{"product": "ndfeb", "price": 20}]},
        ],
        "licences": [
            {"id": "L1", "suppliers": ["cn1"], "quantity": 150, "products": ["ndfeb"]},
            {"id": "L2", "suppliers": ["cn1"], "quantity": 10, "periods": []},
        ],
        "demand": [
            {"product": "ndfeb", "sector": "auto", "period": "2025", "quantity": 80},
            {"product": "ndfeb", "sector": "defence", "period": "2026", "quantity": 30},
        ],
        "policy": {"max_origin_share": {"CN": 0.6}, "budget": [1000, 2000]},
    }  # fmt: skip
    got = read_workbook(book(tmp_path, sheets))
    assert got == expected
    assert isinstance(got["suppliers"][0]["lead_time"], int)
    parse_scenario(got)  # and it is a valid scenario


def test_missing_sheets_are_omitted_lists(tmp_path: Path) -> None:
    got = read_workbook(book(tmp_path, {"scenario": [["field", "value"], ["name", "x"]],
                                        "periods": [["period"], ["t0"]]}))  # fmt: skip
    assert got == {"name": "x", "periods": ["t0"]}
    assert parse_scenario(got).suppliers == []


def test_cell_conversions() -> None:
    """What spreadsheets store for what an analyst typed: 2.0 for 2, numbers for labels."""
    assert CONVERT[WHOLE](2.0) == 2 and type(CONVERT[WHOLE](2.0)) is int
    assert [CONVERT[TEXT](v) for v in (2025, 2025.0, 1.5, "Q1")] == ["2025", "2025", "1.5", "Q1"]
    assert [CONVERT[FLAG](v) for v in (True, "yes", "FALSE", " No ")] == [True, True, False, False]
    assert CONVERT[LIST](" (none) ") == [] and CONVERT[LIST](7) == ["7"]
    assert CONVERT[LIST]("a,, b ,") == ["a", "b"]


# ---------------------------------------------------------------------------- workbook errors


def test_an_unknown_sheet_is_named(tmp_path: Path) -> None:
    p = only(problems(read_workbook, book(tmp_path, minimal(Sheet1=[["x"]]))))
    assert p.pointer == "" and p.value == "Sheet1"
    assert p.rule.startswith("sheet 'Sheet1': unknown sheet")


def test_an_unknown_column_is_named_with_its_cell(tmp_path: Path) -> None:
    sheet = [["id", "country", "capacity", "colour"], ["s1", "CN", 50, "red"]]
    p = only(problems(read_workbook, book(tmp_path, minimal(suppliers=sheet))))
    assert p.pointer == "/suppliers" and p.value == "colour"
    assert p.rule.startswith("sheet 'suppliers', cell D1: unknown column")


@pytest.mark.parametrize(
    ("cell", "needs"),
    [
        ("lots", "a number is needed here"),
        ("12", "a number is needed here (this one is stored as text"),
        (True, "a number is needed here"),
    ],
)
def test_a_non_number_where_a_number_belongs(cell: Any, needs: str, tmp_path: Path) -> None:
    sheet = [["id", "country", "capacity"], ["s1", "CN", 50], ["s2", "CN", cell]]
    p = only(problems(read_workbook, book(tmp_path, minimal(suppliers=sheet))))
    assert p.pointer == "/suppliers/1/capacity" and p.value == cell
    assert p.rule.startswith(f"sheet 'suppliers', cell C3: {needs}")


def test_a_value_under_no_header(tmp_path: Path) -> None:
    sheet = [["id", None], ["p", 5], ["q", 6]]
    p = only(problems(read_workbook, book(tmp_path, minimal(products=sheet))))
    assert p.pointer == "/products" and p.value == 5
    assert p.rule == "sheet 'products', cell B2: a value under no header"


def test_a_missing_required_column(tmp_path: Path) -> None:
    sheet = [["id", "country"], ["s1", "CN"]]
    p = only(problems(read_workbook, book(tmp_path, minimal(suppliers=sheet))))
    assert p.pointer == "/suppliers"
    assert p.rule.startswith("sheet 'suppliers': no column 'capacity'")


@pytest.mark.parametrize(
    ("suppliers", "pointer", "rule"),
    [
        (
            [
                ["id", "country", "capacity[t0]", "capacity[t1]", "capacity[t9]"],
                ["s1", "CN", 1, 2, 3],
            ],
            "/suppliers",
            "sheet 'suppliers', cell E1: no period 't9' on sheet 'periods'",
        ),
        (
            [["id", "country", "capacity", "capacity[t0]"], ["s1", "CN", 1, 2]],
            "/suppliers/0/capacity",
            "sheet 'suppliers', cell C2: give capacity in column 'capacity' or in its per-period",
        ),
        (
            [["id", "country", "capacity[t0]", "capacity[t1]"], ["s1", "CN", 1, None]],
            "/suppliers/0/capacity",
            "sheet 'suppliers', row 2: capacity has no value for period(s) t1",
        ),
        (
            [["id", "country", "capacity[t0]", "capacity[t1]"], ["s1", "CN", 1, "x"]],
            "/suppliers/0/capacity/1",
            "sheet 'suppliers', cell D2: a number is needed here",
        ),
        (
            [["id", "country", "capacity", "licence_required"], ["s1", "CN", 1, "maybe"]],
            "/suppliers/0/licence_required",
            "sheet 'suppliers', cell D2: TRUE or FALSE is needed here",
        ),
        (
            [["id", "country", "capacity", "lead_time"], ["s1", "CN", 1, 1.5]],
            "/suppliers/0/lead_time",
            "sheet 'suppliers', cell D2: a whole number is needed here",
        ),
        (
            [["id", "country", "capacity", "id"], ["s1", "CN", 1, "s2"]],
            "/suppliers",
            "sheet 'suppliers', cell D1: this column appears twice",
        ),
        (
            [["id", "country", "capacity"], ["s1", datetime.datetime(2025, 7, 1), 1]],
            "/suppliers/0/country",
            "sheet 'suppliers', cell B2: text is needed here, not a datetime",
        ),
    ],
    ids=[
        "unknown-period",
        "both-forms",
        "a-period-blank",
        "bad-period-cell",
        "bad-flag",
        "bad-whole-number",
        "duplicate-column",
        "date-as-id",
    ],
)
def test_supplier_cell_errors(suppliers: list, pointer: str, rule: str, tmp_path: Path) -> None:
    p = only(problems(read_workbook, book(tmp_path, minimal(suppliers=suppliers))))
    assert p.pointer == pointer
    assert p.rule.startswith(rule), p.rule


@pytest.mark.parametrize(
    ("sheets", "pointer", "rule"),
    [
        (
            {"supplier_offers": [["supplier", "product", "price"], ["s9", "p", 1]]},
            "/suppliers",
            "sheet 'supplier_offers', cell A2: no supplier 's9' on sheet 'suppliers'",
        ),
        (
            {"supplier_offers": [["supplier", "product", "price"], [None, "p", 1]]},
            "/suppliers",
            "sheet 'supplier_offers', row 2: names no supplier",
        ),
        (
            {"initial_inventory": [["product", "origin", "kg"], ["p", "CN", 1], ["p", "CN", 2]]},
            "/products/0/initial_inventory",
            "sheet 'initial_inventory', cell B3: this origin already has a row",
        ),
        (
            {"policy": [["setting", "origin", "value"], ["max_china_share", None, 0.5]]},
            "/policy/max_china_share",
            "sheet 'policy', row 2: setting must be one of max_origin_share",
        ),
        (
            {"policy": [["setting", "origin", "value"], ["max_origin_share", None, 0.5]]},
            "/policy/max_origin_share",
            "sheet 'policy', row 2: max_origin_share needs the origin country id",
        ),
        (
            {"policy": [["setting", "value[t0]", "value[t1]"], ["max_supplier_share", 1, 1]]},
            "/policy/max_supplier_share",
            "sheet 'policy', row 2: max_supplier_share takes one value, not one per period",
        ),
        (
            {"scenario": [["field", "value"], ["name", "x"], ["owner", "me"]]},
            "",
            "sheet 'scenario', cell A3: not one of name, currency",
        ),
        (
            {"demand": [["product", "sector", "period", "quantity[t0]"], ["p", "auto", "t0", 1]]},
            "/demand/0",
            "sheet 'demand', row 2: give quantity and period, or quantity[<period>] columns",
        ),
    ],
    ids=[
        "offer-owner",
        "offer-without-owner",
        "stock-twice",
        "unknown-setting",
        "share-without-origin",
        "share-per-period",
        "unknown-field",
        "demand-both-forms",
    ],
)
def test_other_sheet_errors(sheets: dict, pointer: str, rule: str, tmp_path: Path) -> None:
    p = only(problems(read_workbook, book(tmp_path, minimal(**sheets))))
    assert p.pointer == pointer
    assert p.rule.startswith(rule), p.rule


def test_every_workbook_problem_is_reported_at_once(tmp_path: Path) -> None:
    sheets = minimal(
        Sheet2=[["x"]],
        suppliers=[["id", "country", "capacity", "lead_time"], ["s1", "CN", "a lot", -0.5]],
    )
    found = problems(read_workbook, book(tmp_path, sheets))
    assert [p.pointer for p in found] == ["", "/suppliers/0/capacity", "/suppliers/0/lead_time"]


def test_a_file_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "scenario.xlsx"
    path.write_text(json.dumps(random_scenario(1)), encoding="utf-8")
    p = only(problems(read_workbook, path))
    assert p.pointer == "" and p.value == str(path)
    assert p.rule.startswith("cannot read workbook")
    missing = only(problems(read_workbook, tmp_path / "absent.xlsx"))
    assert missing.rule.startswith("cannot read workbook")


# ---------------------------------------------------------------------------- validation


def test_reading_does_not_validate_but_scenario_from_workbook_does(tmp_path: Path) -> None:
    path = book(tmp_path, minimal(suppliers=[["id", "country", "capacity"], ["s1", "CN", -5]]))
    assert read_workbook(path)["suppliers"][0]["capacity"] == -5
    p = only(problems(scenario_from_workbook, path))
    assert p.pointer == "/suppliers/0/capacity" and p.value == -5
    assert p.rule.startswith("sheet 'suppliers', cell C2: ")


@pytest.mark.parametrize(
    ("sheets", "pointer", "place"),
    [
        (
            {"suppliers": [["id", "country", "capacity"], ["s1", "XX", 50]]},
            "/suppliers/0/country",
            "sheet 'suppliers', cell B2",
        ),
        (
            {
                "demand": [
                    ["product", "sector", "quantity[t0]", "quantity[t1]"],
                    ["p", "auto", 1, 2],
                    ["q", "auto", None, 3],
                ]
            },
            "/demand/2/product",
            "sheet 'demand', cell A3",
        ),
        (
            {
                "demand": [
                    ["product", "sector", "quantity[t0]", "quantity[t1]"],
                    ["p", "auto", 1, 2],
                    ["p", "auto", None, 3],
                ]
            },
            "/demand/2",
            "sheet 'demand', row 3",
        ),
        (
            {"sectors": [["id", "shortage_penalty"], ["auto", None]]},
            "/sectors/0/shortage_penalty",
            "sheet 'sectors', row 2",
        ),
        (
            {"demand": [["product", "sector", "period", "quantity"], ["p", "auto", None, 5]]},
            "/demand/0/period",
            "sheet 'demand', row 2",
        ),
        (
            {"licences": [["id", "suppliers", "quantity"], ["L1", "s1, s7", 5]]},
            "/licences/0/suppliers/1",
            "sheet 'licences', cell B2",
        ),
        (
            {"initial_inventory": [["product", "origin", "kg"], ["p", "JP", 1]]},
            "/products/0/initial_inventory/JP",
            "sheet 'initial_inventory', row 2",
        ),
        (
            {"policy": [["setting", "origin", "value"], ["max_origin_share", "CN", 1.5]]},
            "/policy/max_origin_share/CN",
            "sheet 'policy', cell C2",
        ),
    ],
    ids=[
        "unknown-country",
        "unknown-product",
        "demand-twice",
        "missing-penalty",
        "long-form-without-period",
        "unknown-licence-supplier",
        "stock-origin-unknown",
        "share-above-one",
    ],
)
def test_validation_problems_name_the_cell(
    sheets: dict, pointer: str, place: str, tmp_path: Path
) -> None:
    found = problems(scenario_from_workbook, book(tmp_path, minimal(**sheets)))
    p = only([p for p in found if p.pointer == pointer])
    assert p.rule.startswith(f"{place}: "), p.rule


# ---------------------------------------------------------------------------- writing


def _comma_id(doc: dict[str, Any]) -> None:
    """A valid document whose licence lists a supplier id holding a comma."""
    doc["suppliers"][0]["id"] = "s,0"
    doc["licences"] = [{"id": "L9", "suppliers": ["s,0"], "quantity": 1}]


LISTED, TEXTUAL = "a comma-separated workbook cell", "a workbook cell cannot hold this text"


@pytest.mark.parametrize(
    ("edit", "pointer", "rule"),
    [
        (_comma_id, "/licences/0/suppliers/0", LISTED),
        (lambda d: d["sectors"][0].update(tags=[" padded"]), "/sectors/0/tags/0", LISTED),
        (lambda d: d.update(currency=" "), "/currency", TEXTUAL),
        (lambda d: d.update(name="bell\x07"), "/name", TEXTUAL),
    ],
    ids=["comma-in-list", "padded-list-item", "blank-text", "control-character"],
)
def test_the_writer_refuses_what_a_cell_cannot_give_back(
    edit: Any, pointer: str, rule: str, tmp_path: Path
) -> None:
    doc = random_scenario(4)
    doc["licences"] = []
    edit(doc)
    parse_scenario(doc)  # a valid scenario: the workbook is what cannot hold it
    p = only(problems(write_scenario_workbook, doc, tmp_path / "x.xlsx"))
    assert p.pointer == pointer and p.rule.startswith(rule)
    assert not (tmp_path / "x.xlsx").exists()


def test_the_writer_validates_a_document_first(tmp_path: Path) -> None:
    doc = random_scenario(4)
    doc["suppliers"][0]["capacity"] = -1
    p = only(problems(write_scenario_workbook, doc, tmp_path / "x.xlsx"))
    assert p.pointer == "/suppliers/0/capacity"


def test_the_template_has_every_sheet_and_is_a_scenario_that_solves(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    write_template(path, periods=["A", "B", "C"])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [README, *SHEETS]
    for sheet, columns in SHEETS.items():
        header = [c.value for c in wb[sheet][1]]
        written = {h.partition("[")[0] for h in header}
        assert written <= {c.name for c in columns}, sheet
        # every column, but demand is written wide: its long-form `period` column is left out
        assert written | ({"period"} if sheet == "demand" else set()) == {c.name for c in columns}
        assert all(h.partition("[")[2] in ("", "A]", "B]", "C]") for h in header), sheet
        assert wb[sheet].max_row >= 2, f"sheet {sheet} has no example row"
    readme = " ".join(str(c.value) for row in wb[README].iter_rows() for c in row if c.value)
    assert all(f" {sheet} " in f" {readme} " for sheet in SHEETS)
    scenario = scenario_from_workbook(path)
    assert scenario.periods == ["A", "B", "C"]
    plan = solve(scenario)
    assert plan["status"] == "optimal" and plan["deliveries"]


def test_the_template_defaults_to_four_quarters(tmp_path: Path) -> None:
    write_template(tmp_path / "t.xlsx")
    assert scenario_from_workbook(tmp_path / "t.xlsx").periods == [
        "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"
    ]  # fmt: skip


# ---------------------------------------------------------------------------- plan workbooks


@pytest.fixture(scope="module")
def baseline_plan() -> dict[str, Any]:
    return solve(parse_scenario(load(ROOT / "instances" / "india-2025-baseline.json")))


def test_a_plan_workbook_holds_the_summary_and_every_table(
    baseline_plan: dict[str, Any], tmp_path: Path
) -> None:
    plan = baseline_plan
    write_plan_workbook(plan, tmp_path / "plan.xlsx")
    sheets = pd.read_excel(tmp_path / "plan.xlsx", sheet_name=None)
    assert list(sheets) == ["summary", *TABLES]
    summary = dict(zip(sheets["summary"]["item"], sheets["summary"]["value"], strict=True))
    assert summary["status"] == "optimal" and summary["scenario"] == "india-2025-baseline"
    assert summary["objective"] == pytest.approx(plan["objective"], rel=1e-12)
    for term in TERMS:
        assert summary[f"terms.{term}"] == pytest.approx(plan["terms"][term], rel=1e-12, abs=1e-9)
    assert summary["timings.total_s"] == pytest.approx(plan["timings"]["total_s"])
    for table in TABLES:
        expected = pd.DataFrame(plan[table], columns=list(TABLE_COLUMNS[table]))
        got = sheets[table]
        assert list(got.columns) == list(TABLE_COLUMNS[table])
        pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-12)


def test_a_plan_without_a_solution_keeps_every_header(tmp_path: Path) -> None:
    plan = solve(parse_scenario(load(ROOT / "instances" / "india-2025-infeasible.json")))
    plan["marginal_values"] = [{"constraint": "budget", "id": None, "period": "P1", "value": 2.5}]
    write_plan_workbook(plan, tmp_path / "plan.xlsx")
    sheets = pd.read_excel(tmp_path / "plan.xlsx", sheet_name=None)
    for table in TABLES:
        assert sheets[table].empty and list(sheets[table].columns) == list(TABLE_COLUMNS[table])
    summary = dict(zip(sheets["summary"]["item"], sheets["summary"]["value"], strict=True))
    assert summary["status"] == "infeasible"
    assert all(math.isnan(summary[k]) for k in ["objective", *(f"terms.{t}" for t in TERMS)])
    marginal = sheets["marginal_values"]
    assert list(marginal.columns) == ["constraint", "id", "period", "value"]
    assert marginal[["constraint", "period", "value"]].values.tolist() == [["budget", "P1", 2.5]]


def test_a_comparison_workbook_has_a_row_per_scenario(tmp_path: Path) -> None:
    rows = [
        {"scenario": "a", "status": "optimal", "terms": {"purchase": 10.0, "shortage": 2.5}},
        {"scenario": "b", "status": "infeasible", "terms": None, "origins": ["CN", "JP"]},
    ]
    write_comparison_workbook(rows, tmp_path / "cmp.xlsx")
    got = pd.read_excel(tmp_path / "cmp.xlsx", sheet_name="comparison")
    assert list(got.columns) == [
        "scenario", "status", "terms.purchase", "terms.shortage", "terms", "origins"
    ]  # fmt: skip
    assert got["scenario"].tolist() == ["a", "b"]
    assert got["terms.purchase"].tolist()[0] == 10.0 and math.isnan(got["terms.purchase"][1])
    assert got["origins"].tolist()[1] == '["CN", "JP"]'


# ---------------------------------------------------------------------------- command line


def run_command(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="magnets")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.handler(args))


def test_workbook_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = tmp_path / "t.xlsx"
    assert run_command("workbook", "template", str(template), "--periods", "Q1", "Q2") == 0
    assert run_command("workbook", "to-json", str(template)) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == read_workbook(template) and printed["periods"] == ["Q1", "Q2"]
    source = tmp_path / "in.json"
    source.write_text(json.dumps(random_scenario(8, milp=True)), encoding="utf-8")
    assert run_command("workbook", "from-json", str(source), str(tmp_path / "out.xlsx")) == 0
    assert in_order(scenario_from_workbook(tmp_path / "out.xlsx")) == in_order(
        parse_scenario(load(source))
    )
    out = tmp_path / "back.json"
    assert run_command("workbook", "to-json", str(tmp_path / "out.xlsx"), "--out", str(out)) == 0
    assert parse_scenario(load(out)) == scenario_from_workbook(tmp_path / "out.xlsx")


def test_to_json_rejects_an_invalid_workbook_with_cells_named(tmp_path: Path) -> None:
    path = book(tmp_path, minimal(suppliers=[["id", "country", "capacity"], ["s1", "XX", 5]]))
    p = only(problems(run_command, "workbook", "to-json", str(path)))
    assert p.pointer == "/suppliers/0/country" and "cell B2" in p.rule


def test_load_scenario_and_solve_read_workbooks(tmp_path: Path) -> None:
    from cli.main import main
    from optimizer.scenario.loading import load_scenario

    write_template(tmp_path / "t.xlsx")
    assert load_scenario(tmp_path / "t.xlsx") == scenario_from_workbook(tmp_path / "t.xlsx")
    argv = ["solve", str(tmp_path / "t.xlsx"), "--out", str(tmp_path / "p.json")]
    assert main([*argv, "--xlsx", str(tmp_path / "plan.xlsx")]) == 0
    assert set(pd.read_excel(tmp_path / "plan.xlsx", sheet_name=None)) >= {"summary", *TABLES}
