"""Text that a spreadsheet would run as a formula is written inert, in every file we write
for spreadsheets (the plan workbook here; the sweep CSV and the job summary CSV in
tests/whatif and tests/service)."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from optimizer.report.plan_workbook import write_plan_workbook
from optimizer.scenario.parsing import parse_scenario
from optimizer.solve import solve
from optimizer.spreadsheet_text import inert
from tests.tiny import demand, scenario, supplier


@pytest.mark.parametrize("text", ["=1+1", "+1", "-x", "@A1", "\t=1", "\r=1"])
def test_formula_starts_get_an_apostrophe(text: str) -> None:
    assert inert(text) == "'" + text


@pytest.mark.parametrize("value", ["plain", "1=1", "", -5, -0.5, None, 3.0])
def test_everything_else_is_left_alone(value: object) -> None:
    assert inert(value) == value


def test_a_scenario_named_like_a_formula_is_text_in_the_plan_workbook(tmp_path: Path) -> None:
    document = scenario(suppliers=[supplier("s", "JP", 10.0)], demand=demand(5.0))
    document["name"] = "=HYPERLINK(1)"
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(solve(parse_scenario(document)), path)
    cells = [c for row in load_workbook(path)["summary"].iter_rows() for c in row]
    named = [c for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert [(c.value, c.data_type) for c in named] == [("'=HYPERLINK(1)", "s")]
