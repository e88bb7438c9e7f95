"""`--explain` in words: the ten most valuable limits with their units, and the diagnosis
of an infeasible plan, in the table summary and the HTML report."""

from __future__ import annotations

from typing import Any

import pytest

from cli.main import main
from optimizer.options import SolveOptions
from optimizer.report.explained import in_words, top_limits
from optimizer.report.render import render_plan_report
from optimizer.report.summary import format_summary
from optimizer.scenario.loading import load_scenario
from optimizer.solve import solve
from tests.paths import INSTANCES
from tests.report.test_report import parse

INFEASIBLE = INSTANCES / "india-2025-infeasible.json"
BASELINE = INSTANCES / "india-2025-baseline.json"


@pytest.fixture(scope="module")
def baseline() -> tuple[Any, dict[str, Any]]:
    found = load_scenario(BASELINE)
    return found, solve(found, SolveOptions(), explain=True)


def test_marginal_values_read_with_their_units() -> None:
    licence = in_words({"constraint": "licence", "id": "lic-dd", "period": None, "value": -41.2})
    assert licence.sentence("USD") == "one more kg of licence lic-dd: −$41/kg"
    share = in_words(
        {"constraint": "origin_share", "id": "CN", "period": "2025-Q3", "value": -102466406.25}
    )
    assert share.sentence("USD") == (
        "one more percentage point on the cap of CN's share of supply in 2025-Q3: "
        "−$1,024,664 per point"
    )
    stock = in_words({"constraint": "safety_stock", "id": "smco", "period": "t", "value": 2.5})
    assert stock.sentence("USD") == "one more kg of safety stock of smco at the end of t: +$2.50/kg"
    budget = in_words({"constraint": "budget", "id": None, "period": "t", "value": -0.35})
    assert budget.sentence("EUR") == "one more EUR of budget in t: −0.35 EUR per EUR"


def test_the_ten_most_valuable_limits_are_the_largest_in_size(baseline: Any) -> None:
    _, plan = baseline
    found = top_limits(plan)
    assert len(found) == 10
    every = sorted((abs(in_words(r).value) for r in plan["marginal_values"]), reverse=True)
    assert [abs(v.value) for v in found] == every[:10]
    assert found[0].constraint == "origin_share" and found[0].period == "2025-Q3"


def test_the_table_shows_the_top_limits(baseline: Any) -> None:
    found, plan = baseline
    text = format_summary(plan, found)
    section = text[text.index("What one more unit") :].split("\n\n")[0].splitlines()
    assert len(section) == 11
    assert section[1] == (
        "  one more percentage point on the cap of CN's share of supply in 2025-Q3: "
        "−$1,024,664 per point"
    )
    assert "  one more kg of capacity at jp_ndfeb in 2025-Q3: −$852/kg" in section
    assert "per unit share" not in text and "102,466,406" not in text


def test_the_report_shows_the_top_limits(baseline: Any) -> None:
    found, plan = baseline
    page = parse(render_plan_report(plan, found))
    (table,) = page.find("table", id="limit-table")
    rows = table.find("tr")[1:]
    assert len(rows) == 10
    first = rows[0].find("td")
    assert first[0].content() == "percentage point on the cap of CN's share of supply in 2025-Q3"
    assert first[1].content() == "−$1,024,664 per point"
    assert float(first[1].attrs["data-value"] or "nan") == pytest.approx(-1024664.0625)


def test_the_table_and_the_report_explain_an_infeasible_plan(capsys: Any) -> None:
    assert main(["solve", str(INFEASIBLE), "--format", "table", "--explain"]) == 0
    out = capsys.readouterr().out
    assert "status    infeasible" in out
    assert "No plan meets every limit: these 4 cannot all hold together" in out
    for text in (
        "  - capacity of jp_smco: 800 kg in 2025-Q3",
        "  - capacity of irel_vizag: 750 kg in 2025-Q3",
        "  - safety stock of smco: 5,000 kg at the end of 2025-Q3",
        "  - cn_hangzhou_smco cannot deliver in 2025-Q3: its lead time is 2 periods",
    ):
        assert text in out
    found = load_scenario(INFEASIBLE)
    page = parse(render_plan_report(solve(found, SolveOptions(), explain=True), found))
    (heading,) = page.find("p", id="conflict-heading")
    assert heading.content().startswith("No plan meets every limit: these 4 cannot all hold")
    (table,) = page.find("table", id="conflict-table")
    assert "safety stock of smco: 5,000 kg at the end of 2025-Q3" in table.content()


def test_without_explain_the_infeasible_table_says_how_to_get_the_diagnosis(capsys: Any) -> None:
    assert main(["solve", str(INFEASIBLE), "--format", "table"]) == 0
    assert "--explain names the limits that cannot hold together" in capsys.readouterr().out
