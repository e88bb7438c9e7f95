"""Sweeps: members expanded from a spec, solved, tabulated and summarised."""

from __future__ import annotations

import argparse
import csv
import json

import pytest

from cli.insight import ProgressBar, add_commands
from optimizer.whatif.shocks import SpecError
from optimizer.whatif.sweep import (
    base_document,
    expand_members,
    mean_origin_shares,
    parse_sweep_spec,
    run_sweep,
    statistics,
    verify_positions,
)
from tests.tiny import demand, scenario, supplier

# cn1 sells at 10, jp1 at 20, 100 kg each; 150 kg are needed; a shortage costs 1000/kg.
TWO_SUPPLIERS = scenario(
    suppliers=[
        supplier("cn1", "CN", 10.0, capacity=100.0),
        supplier("jp1", "JP", 20.0, capacity=100.0),
    ],
    demand=demand(150),
)
CHINA = {"name": "china", "shock": {"kind": "capacity", "origin": "CN"}, "levels": [1, 0.5, 0]}
JP_TARIFF = {
    "name": "jp_tariff",
    "shock": {"kind": "tariff", "country": "JP"},
    "parameter": "value",
    "levels": [0, 0.5],
}
# Hand-computed: CN capacity c·100 at 10, the rest up to 100 kg from JP at 20·(1+tariff),
# anything left short at 1000.
EXPECTED = {
    "china=1;jp_tariff=0": (100 * 10 + 50 * 20, 0.0, 2 / 3),
    "china=1;jp_tariff=0.5": (100 * 10 + 50 * 30, 0.0, 2 / 3),
    "china=0.5;jp_tariff=0": (50 * 10 + 100 * 20, 0.0, 1 / 3),
    "china=0.5;jp_tariff=0.5": (50 * 10 + 100 * 30, 0.0, 1 / 3),
    "china=0;jp_tariff=0": (100 * 20 + 50 * 1000, 50.0, 0.0),
    "china=0;jp_tariff=0.5": (100 * 30 + 50 * 1000, 50.0, 0.0),
}


def grid_spec(**fields) -> dict:
    return {"base": TWO_SUPPLIERS, "axes": [CHINA, JP_TARIFF], **fields}


def test_grid_expands_to_the_product_of_levels_with_names_and_shocks():
    spec = parse_sweep_spec(grid_spec())
    members = expand_members(spec, base_document(spec))
    assert len(members) == 1 + 3 * 2
    assert members[0].name == "base" and members[0].shocks == ()
    assert [m.name for m in members[1:]] == list(EXPECTED)
    m = members[3]  # china=0.5;jp_tariff=0
    assert m.levels == {"china": 0.5, "jp_tariff": 0}
    assert [(s.kind, getattr(s, "factor", None), getattr(s, "value", None)) for s in m.shocks] == [
        ("capacity", 0.5, None),
        ("tariff", None, 0.0),
    ]
    spec = parse_sweep_spec(grid_spec(include_base=False))
    assert len(expand_members(spec, base_document(spec))) == 6


def test_named_levels_list_whole_shocks():
    axis = {
        "name": "event",
        "levels": [
            {"name": "calm", "shocks": []},
            {"name": "crisis", "shocks": [
                {"kind": "capacity", "origin": "CN", "factor": 0},
                {"kind": "demand", "factor": 1.2},
            ]},
        ],
    }  # fmt: skip
    spec = parse_sweep_spec({"base": TWO_SUPPLIERS, "axes": [axis, CHINA], "include_base": False})
    members = expand_members(spec, base_document(spec))
    assert [m.name for m in members][:3] == [
        "event=calm;china=1",
        "event=calm;china=0.5",
        "event=calm;china=0",
    ]
    assert len(members[3].shocks) == 3 and members[3].levels["event"] == "crisis"


def test_grid_sweep_solves_every_member_as_computed_by_hand(tmp_path):
    result = run_sweep(grid_spec())
    rows = {r["member"]: r for r in result.rows}
    assert rows["base"]["objective"] == pytest.approx(2000.0)
    for name, (objective, short, cn_share) in EXPECTED.items():
        row = rows[name]
        assert row["status"] == "optimal"
        assert row["objective"] == pytest.approx(objective, rel=1e-9)
        assert row["shortage_kg"].get("auto", 0.0) == pytest.approx(short, abs=1e-6)
        assert row["origin_share"].get("CN", 0.0) == pytest.approx(cn_share, abs=1e-9)
        assert row["terms"]["shortage"] == pytest.approx(1000 * short, abs=1e-6)
    assert result.starts == {"cold": 1, "hot": 6}
    # statistics over the six shocked members (the base left out), by hand:
    # sorted costs 2000, 2500, 2500, 3500, 52000, 53000; numpy's linear percentiles
    cost = result.statistics["total_cost"]
    assert result.statistics["members"] == 6 and result.statistics["solved"] == 6
    assert cost["mean"] == pytest.approx(115500 / 6)
    assert cost["p5"] == pytest.approx(2000 + 0.25 * 500)
    assert cost["p50"] == pytest.approx(3000)
    assert cost["p95"] == pytest.approx(52000 + 0.75 * 1000)
    assert result.statistics["shortage_kg"]["auto"]["mean"] == pytest.approx(100 / 6)


def test_statistics_on_a_known_set():
    rows = [
        {"status": "optimal", "objective": v, "shortage_kg": {"a": s}}
        for v, s in [(10, 0), (20, 4), (30, 0), (40, 8), (50, 8)]
    ] + [{"status": "infeasible", "objective": None, "shortage_kg": None}]
    stats = statistics(rows, ("a", "b"))
    assert stats["members"] == 6 and stats["solved"] == 5
    assert stats["statuses"] == {"optimal": 5, "infeasible": 1}
    # positions 0.05·4 = 0.2, 2, 3.8 between the sorted values
    assert stats["total_cost"] == pytest.approx({"mean": 30, "p5": 12, "p50": 30, "p95": 48})
    assert stats["shortage_kg"]["a"] == pytest.approx({"mean": 4, "p5": 0, "p50": 4, "p95": 8})
    assert stats["shortage_kg"]["b"] == {"mean": 0, "p5": 0, "p50": 0, "p95": 0}
    empty = statistics([], ("a",))
    assert empty["total_cost"] == {"mean": None, "p5": None, "p50": None, "p95": None}


def test_mean_origin_shares_average_over_periods_with_supply():
    plan = {"origin_share": [
        {"period": "t0", "origin": "CN", "share": 0.6}, {"period": "t0", "origin": "JP", "share": 0.4},
        {"period": "t1", "origin": "JP", "share": 1.0},
    ]}  # fmt: skip
    assert mean_origin_shares(plan) == pytest.approx({"CN": 0.3, "JP": 0.7})


def mc_spec(seed: int, samples: int = 8) -> dict:
    return {
        "base": TWO_SUPPLIERS, "mode": "monte_carlo", "samples": samples, "seed": seed,
        "include_base": False,
        "axes": [
            {"name": "u", "shock": {"kind": "capacity", "origin": "CN"},
             "distribution": {"type": "uniform", "low": 0.2, "high": 0.9}},
            {"name": "t", "shock": {"kind": "demand"},
             "distribution": {"type": "triangular", "low": 0.8, "mode": 1.0, "high": 1.5}},
            {"name": "c", "shock": {"kind": "tariff", "country": "CN"}, "parameter": "value",
             "distribution": {"type": "choice", "values": [0.0, 0.25], "weights": [3, 1]}},
        ],
    }  # fmt: skip


def test_monte_carlo_is_reproducible_from_its_seed_and_stays_in_bounds():
    def levels(seed: int) -> list[dict]:
        spec = parse_sweep_spec(mc_spec(seed, samples=40))
        return [m.levels for m in expand_members(spec, base_document(spec))]

    first = levels(7)
    assert first == levels(7)
    assert first != levels(8)
    assert all(0.2 <= lv["u"] <= 0.9 and 0.8 <= lv["t"] <= 1.5 for lv in first)
    assert {lv["c"] for lv in first} == {0.0, 0.25}
    spec = parse_sweep_spec(mc_spec(7, samples=40))
    assert [m.name for m in expand_members(spec, base_document(spec))][:2] == ["mc-01", "mc-02"]


def test_monte_carlo_rows_equal_a_second_run_and_each_member_applies_its_draw():
    a, b = run_sweep(mc_spec(3)), run_sweep(mc_spec(3))
    assert [r["objective"] for r in a.rows] == pytest.approx([r["objective"] for r in b.rows])
    for row in a.rows:  # demand 150·t; CN capacity 100·u at 10(1+c); JP 100 at 20; short at 1000
        lv = row["levels"]
        need, cn = 150 * lv["t"], 100 * lv["u"]
        cn_cost = 10 * (1 + lv["c"])
        bought_cn = min(cn, need)
        bought_jp = min(100.0, need - bought_cn)
        expected = bought_cn * cn_cost + bought_jp * 20 + (need - bought_cn - bought_jp) * 1000
        assert row["objective"] == pytest.approx(expected, rel=1e-9)


def test_parallel_workers_give_the_same_rows():
    one, two = run_sweep(grid_spec()), run_sweep(grid_spec(), workers=2)
    assert [r["member"] for r in two.rows] == [r["member"] for r in one.rows]
    assert [r["objective"] for r in two.rows] == pytest.approx([r["objective"] for r in one.rows])


def test_verify_positions_fraction_or_count():
    assert verify_positions(0, 10) == set()
    assert verify_positions(0.2, 10) == {0, 9}
    assert verify_positions(1.0, 4) == {0, 1, 2, 3}
    assert verify_positions(1, 4) == {0}
    assert verify_positions(3, 11) == {0, 5, 10}
    assert verify_positions(50, 4) == {0, 1, 2, 3}
    assert parse_sweep_spec(grid_spec(verify_sample=1)).verify_sample == 1
    assert isinstance(parse_sweep_spec(grid_spec(verify_sample=1.0)).verify_sample, float)


@pytest.mark.parametrize(
    ("change", "pointer", "words"),
    [
        ({"axes": [{**CHINA, "shock": {"kind": "capacity", "origin": "XX"}}]}, "/axes/0/shock/origin/0", "unknown country"),
        ({"axes": [{**CHINA, "levels": [1, -0.5]}]}, "/axes/0/shock/factor", "greater than or equal"),
        ({"axes": [{"name": "a", "levels": [1]}]}, "/axes/0/shock", "needs a shock template"),
        ({"axes": [{"name": "a", "shock": {"kind": "demand"}}]}, "/axes/0/levels", "grid mode needs levels"),
        ({"axes": [CHINA], "mode": "monte_carlo", "samples": 3}, "/axes/0/distribution", "needs a distribution"),
        ({"axes": [CHINA, CHINA]}, "", "axis names must be unique"),
        ({"axes": [CHINA], "mode": "monte_carlo"}, "", "needs `samples`"),
        ({"axes": [CHINA], "colour": 1}, "/colour", "unknown field"),
        ({"axes": [{**CHINA, "name": f"a{k}", "levels": list(range(20))} for k in range(4)]},
         "/axes", "at most 100,000 members"),
        ({"axes": [{"name": "a", "levels": [{"name": "x", "shocks": [{"kind": "revoke_licence", "licence": "L7"}]}]}]},
         "/axes/0/levels/0/shocks/0/licence", "unknown licence"),
    ],
)  # fmt: skip
def test_bad_specs_are_refused_naming_the_field(change, pointer, words):
    with pytest.raises(SpecError) as caught:
        spec = parse_sweep_spec(grid_spec(**change))
        expand_members(spec, base_document(spec))
    assert any(p.pointer == pointer and words in p.rule for p in caught.value.problems), (
        caught.value.problems
    )


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="magnets")
    add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    return args.handler(args)


def test_cli_sweep_writes_json_and_csv(tmp_path, capsys):
    base = tmp_path / "base.json"
    base.write_text(json.dumps(TWO_SUPPLIERS))
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "base: base.json\naxes:\n  - name: china\n    shock: {kind: capacity, origin: CN}\n"
        "    levels: [1, 0]\n"
    )
    out, table = tmp_path / "r.json", tmp_path / "t.csv"
    assert run_cli("sweep", str(spec), "--out", str(out), "--csv", str(table)) == 0
    result = json.loads(out.read_text())
    assert [m["member"] for m in result["members"]] == ["base", "china=1", "china=0"]
    with table.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[:5] == ["member", "china", "status", "objective", "purchase"]
    assert "shortage_kg:auto" in rows[0] and "share:CN" in rows[0]
    assert float(rows[2]["objective"]) == pytest.approx(100 * 20 + 50 * 1000)
    captured = capsys.readouterr()
    assert "3/3" in captured.err and "total cost" in captured.out


def test_cli_sweep_rejects_a_bad_spec_with_exit_2(tmp_path, capsys):
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps(grid_spec(axes=[{**CHINA, "shock": {"kind": "capacity", "origin": "XX"}}]))
    )
    assert run_cli("sweep", str(spec), "--quiet") == 2
    assert "/axes/0/shock/origin/0" in capsys.readouterr().err


def test_progress_bar_without_a_terminal_prints_tenths(capsys):
    import io

    stream = io.StringIO()
    bar = ProgressBar("x", stream)
    for k in range(1, 101):
        bar(k, 100)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11  # the first update, then one per tenth
    assert lines[0].startswith("x 1/100 [") and lines[-1].startswith("x 100/100 [######")


def test_a_service_can_refuse_a_base_named_by_path(tmp_path):
    path = tmp_path / "base.json"
    path.write_text(json.dumps(TWO_SUPPLIERS))
    spec = grid_spec(base=str(path), axes=[CHINA])
    assert len(run_sweep(spec).rows) == 4
    with pytest.raises(SpecError) as caught:
        run_sweep(spec, allow_path=False)
    assert caught.value.problems[0].pointer == "/base"
