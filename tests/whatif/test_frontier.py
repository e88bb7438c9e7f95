"""The cost / origin-share frontier: hand-computed points, dominance, monotone cost."""

from __future__ import annotations

import argparse
import json

import pytest

from cli.insight import add_commands
from optimizer.whatif.frontier import default_caps, frontier, non_dominated
from optimizer.whatif.shocks import SpecError
from tests.paths import INSTANCES
from tests.random_scenarios import random_scenario
from tests.tiny import demand, scenario, supplier


def two_suppliers(cn_capacity: float = 1000.0, jp_capacity: float = 1000.0) -> dict:
    """100 kg needed; CN sells at 10, JP at 20; a shortage costs 1000 a kg."""
    return scenario(
        suppliers=[
            supplier("cn1", "CN", 10.0, capacity=cn_capacity),
            supplier("jp1", "JP", 20.0, capacity=jp_capacity),
        ],
        demand=demand(100),
    )


def test_two_suppliers_trade_cost_against_share_linearly():
    # CN may supply a share c of the 100 kg: cost 10·100c + 20·100(1 − c) = 2000 − 1000c.
    result = frontier(two_suppliers(), "CN", [1.0, 0.75, 0.5, 0.25, 0.0])
    assert [p["cap"] for p in result.evaluated] == [1.0, 0.75, 0.5, 0.25, 0.0]
    for p in result.evaluated:
        assert p["status"] == "optimal"
        assert p["objective"] == pytest.approx(2000 - 1000 * p["cap"], rel=1e-9)
        assert p["share"] == pytest.approx(p["cap"], abs=1e-9)
        assert p["share_mean"] == pytest.approx(p["cap"], abs=1e-9)
        assert p["shortage_kg"] == pytest.approx(0, abs=1e-9)
    assert [p["cap"] for p in result.points] == [0.0, 0.25, 0.5, 0.75, 1.0]  # by share


def test_a_scarce_alternative_makes_tight_caps_cost_shortage():
    # JP has 60 kg: CN may add at most c/(1 − c)·60 kg, the rest of the 100 kg is short.
    result = frontier(two_suppliers(jp_capacity=60.0), "CN", [1.0, 0.5, 0.2, 0.0])
    got = {p["cap"]: (p["objective"], p["shortage_kg"]) for p in result.evaluated}
    assert got[1.0] == pytest.approx((1000, 0))
    assert got[0.5] == pytest.approx((50 * 10 + 50 * 20, 0))
    assert got[0.2] == pytest.approx((15 * 10 + 60 * 20 + 25 * 1000, 25))
    assert got[0.0] == pytest.approx((60 * 20 + 40 * 1000, 40))


def test_a_cap_looser_than_the_realised_share_gives_the_same_point_once():
    # CN has only 70 kg: caps of 1.0 and 0.8 both give the plan 70 CN + 30 JP (share 0.7).
    result = frontier(two_suppliers(cn_capacity=70.0), "CN", [1.0, 0.8, 0.5])
    assert [p["cap"] for p in result.evaluated] == [1.0, 0.8, 0.5]
    assert [p["share"] for p in result.evaluated] == pytest.approx([0.7, 0.7, 0.5])
    assert [p["cap"] for p in result.points] == [0.5, 0.8]  # the tightest cap of the pair
    assert [p["objective"] for p in result.points] == pytest.approx([1500, 1300])


def test_non_dominated_drops_beaten_and_unsolved_points():
    def pt(cap, objective, share):
        return {"cap": cap, "objective": objective, "share": share}

    points = [pt(1.0, 100, 0.9), pt(0.8, 120, 0.8), pt(0.6, 130, 0.8), pt(0.4, 125, 0.9),
              pt(0.2, None, None), pt(0.1, 200, 0.1)]  # fmt: skip
    assert [p["cap"] for p in non_dominated(points)] == [0.1, 0.8, 1.0]


@pytest.mark.parametrize("name", ["india-2025-domestic-plant"])
def test_cost_never_rises_as_the_cap_loosens_on_a_shipped_lp(name):
    doc = json.loads((INSTANCES / f"{name}.json").read_text())
    result = frontier(doc, "CN")
    evaluated = sorted(result.evaluated, key=lambda p: p["cap"])
    costs = [p["objective"] for p in evaluated]
    assert all(c is not None for c in costs)
    assert all(b <= a * (1 + 1e-9) for a, b in zip(costs, costs[1:], strict=False))
    assert all(p["share"] <= p["cap"] + 1e-7 for p in evaluated)
    assert [p["start"] for p in result.evaluated][:3] == ["cold", "rebuilt", "hot"]
    assert costs[0] > costs[-1]  # the cap does bind somewhere


@pytest.mark.parametrize("seed", [3, 4, 9])
def test_cost_never_rises_as_the_cap_loosens_on_random_lps(seed):
    doc = random_scenario(seed)
    origin = doc["countries"][0]["id"]
    result = frontier(doc, origin, default_caps(6))
    solved = [
        p for p in sorted(result.evaluated, key=lambda p: p["cap"]) if p["objective"] is not None
    ]
    costs = [p["objective"] for p in solved]
    assert all(b <= a + 1e-6 * max(1.0, abs(a)) for a, b in zip(costs, costs[1:], strict=False))


def test_bad_requests_are_refused():
    with pytest.raises(SpecError) as caught:
        frontier(two_suppliers(), "XX", [0.5])
    assert caught.value.problems[0].pointer == "/origin"
    with pytest.raises(SpecError):
        frontier(two_suppliers(), "CN", [1.5])
    with pytest.raises(SpecError):
        default_caps(0)
    assert default_caps(3) == [1.0, 0.5, 0.0]


def test_cli_frontier(tmp_path, capsys):
    path, out = tmp_path / "s.json", tmp_path / "f.json"
    path.write_text(json.dumps(two_suppliers()))
    parser = argparse.ArgumentParser(prog="magnets")
    add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["frontier", str(path), "--steps", "5", "--out", str(out)])
    assert args.handler(args) == 0
    points = json.loads(out.read_text())["points"]
    assert [p["objective"] for p in points] == pytest.approx([2000, 1750, 1500, 1250, 1000])


def test_cli_frontier_refuses_bad_requests(tmp_path, capsys):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(two_suppliers()))
    parser = argparse.ArgumentParser(prog="magnets")
    add_commands(parser.add_subparsers(dest="command"))
    for argv, words in [
        (["--origin", "XX"], "/origin: unknown origin"),
        (["--steps", "0"], "/steps: need at least one step"),
        (["--time-limit", "-1"], "--time-limit: Input should be greater than 0"),
    ]:
        args = parser.parse_args(["frontier", str(path), *argv])
        assert args.handler(args) == 2
        assert words in capsys.readouterr().err
