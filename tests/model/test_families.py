"""Tiny hand-computed cases, at least one per constraint family of MODEL.md §3.1–3.6.

Unless a test says otherwise: countries have no tariff, freight or bans (landed cost =
offer price), the one sector `auto` has shortage penalty 1000 and the product `p` has
no holding cost. Every expected objective is worked out in the test's docstring.
"""

from __future__ import annotations

import pytest

from tests.tiny import (
    approx,
    assert_no_solution,
    assert_optimal,
    assert_terms,
    demand,
    keyed,
    kg,
    plant,
    scenario,
    solve_doc,
    supplier,
)

# -- 3.1 stock balance ------------------------------------------------------------------


def test_stock_is_carried_forward_at_a_holding_cost():
    """Price index [1, 2]: cn costs 10 in t0 and 20 in t1; holding costs 3 per kg.

    Buying t1's 40 kg in t0 and holding it costs 10 + 3 = 13 < 20 per kg, so cn
    delivers 50 + 40 = 90 kg in t0 and 40 kg stay in stock at the end of t0:
    purchase 90 × 10 = 900, holding 40 × 3 = 120, objective 1020.
    """
    doc = scenario(
        2,
        products=[{"id": "p", "holding_cost": 3.0}],
        suppliers=[supplier("cn", "CN", 10.0, price_index=[1.0, 2.0])],
        demand=demand(50, 40),
    )
    plan = solve_doc(doc)
    assert_optimal(plan, 1020.0)
    assert_terms(plan, purchase=900.0, holding=120.0)
    assert keyed(plan["deliveries"], "supplier", "period") == {("cn", "t0"): approx(90.0)}
    assert keyed(plan["inventory"], "origin", "period") == {("CN", "t0"): approx(40.0)}
    assert keyed(plan["consumption"], "origin", "period") == {
        ("CN", "t0"): approx(50.0),
        ("CN", "t1"): approx(40.0),
    }


def test_initial_inventory_is_used_before_buying():
    """30 kg of JP-origin stock on hand, holding 1 per kg, demand 50, cn sells at 10.

    Using the stock costs nothing and saves holding it: 30 kg JP from stock, cn
    delivers the other 20 kg. Objective 20 × 10 = 200, no holding cost.
    """
    doc = scenario(
        products=[{"id": "p", "holding_cost": 1.0, "initial_inventory": {"JP": 30.0}}],
        suppliers=[supplier("cn", "CN", 10.0)],
        demand=demand(50),
    )
    plan = solve_doc(doc)
    assert_optimal(plan, 200.0)
    assert_terms(plan, purchase=200.0)
    assert keyed(plan["consumption"], "origin") == {("JP",): approx(30.0), ("CN",): approx(20.0)}
    assert keyed(plan["deliveries"], "supplier") == {("cn",): approx(20.0)}
    assert plan["inventory"] == []


def test_initial_inventory_keeps_its_origin():
    """30 kg of CN-origin stock, CN banned for defence, only defence demands 50 kg.

    The CN stock cannot serve defence: jp delivers all 50 kg at 20 = 1000 and the
    30 kg CN stay in stock, held at 1 per kg = 30. Objective 1030.
    """
    doc = scenario(
        products=[{"id": "p", "holding_cost": 1.0, "initial_inventory": {"CN": 30.0}}],
        sectors=[{"id": "defence", "tags": ["defence"], "shortage_penalty": 1000.0}],
        countries=[{"id": "CN", "restricted_end_uses": ["defence"]}, {"id": "JP"}],
        suppliers=[supplier("jp", "JP", 20.0)],
        demand=demand(50, sector="defence"),
    )
    plan = solve_doc(doc)
    assert_optimal(plan, 1030.0)
    assert_terms(plan, purchase=1000.0, holding=30.0)
    assert keyed(plan["consumption"], "origin") == {("JP",): approx(50.0)}
    assert keyed(plan["inventory"], "origin", "period") == {("CN", "t0"): approx(30.0)}


def test_lead_time_leaves_early_demand_to_stock_or_shortage():
    """cn has lead time 1: it cannot deliver in t0, whatever it costs.

    t0: 20 kg of initial CN stock, the other 30 kg short at penalty 100 = 3000.
    t1: cn delivers 50 kg at 10 = 500. Objective 3500.
    """
    doc = scenario(
        2,
        products=[{"id": "p", "initial_inventory": {"CN": 20.0}}],
        sectors=[{"id": "auto", "shortage_penalty": 100.0}],
        suppliers=[supplier("cn", "CN", 10.0, lead_time=1)],
        demand=demand(50, 50),
    )
    plan = solve_doc(doc)
    assert_optimal(plan, 3500.0)
    assert_terms(plan, purchase=500.0, shortage=3000.0)
    assert keyed(plan["deliveries"], "supplier", "period") == {("cn", "t1"): approx(50.0)}
    assert keyed(plan["shortages"], "period") == {("t0",): approx(30.0)}


# -- 3.2 demand and shortage ------------------------------------------------------------


def test_shortage_is_chosen_when_cheaper_than_the_only_supplier():
    """Penalty 40 per kg short against cn's 50 per kg: all 10 kg short, objective 400."""
    doc = scenario(
        sectors=[{"id": "auto", "shortage_penalty": 40.0}, {"id": "idle", "shortage_penalty": 1.0}],
        suppliers=[supplier("cn", "CN", 50.0)],
        demand=demand(10),
    )
    plan = solve_doc(doc)
    assert_optimal(plan, 400.0)
    assert_terms(plan, shortage=400.0)
    assert plan["deliveries"] == []
    # The sector `idle` has no demand rows: its demand is 0 and it is never short.
    assert plan["shortages"] == [
        {"product": "p", "sector": "auto", "period": "t0", "kg": approx(10.0)}
    ]


def test_supplier_is_chosen_when_cheaper_than_shortage():
    """Penalty 60 against cn's 50: cn delivers all 10 kg, objective 500."""
    doc = scenario(
        sectors=[{"id": "auto", "shortage_penalty": 60.0}],
        suppliers=[supplier("cn", "CN", 50.0)],
        demand=demand(10),
    )
    plan = solve_doc(doc)
    assert_optimal(plan, 500.0)
    assert plan["shortages"] == []


# -- end-use bans (allowed(o, e), MODEL.md §2) ------------------------------------------


def test_end_use_ban_matches_sector_tags_not_ids():
    """CN bans the tag `defence`. Sector `mil` carries that tag; sector `defence` carries none.

    `mil` cannot take CN material: jp, 10 kg at 20 = 200. The sector named `defence`
    has no tag, so it takes cn, 10 kg at 10 = 100. Objective 300.
    """
    doc = scenario(
        sectors=[
            {"id": "mil", "tags": ["defence"], "shortage_penalty": 1000.0},
            {"id": "defence", "tags": [], "shortage_penalty": 1000.0},
        ],
        countries=[{"id": "CN", "restricted_end_uses": ["defence"]}, {"id": "JP"}],
        suppliers=[supplier("cn", "CN", 10.0), supplier("jp", "JP", 20.0)],
        demand=demand(10, sector="mil") + demand(10, sector="defence"),
    )
    plan = solve_doc(doc)
    assert_optimal(plan, 300.0)
    assert keyed(plan["consumption"], "sector", "origin") == {
        ("mil", "JP"): approx(10.0),
        ("defence", "CN"): approx(10.0),
    }


def test_third_country_processor_pays_its_shipping_country_and_keeps_its_origin_ban():
    """vn ships from VN (tariff 10 %, freight 2) material of origin CN (tariff 50 %, freight 5).

    Landed cost of vn = 10 × 1.1 + 2 = 13 (VN's tariff and freight, not CN's 20).
    CN bans `defence`, so the defence sector cannot take vn's CN-origin material:
    auto takes 10 kg from vn = 130, defence takes 10 kg from jp at 30 = 300.
    Objective 430; the origin shares are CN 0.5 (vn) and JP 0.5.
    """
    doc = scenario(
        sectors=[
            {"id": "auto", "shortage_penalty": 1000.0},
            {"id": "defence", "tags": ["defence"], "shortage_penalty": 1000.0},
        ],
        countries=[
            {"id": "CN", "tariff": 0.5, "freight": 5.0, "restricted_end_uses": ["defence"]},
            {"id": "VN", "tariff": 0.1, "freight": 2.0},
            {"id": "JP"},
        ],
        suppliers=[supplier("vn", "VN", 10.0, origin="CN"), supplier("jp", "JP", 30.0)],
        demand=demand(10) + demand(10, sector="defence"),
    )
    plan = solve_doc(doc)
    assert_optimal(plan, 430.0)
    vn = [d for d in plan["deliveries"] if d["supplier"] == "vn"]
    assert len(vn) == 1
    assert vn[0]["kg"] == approx(10.0)
    assert vn[0]["landed_cost"] == approx(13.0)
    assert vn[0]["cost"] == approx(130.0)
    assert keyed(plan["consumption"], "sector", "origin") == {
        ("auto", "CN"): approx(10.0),
        ("defence", "JP"): approx(10.0),
    }
    shares = {(r["period"], r["origin"]): r["share"] for r in plan["origin_share"]}
    assert shares == {("t0", "CN"): approx(0.5), ("t0", "JP"): approx(0.5)}


# -- landed cost (MODEL.md §2) ----------------------------------------------------------


def test_landed_cost_is_price_times_index_times_tariff_plus_freight():
    """Price 62, index [1.0, 1.2], CN tariff 7.5 %, freight 0.9, holding 100 (no pre-buying).

    c[t0] = 62 × 1.0 × 1.075 + 0.9 = 66.65 + 0.9 = 67.55
    c[t1] = 62 × 1.2 × 1.075 + 0.9 = 79.98 + 0.9 = 80.88
    10 kg in each period: 675.5 + 808.8 = 1484.3.
    """
    doc = scenario(
        2,
        products=[{"id": "p", "holding_cost": 100.0}],
        countries=[{"id": "CN", "tariff": 0.075, "freight": 0.9}],
        suppliers=[supplier("cn", "CN", 62.0, price_index=[1.0, 1.2])],
        demand=demand(10, 10),
    )
    plan = solve_doc(doc)
    assert_optimal(plan, 1484.3)
    assert_terms(plan, purchase=1484.3)
    rows = {d["period"]: d for d in plan["deliveries"]}
    assert set(rows) == {"t0", "t1"}
    assert rows["t0"]["landed_cost"] == approx(67.55)
    assert rows["t0"]["cost"] == approx(675.5)
    assert rows["t1"]["landed_cost"] == approx(80.88)
    assert rows["t1"]["cost"] == approx(808.8)


# -- 3.3 capacity -------------------------------------------------------------------------


def test_scalar_supplier_capacity():
    """cn (10/kg) can deliver 30 kg; jp (20/kg) the remaining 20 of 50: 300 + 400 = 700."""
    doc = scenario(
        suppliers=[supplier("cn", "CN", 10.0, capacity=30.0), supplier("jp", "JP", 20.0)],
        demand=demand(50),
    )
    plan = solve_doc(doc)
    assert_optimal(plan, 700.0)
    assert keyed(plan["deliveries"], "supplier") == {("cn",): approx(30.0), ("jp",): approx(20.0)}


def test_per_period_supplier_capacity():
    """cn (10/kg) can deliver 40 kg in t0 and 10 in t1; jp costs 15; holding 1.

    t1 needs 30: 10 from cn in t1, and the other 20 either pre-bought from cn in t0
    (10 + 1 = 11 per kg) or from jp (15): pre-buy. cn delivers 40 in t0 and 10 in t1.
    Objective 40 × 10 + 20 × 1 + 10 × 10 = 520.
    """
    doc = scenario(
        2,
        products=[{"id": "p", "holding_cost": 1.0}],
        suppliers=[supplier("cn", "CN", 10.0, capacity=[40.0, 10.0]), supplier("jp", "JP", 15.0)],
        demand=demand(20, 30),
    )
    plan = solve_doc(doc)
    assert_optimal(plan, 520.0)
    assert_terms(plan, purchase=500.0, holding=20.0)
    assert keyed(plan["deliveries"], "supplier", "period") == {
        ("cn", "t0"): approx(40.0),
        ("cn", "t1"): approx(10.0),
    }


def test_existing_plant_capacity_per_period():
    """Plant in (8/kg) can make 5 kg in t0 and 20 in t1; cn sells at 10; holding 5.

    t0: make 5, buy 10 (5 × 8 + 10 × 10 = 140). t1: make 15 of the 20 it could
    (120); making extra in t0 is impossible. Objective 40 + 100 + 120 = 260.
    """
    doc = scenario(
        2,
        products=[{"id": "p", "holding_cost": 5.0}],
        suppliers=[supplier("cn", "CN", 10.0)],
        plants=[plant("in", "IN", 8.0, [5.0, 20.0])],
        demand=demand(15, 15),
    )
    plan = solve_doc(doc)
    assert_optimal(plan, 260.0)
    assert_terms(plan, purchase=100.0, production=160.0)
    assert keyed(plan["production"], "plant", "period") == {
        ("in", "t0"): approx(5.0),
        ("in", "t1"): approx(15.0),
    }
    assert keyed(plan["deliveries"], "period") == {("t0",): approx(10.0)}


# -- 3.4 licences -------------------------------------------------------------------------


def _licensed(licences, periods=1, products=None, demand_rows=None, cn_price=10.0):
    """cn (licence required, cn_price/kg) and jp (20/kg, no licence needed) offer p."""
    suppliers = [
        supplier("cn", "CN", cn_price, licence_required=True),
        supplier("jp", "JP", 20.0),
    ]
    doc = scenario(periods, suppliers=suppliers, licences=licences, demand=demand_rows)
    if products:
        doc["products"] = [{"id": p} for p in products]
        for s in doc["suppliers"]:
            s["offers"] = [{"product": p, "price": s["offers"][0]["price"]} for p in products]
    return doc


def test_licence_required_supplier_without_licence_delivers_nothing():
    """cn is cheaper (10) but has no licence: jp delivers 10 kg at 20 = 200."""
    plan = solve_doc(_licensed([], demand_rows=demand(10)))
    assert_optimal(plan, 200.0)
    assert keyed(plan["deliveries"], "supplier") == {("jp",): approx(10.0)}
    assert plan["licences"] == []


def test_licence_quantity_limits_deliveries():
    """Licence of 30 kg: cn 30 × 10 + jp 20 × 20 = 700."""
    lic = [{"id": "L", "suppliers": ["cn"], "quantity": 30.0}]
    plan = solve_doc(_licensed(lic, demand_rows=demand(50)))
    assert_optimal(plan, 700.0)
    assert keyed(plan["deliveries"], "supplier") == {("cn",): approx(30.0), ("jp",): approx(20.0)}
    assert plan["licences"] == [{"licence": "L", "used": approx(30.0), "quantity": 30.0}]


def test_licence_covers_only_its_periods():
    """Licence for t1 only: t0's 10 kg from jp (200), t1's 10 kg from cn (100); 300."""
    lic = [{"id": "L", "suppliers": ["cn"], "quantity": 100.0, "periods": ["t1"]}]
    plan = solve_doc(_licensed(lic, periods=2, demand_rows=demand(10, 10)))
    assert_optimal(plan, 300.0)
    assert keyed(plan["deliveries"], "supplier", "period") == {
        ("jp", "t0"): approx(10.0),
        ("cn", "t1"): approx(10.0),
    }
    assert plan["licences"] == [{"licence": "L", "used": approx(10.0), "quantity": 100.0}]


def test_licence_covers_only_its_products():
    """Both suppliers offer p and q; the licence covers q only.

    p: 10 kg from jp at 20 = 200; q: 10 kg from cn at 10 = 100. Objective 300.
    """
    lic = [{"id": "L", "suppliers": ["cn"], "quantity": 100.0, "products": ["q"]}]
    rows = demand(10, product="p") + demand(10, product="q")
    plan = solve_doc(_licensed(lic, products=["p", "q"], demand_rows=rows))
    assert_optimal(plan, 300.0)
    assert keyed(plan["deliveries"], "supplier", "product") == {
        ("jp", "p"): approx(10.0),
        ("cn", "q"): approx(10.0),
    }


def test_licence_listing_a_supplier_that_needs_none_has_no_effect_on_it():
    """The 10 kg licence lists cn (licence required) and jp (not required); demand 30.

    cn delivers its 10 licensed kg (100); jp's 20 kg (400) do not count against the
    licence, which shows used = 10. Objective 500.
    """
    lic = [{"id": "L", "suppliers": ["cn", "jp"], "quantity": 10.0}]
    plan = solve_doc(_licensed(lic, demand_rows=demand(30)))
    assert_optimal(plan, 500.0)
    assert keyed(plan["deliveries"], "supplier") == {("cn",): approx(10.0), ("jp",): approx(20.0)}
    assert plan["licences"] == [{"licence": "L", "used": approx(10.0), "quantity": 10.0}]


def test_licence_of_zero_listing_only_a_free_supplier_does_not_stop_it():
    """A 0 kg licence listing jp alone: jp needs no licence and still delivers 10 kg; 200."""
    lic = [{"id": "L", "suppliers": ["jp"], "quantity": 0.0}]
    plan = solve_doc(_licensed(lic, demand_rows=demand(10)))
    assert_optimal(plan, 200.0)
    assert keyed(plan["deliveries"], "supplier") == {("jp",): approx(10.0)}
    assert plan["licences"] == [{"licence": "L", "used": 0.0, "quantity": 0.0}]


@pytest.mark.parametrize("field", ["periods", "products"])
def test_licence_with_an_empty_list_covers_nothing(field):
    """An empty periods or products list covers nothing: jp delivers 10 kg at 20 = 200."""
    lic = [{"id": "L", "suppliers": ["cn"], "quantity": 100.0, field: []}]
    plan = solve_doc(_licensed(lic, demand_rows=demand(10)))
    assert_optimal(plan, 200.0)
    assert keyed(plan["deliveries"], "supplier") == {("jp",): approx(10.0)}
    assert plan["licences"] == [{"licence": "L", "used": approx(0.0), "quantity": 100.0}]


def test_two_licences_for_one_supplier_add_up():
    """Licences of 10 and 15 kg both cover cn; demand 40.

    cn delivers 25 kg at 10 (250), jp 15 kg at 20 (300). Objective 550.
    """
    lic = [
        {"id": "L1", "suppliers": ["cn"], "quantity": 10.0},
        {"id": "L2", "suppliers": ["cn"], "quantity": 15.0},
    ]
    plan = solve_doc(_licensed(lic, demand_rows=demand(40)))
    assert_optimal(plan, 550.0)
    assert keyed(plan["deliveries"], "supplier") == {("cn",): approx(25.0), ("jp",): approx(15.0)}
    assert plan["licences"] == [
        {"licence": "L1", "used": approx(10.0), "quantity": 10.0},
        {"licence": "L2", "used": approx(15.0), "quantity": 15.0},
    ]


def test_unused_licence_is_listed_with_used_zero():
    """cn (30/kg) is dearer than jp (20/kg), so its licence goes unused; 10 kg × 20 = 200."""
    lic = [{"id": "L", "suppliers": ["cn"], "quantity": 100.0}]
    plan = solve_doc(_licensed(lic, demand_rows=demand(10), cn_price=30.0))
    assert_optimal(plan, 200.0)
    assert keyed(plan["deliveries"], "supplier") == {("jp",): approx(10.0)}
    assert plan["licences"] == [{"licence": "L", "used": approx(0.0), "quantity": 100.0}]


# -- 3.5 policy ---------------------------------------------------------------------------


def test_origin_share_cap_forces_buying_from_others():
    """CN capped at 60 % of each period's supply; cn 10/kg, jp 20/kg, demand 100.

    cn 60 kg (600) and jp 40 kg (800); buying more than needed only raises cost.
    Objective 1400; the origin shares are CN 0.6 and JP 0.4.
    """
    doc = scenario(
        suppliers=[supplier("cn", "CN", 10.0), supplier("jp", "JP", 20.0)],
        demand=demand(100),
        policy={"max_origin_share": {"CN": 0.6}},
    )
    plan = solve_doc(doc)
    assert_optimal(plan, 1400.0)
    assert keyed(plan["deliveries"], "supplier") == {("cn",): approx(60.0), ("jp",): approx(40.0)}
    shares = {r["origin"]: r["share"] for r in plan["origin_share"]}
    assert shares == {"CN": approx(0.6), "JP": approx(0.4)}


def test_origin_share_cap_holds_in_every_period():
    """CN capped at 50 % per period; jp (20/kg) can deliver only in t0; holding 1.

    A delivery from cn in t1 would be 100 % CN in t1, so t1 gets no deliveries: t0
    buys 50 kg cn (500) and 50 kg jp (1000) and holds 50 kg into t1 (50).
    Objective 1550 (a cap over the whole horizon would allow 500 + 1000 = 1500).
    """
    doc = scenario(
        2,
        products=[{"id": "p", "holding_cost": 1.0}],
        suppliers=[supplier("cn", "CN", 10.0), supplier("jp", "JP", 20.0, capacity=[100.0, 0.0])],
        demand=demand(50, 50),
        policy={"max_origin_share": {"CN": 0.5}},
    )
    plan = solve_doc(doc)
    assert_optimal(plan, 1550.0)
    assert keyed(plan["deliveries"], "supplier", "period") == {
        ("cn", "t0"): approx(50.0),
        ("jp", "t0"): approx(50.0),
    }
    assert kg(plan["inventory"], period="t0") == approx(50.0)
    assert [(r["period"], r["origin"]) for r in plan["origin_share"]] == [
        ("t0", "CN"),
        ("t0", "JP"),
    ]


def test_supplier_share_cap_over_the_horizon():
    """No supplier may deliver more than half of all deliveries of p over the horizon.

    Demand 40 + 60 = 100: s1 (10/kg) 50 kg, s2 (20/kg) 50 kg, s3 (30/kg) none.
    Objective 500 + 1000 = 1500; the split over periods is free.
    """
    doc = scenario(
        2,
        suppliers=[
            supplier("s1", "CN", 10.0),
            supplier("s2", "JP", 20.0),
            supplier("s3", "VN", 30.0),
        ],
        demand=demand(40, 60),
        policy={"max_supplier_share": 0.5},
    )
    plan = solve_doc(doc)
    assert_optimal(plan, 1500.0)
    assert keyed(plan["deliveries"], "supplier") == {("s1",): approx(50.0), ("s2",): approx(50.0)}


def test_safety_stock_at_the_end_of_every_period_including_the_last():
    """min_inventory 20, demand 10 per period, cn 10/kg, holding 1.

    t0: buy 30, 20 left; t1: buy 10, 20 left. Purchase 400, holding 2 × 20 = 40: 440.
    """
    doc = scenario(
        2,
        products=[{"id": "p", "holding_cost": 1.0, "min_inventory": 20.0}],
        suppliers=[supplier("cn", "CN", 10.0)],
        demand=demand(10, 10),
    )
    plan = solve_doc(doc)
    assert_optimal(plan, 440.0)
    assert_terms(plan, purchase=400.0, holding=40.0)
    assert keyed(plan["inventory"], "period") == {("t0",): approx(20.0), ("t1",): approx(20.0)}
    assert keyed(plan["deliveries"], "period") == {("t0",): approx(30.0), ("t1",): approx(10.0)}


def test_budget_scalar_binds_and_leaves_shortage():
    """Budget 500 every period, cn 10/kg: at most 50 kg a period; demand 60 per period.

    10 kg short each period at 100 (holding 1 rules out moving t0's purchase to t1).
    Purchase 1000, shortage 2000: 3000.
    """
    doc = scenario(
        2,
        products=[{"id": "p", "holding_cost": 1.0}],
        sectors=[{"id": "auto", "shortage_penalty": 100.0}],
        suppliers=[supplier("cn", "CN", 10.0)],
        demand=demand(60, 60),
        policy={"budget": 500.0},
    )
    plan = solve_doc(doc)
    assert_optimal(plan, 3000.0)
    assert_terms(plan, purchase=1000.0, shortage=2000.0)
    assert keyed(plan["shortages"], "period") == {("t0",): approx(10.0), ("t1",): approx(10.0)}


def test_budget_per_period_list_moves_purchases_forward():
    """Budget [1000, 300], cn 10/kg, demand 50 per period, holding 1.

    t1 can afford 30 kg; the other 20 are bought in t0 (70 kg, 700 ≤ 1000) and held.
    Purchase 1000, holding 20: 1020.
    """
    doc = scenario(
        2,
        products=[{"id": "p", "holding_cost": 1.0}],
        suppliers=[supplier("cn", "CN", 10.0)],
        demand=demand(50, 50),
        policy={"budget": [1000.0, 300.0]},
    )
    plan = solve_doc(doc)
    assert_optimal(plan, 1020.0)
    assert keyed(plan["deliveries"], "period") == {("t0",): approx(70.0), ("t1",): approx(30.0)}


def test_budget_counts_landed_cost_and_production():
    """Budget 500; cn landed 10 × 1.25 = 12.5/kg; plant 8/kg; demand 100, penalty 100.

    Each kg obtained saves its penalty less its cost: per unit of budget the plant saves
    (100 − 8) / 8 = 11.5, cn (100 − 12.5) / 12.5 = 7. The plant takes the whole budget:
    62.5 kg (500), 37.5 kg short (3750). Objective 4250. (Were production left out of
    the budget, the plant would make all 100 kg for 800.)
    """
    doc = scenario(
        sectors=[{"id": "auto", "shortage_penalty": 100.0}],
        countries=[{"id": "CN", "tariff": 0.25}, {"id": "IN"}],
        suppliers=[supplier("cn", "CN", 10.0)],
        plants=[plant("in", "IN", 8.0, 1000.0)],
        demand=demand(100),
        policy={"budget": 500.0},
    )
    plan = solve_doc(doc)
    assert_optimal(plan, 4250.0)
    assert_terms(plan, production=500.0, shortage=3750.0)
    assert keyed(plan["production"], "plant") == {("in",): approx(62.5)}


def test_budget_counts_the_tariff():
    """Budget 500, cn 10/kg with a 25 % tariff (landed 12.5), demand 50, penalty 100.

    40 kg affordable (500), 10 kg short (1000): 1500. Without the tariff it would be 500.
    """
    doc = scenario(
        sectors=[{"id": "auto", "shortage_penalty": 100.0}],
        countries=[{"id": "CN", "tariff": 0.25}],
        suppliers=[supplier("cn", "CN", 10.0)],
        demand=demand(50),
        policy={"budget": 500.0},
    )
    plan = solve_doc(doc)
    assert_optimal(plan, 1500.0)
    assert keyed(plan["deliveries"], "supplier") == {("cn",): approx(40.0)}


def _subsidised(cap):
    """Plant in makes at 30/kg with 5/kg incentive; cn sells at 28/kg; demand 100."""
    incentive = {"incentive": 5.0} if cap is None else {"incentive": 5.0, "incentive_cap": cap}
    return scenario(
        suppliers=[supplier("cn", "CN", 28.0)],
        plants=[plant("in", "IN", 30.0, 1000.0, **incentive)],
        demand=demand(100),
    )


def test_subsidy_capped():
    """Cap 100: the first 20 kg cost 30 − 5 = 25 < 28, beyond them 30 > 28.

    Make 20 (600, subsidy 100), buy 80 (2240): 600 − 100 + 2240 = 2740.
    """
    plan = solve_doc(_subsidised(100.0))
    assert_optimal(plan, 2740.0)
    assert_terms(plan, purchase=2240.0, production=600.0, subsidy=100.0)
    assert keyed(plan["production"], "plant") == {("in",): approx(20.0)}


def test_subsidy_uncapped():
    """No cap: every kg made costs 30 − 5 = 25 < 28. Make 100: 3000 − 500 = 2500."""
    plan = solve_doc(_subsidised(None))
    assert_optimal(plan, 2500.0)
    assert_terms(plan, production=3000.0, subsidy=500.0)
    assert plan["deliveries"] == []


# -- 3.6 objective ------------------------------------------------------------------------


def test_all_seven_objective_terms():
    """Every term non-zero, products kept apart so each is worked out alone.

    p (holding 1): cn sells at 10 in t0, 20 in t1 (index [1, 2]), 50 kg a period,
    fixed cost 100. Demand 30, 40. t0: buy the full 50, hold 20 (10 + 1 < 20);
    t1: buy the last 20 at 20 (< penalty 50). Purchase 500 + 400 = 900, holding 20,
    fixed 100 (against 70 × 50 = 3500 short without cn).
    q: candidate plant k (build 200, lead 1, capacity 10, 12/kg, incentive 4 capped
    at 20). Demand 15 in t1, penalty 50. Built in t0 it makes 10 kg in t1:
    200 + 120 − 20 + 5 short × 50 = 550 < 15 × 50 = 750 unbuilt.
    Objective 900 + 100 + 120 − 20 + 200 + 20 + 250 = 1570.
    """
    doc = scenario(
        2,
        products=[{"id": "p", "holding_cost": 1.0}, {"id": "q"}],
        sectors=[{"id": "auto", "shortage_penalty": 50.0}],
        suppliers=[
            supplier("cn", "CN", 10.0, capacity=50.0, fixed_cost=100.0, price_index=[1.0, 2.0])
        ],
        plants=[
            plant(
                "k",
                "IN",
                12.0,
                10.0,
                product="q",
                existing=False,
                build_cost=200.0,
                build_lead=1,
                incentive=4.0,
                incentive_cap=20.0,
            )
        ],
        demand=demand(30, 40)
        + [{"product": "q", "sector": "auto", "period": "t1", "quantity": 15.0}],
    )
    plan = solve_doc(doc)
    assert_optimal(plan, 1570.0, milp=True)
    assert_terms(
        plan, purchase=900.0, fixed=100.0, production=120.0, subsidy=20.0, build=200.0,
        holding=20.0, shortage=250.0,
    )  # fmt: skip
    assert plan["contracts"] == [{"supplier": "cn", "fixed_cost": 100.0}]
    assert plan["plants_built"] == [{"plant": "k", "period": "t0"}]
    assert keyed(plan["shortages"], "product", "period") == {("q", "t1"): approx(5.0)}


# -- plan details (MODEL.md §4) -----------------------------------------------------------


def test_quantities_below_a_millionth_kg_are_left_out():
    """Demand 10 kg in t0 and 5e-7 kg in t1, cn 10/kg: objective 100 + 5e-6.

    The 5e-7 kg delivered and consumed in t1 are below 1e-6 kg and not listed.
    """
    doc = scenario(2, suppliers=[supplier("cn", "CN", 10.0)], demand=demand(10, 5e-7))
    plan = solve_doc(doc)
    assert_optimal(plan, 100.000005)
    assert [d["period"] for d in plan["deliveries"]] == ["t0"]
    assert [c["period"] for c in plan["consumption"]] == ["t0"]
    assert plan["shortages"] == []


def test_origin_share_lists_only_periods_with_supply():
    """Demand in t1 only (holding 100 rules out buying in t0): origin_share has t1 rows only."""
    doc = scenario(
        2,
        products=[{"id": "p", "holding_cost": 100.0}],
        suppliers=[supplier("cn", "CN", 10.0, capacity=6.0), supplier("jp", "JP", 20.0)],
        plants=[plant("in", "IN", 15.0, 2.0)],
        demand=demand(0, 10),
    )
    plan = solve_doc(doc)
    # cn 6 × 10 + in 2 × 15 + jp 2 × 20 = 60 + 30 + 40 = 130.
    assert_optimal(plan, 130.0)
    shares = {(r["period"], r["origin"]): r["share"] for r in plan["origin_share"]}
    assert shares == {
        ("t1", "CN"): approx(0.6),
        ("t1", "IN"): approx(0.2),
        ("t1", "JP"): approx(0.2),
    }


def test_unreachable_safety_stock_is_infeasible():
    """min_inventory 100 but cn can deliver at most 50 kg: no plan, empty tables."""
    doc = scenario(
        products=[{"id": "p", "min_inventory": 100.0}],
        suppliers=[supplier("cn", "CN", 10.0, capacity=50.0)],
        demand=demand(10),
    )
    assert_no_solution(solve_doc(doc), "infeasible")


def test_scenario_without_demand_or_suppliers_costs_nothing():
    """Nothing to buy and nothing asked for: optimal at 0 with empty tables."""
    plan = solve_doc(scenario(2))
    assert_optimal(plan, 0.0)
    assert plan["deliveries"] == [] and plan["origin_share"] == []


def test_safety_stock_with_nothing_to_meet_it_is_infeasible():
    """No supplier, plant or stock, yet 5 kg must be held: no column exists, still infeasible."""
    doc = scenario(2)
    doc["products"] = [{"id": "p", "min_inventory": 5}]
    plan = solve_doc(doc)
    assert plan["status"] == "infeasible" and plan["objective"] is None
