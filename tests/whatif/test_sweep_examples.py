"""The sweep examples of instances/sweeps/ run and give sane results; docs/sweeps.md
documents every field of the spec and every shock kind.

The grid (4 China halts × 3 tariffs over the baseline) is monotone: a longer halt or a
higher tariff only removes supply or raises costs, so it is never cheaper. The Monte
Carlo sample is seeded: the same members every time. About a second each.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
from typing import Any

import pytest

from cli.insight import add_commands
from optimizer.whatif.shock_kinds import KINDS
from optimizer.whatif.sweep import run_sweep
from optimizer.whatif.sweep_spec import (
    Axis,
    Choice,
    NamedLevel,
    SweepSpec,
    Triangular,
    Uniform,
    base_document,
    expand_members,
    load_sweep_spec,
)
from tests.paths import INSTANCES, ROOT

SWEEPS = INSTANCES / "sweeps"
GRID = SWEEPS / "china-halt-tariff-grid.yaml"
MONTE_CARLO = SWEEPS / "four-licences-monte-carlo.yaml"
MIP_GAP = 1e-6  # the default relative gap: a MILP's optimum is known to this much


def expected_objective(stem: str) -> float:
    meta = json.loads((INSTANCES / f"{stem}.meta.json").read_text(encoding="utf-8"))
    return float(meta["expected"]["objective"])


def never_cheaper(costs: list[float]) -> bool:
    return all(b >= a * (1 - MIP_GAP) for a, b in itertools.pairwise(costs))


def assert_sane_statistics(stats: dict[str, Any], members: int, sectors: list[str]) -> None:
    assert stats["members"] == stats["solved"] == members
    assert stats["statuses"] == {"optimal": members}
    assert set(stats["shortage_kg"]) == set(sectors)
    for spread in [stats["total_cost"], *stats["shortage_kg"].values()]:
        assert None not in spread.values()
        assert spread["p5"] <= spread["p50"] <= spread["p95"]


@pytest.fixture(scope="module")
def grid() -> dict[str, Any]:
    return run_sweep(load_sweep_spec(GRID)).as_dict()


def test_the_grid_solves_every_member(grid: dict[str, Any]) -> None:
    rows = grid["members"]
    assert len(rows) == 1 + 4 * 3 and rows[0]["member"] == "base"
    assert all(r["status"] == "optimal" for r in rows), [(r["member"], r["status"]) for r in rows]
    assert rows[0]["objective"] == pytest.approx(
        expected_objective("india-2025-baseline"), rel=1e-6
    )
    # the baseline's own tariff is 7.5 %: the level with no halt and that tariff is the base
    same = next(r for r in rows if r["levels"] == {"china_halt": "none", "cn_tariff": 0.075})
    assert same["objective"] == pytest.approx(rows[0]["objective"], rel=MIP_GAP)
    sectors = [e["id"] for e in base_document(load_sweep_spec(GRID))["sectors"]]
    assert_sane_statistics(grid["statistics"], 12, sectors)


def test_the_grid_is_never_cheaper_with_a_longer_halt_or_a_higher_tariff(
    grid: dict[str, Any],
) -> None:
    cost = {(r["levels"]["china_halt"], r["levels"]["cn_tariff"]): r["objective"]
            for r in grid["members"][1:]}  # fmt: skip
    halts = ["none", "2025-Q4", "2025-Q4..2026-Q1", "2025-Q4..2026-Q2"]
    tariffs = [0.075, 0.15, 0.25]
    assert set(cost) == set(itertools.product(halts, tariffs))
    for tariff in tariffs:
        assert never_cheaper([cost[h, tariff] for h in halts]), tariff
    for halt in halts:
        assert never_cheaper([cost[halt, t] for t in tariffs]), halt
    # three quarters without Chinese supply cost far more than none
    assert cost[halts[-1], 0.075] > 1.5 * cost["none", 0.075]


def test_the_monte_carlo_sample_is_seeded_and_within_its_distributions() -> None:
    spec = load_sweep_spec(MONTE_CARLO)
    base = base_document(spec)
    first, again = expand_members(spec, base), expand_members(spec, base)
    assert [(m.name, m.levels) for m in first] == [(m.name, m.levels) for m in again]
    assert len(first) == 1 + 20 and first[1].name == "mc-01"
    drawn = [m.levels for m in first[1:]]
    assert all(0 <= d["continental_licence"] <= 1 for d in drawn)
    assert all(0 <= d["china_capacity_2026"] <= 1 for d in drawn)
    assert {d["cn_tariff"] for d in drawn} <= {0.075, 0.15, 0.25}
    assert len({d["continental_licence"] for d in drawn}) == 20  # draws, not one value


def test_the_monte_carlo_sample_solves_with_statistics() -> None:
    result = run_sweep(load_sweep_spec(MONTE_CARLO)).as_dict()
    rows = result["members"]
    assert len(rows) == 21 and rows[0]["member"] == "base"
    assert all(r["status"] == "optimal" for r in rows), [(r["member"], r["status"]) for r in rows]
    base = expected_objective("india-2025-four-licences")
    assert rows[0]["objective"] == pytest.approx(base, rel=1e-6)
    # every shock of the sample only takes supply away or raises a cost
    assert all(r["objective"] >= base * (1 - MIP_GAP) for r in rows[1:])
    stats = result["statistics"]
    sectors = [e["id"] for e in base_document(load_sweep_spec(MONTE_CARLO))["sectors"]]
    assert_sane_statistics(stats, 20, sectors)
    costs = [r["objective"] for r in rows[1:]]
    assert min(costs) <= stats["total_cost"]["mean"] <= max(costs)
    assert sum(result["starts"].values()) == 21
    checked = [r for r in rows if r["verified"] is not None]
    assert checked and all(r["verified"] for r in checked)  # hot starts agree with cold solves


# ---------------------------------------------------------------------------- the docs


DOCS = (ROOT / "docs" / "sweeps.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "model", [SweepSpec, Axis, NamedLevel, Uniform, Triangular, Choice], ids=lambda m: m.__name__
)
def test_the_docs_name_every_field_of_the_spec(model: Any) -> None:
    for name in model.model_fields:
        assert f"`{name}`" in DOCS, (model.__name__, name)


def test_the_docs_name_every_shock_kind_and_distribution() -> None:
    documented = set(re.findall(r"^\| `(\w+)` \|", DOCS, flags=re.MULTILINE))
    assert set(KINDS) <= documented
    assert {"uniform", "triangular", "choice"} <= documented


def test_the_docs_list_the_shipped_examples() -> None:
    shipped = {p.name for p in SWEEPS.iterdir()}
    assert shipped == {GRID.name, MONTE_CARLO.name}
    assert all(f"`{name}`" in DOCS for name in shipped)


def test_sweep_help_points_to_the_docs(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="magnets")
    add_commands(parser.add_subparsers(dest="command"))
    with pytest.raises(SystemExit):
        parser.parse_args(["sweep", "--help"])
    assert "docs/sweeps.md" in capsys.readouterr().out
