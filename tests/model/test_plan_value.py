"""The plan as a typed value (`optimizer.model.plan_types`): its document, its row types
against MODEL.md §4, the one list of cost terms, and the one function that turns a
solver outcome into a plan for `solve` and the hot-start path alike."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from optimizer.model.plan_types import (
    TABLE_ROWS,
    TABLES,
    TERMS,
    Delivery,
    Plan,
    Table,
    Terms,
    Timings,
)
from optimizer.model.status import PlanStatus
from optimizer.report.drawing import TERM_COLOURS
from optimizer.report.terms import TERM_LABELS
from optimizer.scenario.loading import load_scenario
from optimizer.solve import solve, solve_plan
from optimizer.whatif.hot_start import HotStartSolver
from service.summary import FIXED_COLUMNS
from tests.paths import INSTANCES, SHARED, conformance

SCENARIOS = sorted(
    [p for p in INSTANCES.glob("*.json") if ".meta" not in p.name]
    + list((conformance() / "scenarios").glob("*.json"))
)


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def _without_timings(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "timings"}


@pytest.mark.parametrize("path", SCENARIOS, ids=_ids(SCENARIOS))
def test_the_typed_plan_round_trips_through_json(path: Path) -> None:
    plan = solve_plan(load_scenario(path), explain=True)
    doc = plan.to_document()
    back = Plan.from_document(json.loads(json.dumps(doc)))
    assert back == plan
    assert back.to_document() == doc
    assert list(back.to_document()) == list(doc)  # key order too


@pytest.mark.parametrize("path", SCENARIOS, ids=_ids(SCENARIOS))
def test_solve_and_the_hot_start_path_give_one_plan(path: Path) -> None:
    scenario = load_scenario(path)
    cold = solve(scenario)
    member = HotStartSolver().solve(scenario)
    assert member.typed is not None
    assert member.plan == member.typed.to_document()
    assert _without_timings(member.plan) == _without_timings(cold)
    assert list(member.plan) == list(cold)


def _model_md_example() -> str:
    text = (SHARED / "spec" / "MODEL.md").read_text(encoding="utf-8")
    section = text[text.index("## 4. What a plan reports") :]
    return section[section.index("```jsonc") : section.index("```", section.index("```jsonc") + 3)]


def _keys(fragment: str) -> list[str]:
    return re.findall(r'"(\w+)":', fragment)


def _model_md_rules() -> str:
    text = (SHARED / "spec" / "MODEL.md").read_text(encoding="utf-8")
    return text[text.index("## 7. Sourcing rules") :]


def test_every_row_type_has_the_fields_of_model_md_section_4() -> None:
    """§4's tables and terms, then §7's: `qualified` and `cap_excess` after them, and the
    terms `qualification` and `cap_excess` after the seven of §4."""
    example = _model_md_example()
    tables = dict(re.findall(r'"(\w+)":\s*\[\{(.*?)\}\]', example, flags=re.S))
    rules = _model_md_rules()
    added = dict(re.findall(r"`(\w+):\s*\[\{(.*?)\}\]`", rules, flags=re.S))
    assert list(added) == ["qualified", "cap_excess"]
    tables.update(
        {name: ": ".join(re.findall(r'"\w+"', keys)) + ":" for name, keys in added.items()}
    )
    assert list(tables) == list(TABLES)
    for name, row_type in TABLE_ROWS.items():
        fields = [f.name for f in dataclasses.fields(row_type)]
        assert fields == _keys(tables[name]), name
    terms = re.search(r'"terms":\s*\{(.*?)\}', example, flags=re.S)
    new_terms = re.search(r"`terms` hold nine entries \(`(\w+)` and `(\w+)` after", rules)
    assert terms is not None and new_terms is not None
    assert [*_keys(terms.group(1)), *new_terms.groups()] == list(TERMS)
    timings = re.search(r'"timings":\s*\{(.*?)\}', example, flags=re.S)
    assert timings is not None
    assert [f.name for f in dataclasses.fields(Timings)][:3] == _keys(timings.group(1))


def test_the_one_list_of_terms_is_what_solve_reports_and_everyone_uses() -> None:
    assert tuple(f.name for f in dataclasses.fields(Terms)) == TERMS
    plan = solve(load_scenario(INSTANCES / "india-2025-baseline.json"))
    assert list(plan["terms"]) == list(TERMS)
    assert list(TERM_LABELS) == list(TERMS)
    assert list(TERM_COLOURS) == list(TERMS)
    assert FIXED_COLUMNS[3 : 3 + len(TERMS)] == TERMS
    from optimizer.report import charts, page, plan_workbook
    from optimizer.whatif import sweep
    from service import summary

    for module in (charts, page, plan_workbook, sweep, summary):
        assert module.TERMS is TERMS, module.__name__


def test_a_plan_without_a_solution_has_every_table_empty_and_its_message() -> None:
    doc = Plan(PlanStatus.INFEASIBLE, message="Infeasible").to_document()
    assert list(doc) == ["status", "objective", "terms", "mip_gap", *TABLES, "message"]
    assert all(doc[t] == [] for t in TABLES)
    assert Plan(PlanStatus.ERROR).to_document().get("message") is None


def test_a_table_keeps_columns_and_gives_out_rows() -> None:
    table = Table.of_columns(Delivery, ["s"], ["p"], ["t"], [2.0], [3.0], [6.0])
    assert len(table) == 1
    assert list(table) == [Delivery("s", "p", "t", 2.0, 3.0, 6.0)]
    assert table[0].cost == 6.0
    assert table.records() == [
        {"supplier": "s", "product": "p", "period": "t", "kg": 2.0, "landed_cost": 3.0,
         "cost": 6.0}
    ]  # fmt: skip
    assert Table.of_records(Delivery, table.records()) == table
    assert Table.of_rows(Delivery, table) == table
    with pytest.raises(AttributeError):
        table.columns = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        table[0].kg = 1.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="6 columns"):
        Table.of_columns(Delivery, ["s"], ["p"])
