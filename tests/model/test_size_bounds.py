"""The build-cost bounds counted on the raw document are upper bounds of what the build
makes, and they catch the documents that blew memory up."""

from __future__ import annotations

import json

import pytest

from optimizer.model.build import build_model
from optimizer.model.size_bounds import size_bounds
from optimizer.scenario.parsing import parse_scenario
from tests.paths import INSTANCES
from tests.random_scenarios import random_scenario


def _bound(document: dict, words: str) -> int:
    [found] = [b.cells for b in size_bounds(document) if b.what.startswith(words)]
    return found


@pytest.mark.parametrize("seed", range(20))
def test_each_bound_is_at_least_what_the_build_makes(seed: int) -> None:
    document = random_scenario(seed, milp=seed % 2 == 1, rules=seed % 4 == 1)
    model, ix = build_model(parse_scenario(document))
    sizes = {name: block.size for name, block in model.variables.items()}
    assert sizes["use"] <= _bound(document, "demand rows times countries")
    assert sizes["inv"] <= _bound(document, "products times countries")
    assert sizes["buy"] <= _bound(document, "supplier offers")
    assert sizes["lic"] <= _bound(document, "licences times")
    assert sizes["q"] == sizes["y"] <= _bound(document, "discount brackets")
    assert ix.demand.size <= _bound(document, "products times sectors")
    assert ix.allowed.size <= _bound(document, "countries times sectors")


def test_the_baseline_is_small() -> None:
    document = json.loads((INSTANCES / "india-2025-baseline.json").read_text(encoding="utf-8"))
    assert max(b.cells for b in size_bounds(document)) < 10_000


def test_two_thousand_countries_and_demand_rows_count_four_million_columns() -> None:
    def ids(n: int) -> list[dict[str, str]]:
        return [{"id": f"x{i}"} for i in range(n)]

    document = {
        "periods": [f"t{i}" for i in range(10)], "products": ids(10), "sectors": ids(20),
        "countries": ids(2000), "demand": [{"quantity": 1.0}] * 2000,
    }  # fmt: skip
    assert _bound(document, "demand rows times countries") == 2000 * 2000
    document["demand"] = document["demand"] * 2  # more rows than cells: the cells bound it
    assert _bound(document, "demand rows times countries") == 10 * 20 * 10 * 2000


@pytest.mark.parametrize("document", [None, [], "x", {"countries": "many", "demand": 5}])
def test_a_malformed_document_counts_as_empty(document: object) -> None:
    assert all(b.cells == 0 for b in size_bounds(document))
