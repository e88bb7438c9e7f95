"""Model-building tests that need no solver: which columns and rows exist, and their names.

A column exists only where MODEL.md §3 lets its variable be non-zero; each test names
the rule it checks and lists the columns it expects.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from optimizer.model.build import build_model
from optimizer.model.export import model_names
from optimizer.model.indexing import ScenarioIndex
from optimizer.model.lp import LinearModel, VarBlock
from optimizer.scenario.parsing import parse_scenario
from tests.random_scenarios import random_scenario
from tests.tiny import plant, scenario, supplier


def _build(doc: dict) -> tuple[LinearModel, ScenarioIndex]:
    return build_model(parse_scenario(doc))


def _labels(ix: ScenarioIndex) -> dict[str, list[str]]:
    return {
        "supplier": ix.supplier_ids,
        "product": ix.product_ids,
        "period": ix.periods,
        "origin": ix.country_ids,
        "sector": ix.sector_ids,
        "plant": ix.plant_ids,
        "licence": ix.licence_ids,
    }


def _ids(block: VarBlock, ix: ScenarioIndex, *keys: str) -> set[tuple[str, ...]]:
    """The block's columns as id tuples, e.g. {("s1", "p", "t0"), …} for buy[s,p,t]."""
    labels = _labels(ix)
    return {tuple(labels[k][block.index[k][i]] for k in keys) for i in range(block.size)}


def _lp_doc() -> dict:
    """Three periods, products p and q, sectors auto (no tags) and mil (tag defence).

    s1 (CN, lead time 1) offers p and q; s2 (JP, licence required) offers p; s3 ships
    from VN material of origin CN, licence required, and offers q. CN bans defence.
    L1 lists s2 and s1 for t0 and t1; L2 lists s3 for product p only (s3 offers no
    p); L3 lists s3 with an empty periods list. q has 5 kg of IN-origin stock.
    """
    s1 = supplier("s1", "CN", 10.0, lead_time=1)
    s1["offers"].append({"product": "q", "price": 12.0})
    return scenario(
        3,
        products=[{"id": "p"}, {"id": "q", "initial_inventory": {"IN": 5.0}}],
        sectors=[
            {"id": "auto", "shortage_penalty": 100.0},
            {"id": "mil", "tags": ["defence"], "shortage_penalty": 100.0},
        ],
        countries=[
            {"id": "CN", "restricted_end_uses": ["defence"]},
            {"id": "JP"},
            {"id": "IN"},
            {"id": "VN"},
        ],
        suppliers=[
            s1,
            supplier("s2", "JP", 20.0, licence_required=True),
            supplier("s3", "VN", 11.0, product="q", origin="CN", licence_required=True),
        ],
        licences=[
            {"id": "L1", "suppliers": ["s2", "s1"], "quantity": 50.0, "periods": ["t0", "t1"]},
            {"id": "L2", "suppliers": ["s3"], "quantity": 50.0, "products": ["p"]},
            {"id": "L3", "suppliers": ["s3"], "quantity": 50.0, "periods": []},
        ],
        demand=[
            {"product": "p", "sector": "auto", "period": "t0", "quantity": 10.0},
            {"product": "p", "sector": "mil", "period": "t0", "quantity": 10.0},
            {"product": "q", "sector": "mil", "period": "t1", "quantity": 10.0},
            {"product": "q", "sector": "auto", "period": "t2", "quantity": 0.0},
        ],
    )


def test_buy_columns_only_for_offered_products_from_the_lead_time_on():
    m, ix = _build(_lp_doc())
    assert _ids(m.variables["buy"], ix, "supplier", "product", "period") == {
        ("s1", "p", "t1"), ("s1", "p", "t2"), ("s1", "q", "t1"), ("s1", "q", "t2"),
        ("s2", "p", "t0"), ("s2", "p", "t1"), ("s2", "p", "t2"),
        ("s3", "q", "t0"), ("s3", "q", "t1"), ("s3", "q", "t2"),
    }  # fmt: skip


def test_buy_column_costs_are_landed_costs():
    """Landed cost = price × index × (1 + tariff) + freight of the shipping country."""
    doc = _lp_doc()
    doc["countries"][3].update(tariff=0.1, freight=2.0)  # VN, s3's shipping country
    doc["countries"][0].update(tariff=0.5, freight=5.0)  # CN, s3's origin: not applied
    doc["suppliers"][2]["price_index"] = [1.0, 2.0, 3.0]
    m, ix = _build(doc)
    buy = m.variables["buy"]
    s3 = buy.index["supplier"] == ix.supplier_pos["s3"]
    # 11 × index × 1.1 + 2 for t0, t1, t2.
    assert buy.cost[s3].tolist() == pytest.approx([14.1, 26.2, 38.3])


def test_use_columns_absent_for_banned_origins_and_zero_demand():
    """use[p,o,e,t] for demand rows above 0 and origins the sector may take and that exist.

    p: origins CN (s1) and JP (s2); q: CN (s1, s3) and IN (initial stock). mil bans CN;
    q's t2 demand is 0.
    """
    m, ix = _build(_lp_doc())
    assert _ids(m.variables["use"], ix, "product", "origin", "sector", "period") == {
        ("p", "CN", "auto", "t0"),
        ("p", "JP", "auto", "t0"),
        ("p", "JP", "mil", "t0"),
        ("q", "IN", "mil", "t1"),
    }
    assert _ids(m.variables["short"], ix, "product", "sector", "period") == {
        ("p", "auto", "t0"),
        ("p", "mil", "t0"),
        ("q", "mil", "t1"),
    }


def test_inventory_columns_for_every_origin_a_product_can_have():
    m, ix = _build(_lp_doc())
    pairs = {("p", "CN"), ("p", "JP"), ("q", "CN"), ("q", "IN")}
    expected = {(p, o, t) for p, o in pairs for t in ("t0", "t1", "t2")}
    assert _ids(m.variables["inv"], ix, "product", "origin", "period") == expected
    assert m.constraints["stock_balance"].size == len(expected)


def test_licence_columns_only_for_covered_licence_required_suppliers():
    """Only L1 × s2 (p, t0 and t1) is a cover: s1 needs no licence, s3 offers no p
    under L2, and L3's empty periods list covers nothing."""
    m, ix = _build(_lp_doc())
    assert _ids(m.variables["lic"], ix, "licence", "supplier", "product", "period") == {
        ("L1", "s2", "p", "t0"),
        ("L1", "s2", "p", "t1"),
    }
    # One cover row per delivery of a licence-required supplier (s2: 3, s3: 3).
    cover = m.constraints["licence_required"]
    assert cover.size == 6
    assert cover.lower.tolist() == [0.0] * 6 and cover.upper.tolist() == [0.0] * 6
    assert m.constraints["licence"].upper.tolist() == [50.0, 50.0, 50.0]


def test_lp_scenario_has_no_binaries():
    m, _ = _build(_lp_doc())
    assert not m.is_mip
    for name in ("active", "order", "build"):
        assert m.variables[name].size == 0, name
    _, _, _, integer = m.column_arrays()
    assert not integer.any()


def _milp_doc() -> dict:
    """a: fixed cost; b: minimum order, lead time 1; c: neither. k1 exists (incentive
    capped at 30), k2 is a candidate from t1 on, k3 a candidate from t0 with lead 2."""
    candidate: dict[str, Any] = {"existing": False, "build_cost": 100.0}
    return scenario(
        3,
        suppliers=[
            supplier("a", "CN", 10.0, fixed_cost=100.0),
            supplier("b", "JP", 12.0, min_order=10.0, lead_time=1),
            supplier("c", "VN", 15.0),
        ],
        plants=[
            plant("k1", "IN", 9.0, 20.0, incentive=2.0, incentive_cap=30.0),
            plant("k2", "IN", 8.0, 40.0, earliest_build=1, **candidate),
            plant("k3", "IN", 7.0, 60.0, build_lead=2, **candidate),
        ],
        demand=[{"product": "p", "sector": "auto", "period": "t2", "quantity": 10.0}],
    )


def test_binaries_only_for_fixed_costs_min_orders_and_candidate_plants():
    m, ix = _build(_milp_doc())
    v = m.variables
    assert m.is_mip
    assert _ids(v["active"], ix, "supplier") == {("a",)}
    assert _ids(v["order"], ix, "supplier", "period") == {("b", "t1"), ("b", "t2")}
    assert _ids(v["build"], ix, "plant", "period") == {
        ("k2", "t1"), ("k2", "t2"), ("k3", "t0"), ("k3", "t1"), ("k3", "t2"),
    }  # fmt: skip
    for name, block in v.items():
        assert block.binary == (name in ("active", "order", "build", "y", "u", "qual")), name
    _, _, upper, integer = m.column_arrays()
    assert int(integer.sum()) == 1 + 2 + 5
    assert upper[integer].tolist() == [1.0] * 8
    assert _ids(v["subsidy"], ix, "plant") == {("k1",)}
    assert v["subsidy"].upper.tolist() == [30.0]


def test_candidate_plant_capacity_counts_builds_at_least_build_lead_earlier():
    """Row plant_capacity(k, t) holds −capacity on build[k, τ] for τ <= t − build_lead."""
    m, ix = _build(_milp_doc())
    rows = m.constraints["plant_capacity"]
    build = m.variables["build"]
    build_of = {
        int(c): (ix.plant_ids[k], ix.periods[t])
        for c, k, t in zip(build.cols, build.index["plant"], build.index["period"], strict=True)
    }
    found: dict[tuple[str, str], dict[str, float]] = {}
    for r, c, val in zip(rows.rows, rows.cols, rows.vals, strict=True):
        if int(c) in build_of:
            key = (ix.plant_ids[rows.index["plant"][r]], ix.periods[rows.index["period"][r]])
            plant_id, tau = build_of[int(c)]
            assert plant_id == key[0]
            found.setdefault(key, {})[tau] = float(val)
    assert found == {
        ("k2", "t1"): {"t1": -40.0},
        ("k2", "t2"): {"t1": -40.0, "t2": -40.0},
        ("k3", "t2"): {"t0": -60.0},
    }
    assert m.constraints["build_once"].size == 2


SEEDS = [(seed, milp) for seed in range(40) for milp in (False, True)]


@pytest.mark.parametrize(("seed", "milp"), SEEDS[::8])
def test_matrix_has_no_duplicate_entries_on_random_scenarios(seed, milp):
    for s in range(seed, seed + 8):
        m, _ = _build(random_scenario(s, milp))
        start, index, value = m.matrix()
        assert len(start) == m.num_rows + 1 and start[-1] == len(index) == len(value)
        rows = np.repeat(np.arange(m.num_rows), np.diff(start))
        assert ((index >= 0) & (index < m.num_cols)).all()
        keys = rows.astype(np.int64) * m.num_cols + index
        assert len(np.unique(keys)) == len(keys), f"seed {s}"
        assert np.isfinite(value).all() and (value != 0).all()


NAME = re.compile(r"^[a-z_]+\([^(),\s]+(,[^(),\s]+)*\)$")


def _check_names(doc: dict) -> tuple[list[str], list[str], LinearModel, ScenarioIndex]:
    m, ix = _build(doc)
    cols, rows = model_names(m, ix)
    assert len(cols) == m.num_cols and len(rows) == m.num_rows
    assert len(set(cols)) == len(cols)
    assert len(set(rows)) == len(rows)
    for name in cols + rows:
        assert NAME.match(name), name
    buy = m.variables["buy"]
    expected = [
        f"buy({ix.supplier_ids[s]},{ix.product_ids[p]},{ix.periods[t]})"
        for s, p, t in zip(
            buy.index["supplier"], buy.index["product"], buy.index["period"], strict=True
        )
    ]
    assert cols[buy.start : buy.start + buy.size] == expected
    return cols, rows, m, ix


def test_model_names_read_like_the_spec():
    cols, rows, _, _ = _check_names(_lp_doc())
    assert {"buy(s2,p,t0)", "lic(L1,s2,p,t0)", "use(p,JP,mil,t0)", "inv(q,IN,t2)"} <= set(cols)
    assert {"stock_balance(p,CN,t0)", "demand(q,mil,t1)", "licence(L1)"} <= set(rows)
    assert "licence_required(s3,q,t0)" in rows


def test_minimum_order_rows_are_named_by_their_families():
    """b has a minimum order from t1 on: per period, its capacity row, the ceiling of the
    order (a supplier_capacity row gated by order[b,t]) and the floor (min_order)."""
    _, rows, _, _ = _check_names(_milp_doc())
    for t in ("t1", "t2"):
        assert {
            f"supplier_capacity(b,{t})", f"supplier_capacity(b,{t},order)", f"min_order(b,{t})"
        } <= set(rows)  # fmt: skip
    assert [r for r in rows if r.endswith(",order)")] == [
        "supplier_capacity(b,t1,order)", "supplier_capacity(b,t2,order)",
    ]  # fmt: skip


@pytest.mark.parametrize("seed", range(0, 40, 4))
def test_model_names_unique_on_random_scenarios(seed):
    for s in range(seed, seed + 4):
        _check_names(random_scenario(s, milp=s % 2 == 1))
