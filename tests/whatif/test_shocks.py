"""Shocks applied to scenario documents: what changes, what stays, and what is refused."""

from __future__ import annotations

import copy

import pytest

from optimizer.scenario.parsing import parse_scenario
from optimizer.whatif.shocks import SpecError, apply_shocks, parse_shock, parse_shocks
from tests.tiny import demand, keyed, plant, scenario, solve_doc, supplier


def base_doc() -> dict:
    """Three periods; cn1 ships from CN, vn1 ships from VN with CN origin, jp1 from JP."""
    return scenario(
        periods=3,
        suppliers=[
            supplier("cn1", "CN", 10.0, capacity=100.0),
            supplier("vn1", "VN", 12.0, capacity=[50.0, 60.0, 70.0], origin="CN"),
            supplier("jp1", "JP", 20.0, capacity=80.0, price_index=[1.0, 1.1, 1.2]),
        ],
        plants=[plant("in1", "IN", 30.0, capacity=40.0)],
        licences=[{"id": "L1", "suppliers": ["cn1"], "quantity": 500.0}],
        demand=demand(90, 90, 90),
        policy={"max_origin_share": {"CN": 0.8}},
    )


def shocked(doc: dict, *raw: dict) -> dict:
    out = apply_shocks(doc, parse_shocks(list(raw)))
    parse_scenario(out)  # every shocked document is still a valid scenario
    return out


def by_id(doc: dict, field: str, id_: str) -> dict:
    return next(x for x in doc[field] if x["id"] == id_)


def test_capacity_by_origin_in_chosen_periods_turns_scalars_into_lists():
    doc = base_doc()
    before = copy.deepcopy(doc)
    out = shocked(doc, {"kind": "capacity", "origin": "CN", "factor": 0, "periods": ["t1", "t2"]})
    assert by_id(out, "suppliers", "cn1")["capacity"] == [100.0, 0.0, 0.0]
    assert by_id(out, "suppliers", "vn1")["capacity"] == [50.0, 0.0, 0.0]  # CN origin via VN
    assert by_id(out, "suppliers", "jp1")["capacity"] == 80.0
    assert by_id(out, "plants", "in1")["capacity"] == 40.0
    assert doc == before  # the input document is left as it was


def test_capacity_by_shipping_country_supplier_and_plant():
    out = shocked(base_doc(), {"kind": "capacity", "country": "VN", "factor": 0.5})
    assert by_id(out, "suppliers", "vn1")["capacity"] == [25.0, 30.0, 35.0]
    assert by_id(out, "suppliers", "cn1")["capacity"] == 100.0  # CN origin but ships from CN
    out = shocked(
        base_doc(), {"kind": "capacity", "supplier": ["jp1"], "plant": "in1", "factor": 2}
    )
    assert by_id(out, "suppliers", "jp1")["capacity"] == 160.0
    assert by_id(out, "plants", "in1")["capacity"] == 80.0
    assert by_id(out, "suppliers", "cn1")["capacity"] == 100.0


def test_selectors_combine_as_and():
    out = shocked(base_doc(), {"kind": "capacity", "origin": "CN", "country": "CN", "factor": 0.1})
    assert by_id(out, "suppliers", "cn1")["capacity"] == pytest.approx(10.0)
    assert by_id(out, "suppliers", "vn1")["capacity"] == [50.0, 60.0, 70.0]


def test_revoke_licence_sets_zero_or_removes_and_both_give_one_optimum():
    zero = shocked(base_doc(), {"kind": "revoke_licence", "licence": "L1"})
    gone = shocked(base_doc(), {"kind": "revoke_licence", "licence": "L1", "remove": True})
    assert by_id(zero, "licences", "L1")["quantity"] == 0.0
    assert gone["licences"] == []
    for doc in (zero, gone):  # cn1 needs a licence: without one, nothing from it
        by_id(doc, "suppliers", "cn1")["licence_required"] = True
    a, b = solve_doc(zero), solve_doc(gone)
    assert a["objective"] == pytest.approx(b["objective"], rel=1e-9)
    assert not [d for d in a["deliveries"] if d["supplier"] == "cn1"]


def test_licence_quantity_and_added_licence():
    out = shocked(base_doc(), {"kind": "licence_quantity", "licence": "L1", "factor": 0.5})
    assert by_id(out, "licences", "L1")["quantity"] == 250.0
    out = shocked(
        base_doc(),
        {"kind": "add_licence", "licence": {"id": "L2", "suppliers": ["vn1"], "quantity": 10}},
    )
    assert by_id(out, "licences", "L2") == {"id": "L2", "suppliers": ["vn1"], "quantity": 10.0}


def test_tariff_and_freight_set_or_scale():
    doc = base_doc()
    by_id(doc, "countries", "CN")["tariff"] = 0.1
    out = shocked(
        doc,
        {"kind": "tariff", "country": "CN", "factor": 2.5},
        {"kind": "freight", "country": "JP", "value": 1.5},
        {"kind": "tariff", "country": "VN", "factor": 3},  # absent = 0, scaled stays 0
    )
    assert by_id(out, "countries", "CN")["tariff"] == pytest.approx(0.25)
    assert by_id(out, "countries", "JP")["freight"] == 1.5
    assert by_id(out, "countries", "VN")["tariff"] == 0.0


def test_demand_by_sector_product_and_period():
    doc = base_doc()
    doc["sectors"].append({"id": "wind", "shortage_penalty": 10.0})
    doc["demand"] += demand(5, 5, 5, sector="wind")
    out = shocked(doc, {"kind": "demand", "sector": "auto", "periods": ["t0"], "factor": 2})
    quantities = [(d["sector"], d["period"], d["quantity"]) for d in out["demand"]]
    assert quantities == [
        ("auto", "t0", 180.0), ("auto", "t1", 90.0), ("auto", "t2", 90.0),
        ("wind", "t0", 5.0), ("wind", "t1", 5.0), ("wind", "t2", 5.0),
    ]  # fmt: skip
    out = shocked(doc, {"kind": "demand", "product": "p", "factor": 0.5})
    assert [d["quantity"] for d in out["demand"]] == [45.0] * 3 + [2.5] * 3


def test_price_offers_plants_and_price_index():
    out = shocked(base_doc(), {"kind": "price", "origin": "CN", "plant": "in1", "factor": 1.5})
    assert by_id(out, "suppliers", "cn1")["offers"][0]["price"] == 15.0
    assert by_id(out, "suppliers", "vn1")["offers"][0]["price"] == 18.0
    assert by_id(out, "suppliers", "jp1")["offers"][0]["price"] == 20.0
    assert by_id(out, "plants", "in1")["offers"][0]["price"] == 45.0
    out = shocked(base_doc(), {"kind": "price", "country": "JP", "periods": ["t2"], "factor": 2})
    assert by_id(out, "suppliers", "jp1")["price_index"] == [1.0, 1.1, 2.4]
    out = shocked(base_doc(), {"kind": "price", "supplier": "cn1", "periods": "t0", "factor": 2})
    assert by_id(out, "suppliers", "cn1")["price_index"] == [2.0, 1.0, 1.0]  # from the default 1
    out = shocked(base_doc(), {"kind": "price", "factor": 0.5})  # no selector: every supplier
    assert [s["offers"][0]["price"] for s in out["suppliers"]] == [5.0, 6.0, 10.0]
    assert by_id(out, "plants", "in1")["offers"][0]["price"] == 30.0


def test_price_shock_changes_the_optimum_as_computed_by_hand():
    # 100 kg; CN is capped at 80 % of supply, so 80 kg come from cn1 at 10 and 20 kg from
    # jp1 at 20. JP prices up by half: the same plan, the 20 kg now at 30.
    doc = scenario(
        suppliers=[supplier("cn1", "CN", 10.0), supplier("jp1", "JP", 20.0)],
        demand=demand(100),
        policy={"max_origin_share": {"CN": 0.8}},
    )
    assert solve_doc(doc)["objective"] == pytest.approx(80 * 10 + 20 * 20)
    out = shocked(doc, {"kind": "price", "origin": "JP", "factor": 1.5})
    assert solve_doc(out)["objective"] == pytest.approx(80 * 10 + 20 * 30)


def test_origin_share_cap():
    out = shocked(base_doc(), {"kind": "origin_share", "origin": "JP", "value": 0.3})
    assert out["policy"]["max_origin_share"] == {"CN": 0.8, "JP": 0.3}


def test_unknown_ids_are_all_named_with_their_field():
    shocks = parse_shocks(
        [
            {"kind": "capacity", "origin": ["CN", "XX"], "factor": 0, "periods": ["t9"]},
            {"kind": "tariff", "country": "ZZ", "value": 0.2},
            {"kind": "revoke_licence", "licence": "L9"},
            {"kind": "demand", "sector": "navy", "factor": 2},
            {"kind": "add_licence", "licence": {"id": "L1", "suppliers": ["nope"], "quantity": 1}},
        ]
    )
    with pytest.raises(SpecError) as caught:
        apply_shocks(base_doc(), shocks, ["shocks"])
    found = {(p.pointer, p.value) for p in caught.value.problems}
    assert found == {
        ("/shocks/0/origin/1", "XX"),
        ("/shocks/0/periods/0", "t9"),
        ("/shocks/1/country", "ZZ"),
        ("/shocks/2/licence", "L9"),
        ("/shocks/3/sector/0", "navy"),
        ("/shocks/4/licence/id", "L1"),
        ("/shocks/4/licence/suppliers/0", "nope"),
    }
    rules = " ".join(p.rule for p in caught.value.problems)
    assert "unknown country" in rules and "unknown licence" in rules and "already exists" in rules


@pytest.mark.parametrize(
    ("raw", "pointer", "words"),
    [
        ({"kind": "capacity", "factor": 0}, "/s", "at least one of"),
        ({"kind": "capacity", "origin": "CN", "factor": -1}, "/s/factor", "greater than or equal"),
        ({"kind": "capacity", "origin": "CN", "factor": "2"}, "/s/factor", "valid number"),
        ({"kind": "capacity", "origin": "CN"}, "/s/factor", "Field required"),
        ({"kind": "tariff", "country": "CN"}, "/s", "exactly one of"),
        ({"kind": "tariff", "country": "CN", "value": 1, "factor": 1}, "/s", "exactly one of"),
        ({"kind": "demand", "factor": 1, "colour": "red"}, "/s/colour", "unknown field"),
        ({"kind": "earthquake"}, "/s", "does not match any of the expected tags"),
        ({"kind": "origin_share", "origin": "CN", "value": 1.5}, "/s/value", "less than or equal"),
        ({"kind": "price", "product": "p", "periods": ["t0"], "factor": 2}, "/s", "cannot go with"),
    ],
)
def test_malformed_shocks_are_refused_with_a_pointer(raw, pointer, words):
    with pytest.raises(SpecError) as caught:
        parse_shock(raw, ["s"])
    assert any(p.pointer == pointer and words in p.rule for p in caught.value.problems), (
        caught.value.problems
    )


def test_no_kind_of_shock_changes_its_input():
    doc = base_doc()
    doc["licences"] = []
    before = copy.deepcopy(doc)
    every_kind = [
        {"kind": "capacity", "origin": "CN", "plant": "in1", "factor": 0.5, "periods": ["t1"]},
        {"kind": "capacity", "supplier": "vn1", "factor": 0.5},
        {"kind": "add_licence", "licence": {"id": "L2", "suppliers": ["cn1"], "quantity": 5}},
        {"kind": "licence_quantity", "licence": "L2", "factor": 2},
        {"kind": "revoke_licence", "licence": "L2"},
        {"kind": "tariff", "country": "CN", "value": 0.3},
        {"kind": "freight", "country": "JP", "factor": 2},
        {"kind": "demand", "factor": 1.5},
        {"kind": "price", "origin": "CN", "plant": "in1", "factor": 2},
        {"kind": "price", "supplier": "jp1", "periods": ["t0"], "factor": 2},
        {"kind": "origin_share", "origin": "JP", "value": 0.5},
        {"kind": "lead_time", "origin": "CN", "add": 1, "from": "t1"},
        {"kind": "revoke_licence", "licence": "L2", "remove": True},
    ]
    out = shocked(doc, *every_kind)
    assert doc == before
    assert out != before


# -- lead_time: a delay from a period on, as a shifted capacity profile --------------------
def test_lead_time_from_a_period_shifts_what_was_due_and_leaves_a_gap():
    doc = base_doc()
    doc["periods"].append("t3")
    doc["demand"] += demand(0, 0, 0, 90)[3:]
    by_id(doc, "suppliers", "vn1")["capacity"] = [50.0, 60.0, 70.0, 80.0]
    by_id(doc, "suppliers", "jp1")["price_index"] = 1.0
    out = shocked(doc, {"kind": "lead_time", "origin": "CN", "add": 1, "from": "t1"})
    assert by_id(out, "suppliers", "cn1")["capacity"] == [100.0, 0.0, 100.0, 100.0]
    assert by_id(out, "suppliers", "vn1")["capacity"] == [50.0, 0.0, 60.0, 70.0]  # due t1 -> t2
    assert by_id(out, "suppliers", "jp1")["capacity"] == 80.0
    out = shocked(doc, {"kind": "lead_time", "supplier": "vn1", "add": 2, "from": "t2"})
    assert by_id(out, "suppliers", "vn1")["capacity"] == [50.0, 60.0, 0.0, 0.0]  # past the end
    out = shocked(doc, {"kind": "lead_time", "country": "JP", "add": 0})
    assert by_id(out, "suppliers", "jp1")["capacity"] == 80.0


def test_lead_time_counts_from_the_supplier_s_own_lead_time():
    # cn1 delivers from t1 (lead 1): a delay from t0 on starts where its deliveries do
    doc = base_doc()
    by_id(doc, "suppliers", "cn1")["lead_time"] = 1
    out = shocked(doc, {"kind": "lead_time", "supplier": "cn1", "add": 1, "from": "t0"})
    assert by_id(out, "suppliers", "cn1")["capacity"] == [100.0, 0.0, 100.0]
    assert by_id(out, "suppliers", "cn1")["lead_time"] == 1
    assert shocked(doc, {"kind": "lead_time", "supplier": "cn1", "add": 1}) == out


def test_lead_time_from_the_start_is_a_longer_lead_time_by_hand():
    # cn at 10/kg, 100 kg a period, lead time 1; jp at 20/kg; 50 kg a period over three,
    # holding 1/kg. Lead 1: t0 from jp (1,000), t1 and t2 from cn (500 each) = 2,000.
    # Delayed one period from the start: jp in t0 and t1 (2,000), cn in t2 (500) = 2,500,
    # the same as lead time 2.
    doc = scenario(
        periods=3,
        products=[{"id": "p", "holding_cost": 1.0}],
        suppliers=[
            supplier("cn", "CN", 10.0, capacity=100.0, lead_time=1),
            supplier("jp", "JP", 20.0),
        ],
        demand=demand(50, 50, 50),
    )
    assert solve_doc(doc)["objective"] == pytest.approx(2000.0)
    delayed = shocked(doc, {"kind": "lead_time", "origin": "CN", "add": 1})
    assert solve_doc(delayed)["objective"] == pytest.approx(2500.0)
    longer = copy.deepcopy(doc)
    longer["suppliers"][0]["lead_time"] = 2
    assert solve_doc(longer)["objective"] == pytest.approx(2500.0)


def test_a_port_delay_from_a_later_period_is_met_by_stocking_up_by_hand():
    # cn (lead 0) at 10/kg, 100 kg a period; jp at 20/kg; 50 kg a period, holding 1/kg.
    # Deliveries due from t1 arrive a period later: nothing from cn in t1. Buying 100 kg in
    # t0 costs 1,000 + 50 holding against 500 + 1,000 from jp: 1,050, then t2 500. 1,550.
    doc = scenario(
        periods=3,
        products=[{"id": "p", "holding_cost": 1.0}],
        suppliers=[supplier("cn", "CN", 10.0, capacity=100.0), supplier("jp", "JP", 20.0)],
        demand=demand(50, 50, 50),
    )
    assert solve_doc(doc)["objective"] == pytest.approx(1500.0)
    plan = solve_doc(shocked(doc, {"kind": "lead_time", "origin": "CN", "add": 1, "from": "t1"}))
    assert plan["objective"] == pytest.approx(1550.0)
    assert keyed(plan["deliveries"], "supplier", "period") == {
        ("cn", "t0"): 100.0,
        ("cn", "t2"): 50.0,
    }


@pytest.mark.parametrize(
    ("raw", "pointer", "words"),
    [
        ({"kind": "lead_time", "add": 1}, "/s", "at least one of"),
        ({"kind": "lead_time", "origin": "CN", "add": -1}, "/s/add", "greater than or equal"),
        ({"kind": "lead_time", "origin": "CN", "add": 1.5}, "/s/add", "valid integer"),
        ({"kind": "lead_time", "origin": "CN"}, "/s/add", "Field required"),
        ({"kind": "lead_time", "origin": "CN", "add": 1, "factor": 2}, "/s/factor", "unknown"),
    ],
)
def test_malformed_lead_time_shocks_are_refused(raw, pointer, words):
    with pytest.raises(SpecError) as caught:
        parse_shock(raw, ["s"])
    assert any(p.pointer == pointer and words in p.rule for p in caught.value.problems), (
        caught.value.problems
    )


def test_lead_time_names_an_unknown_period_under_from_and_round_trips():
    shock = parse_shock({"kind": "lead_time", "origin": "CN", "add": 1, "from": "t9"})
    with pytest.raises(SpecError) as caught:
        apply_shocks(base_doc(), [shock], ["shocks"])
    assert [(p.pointer, p.value) for p in caught.value.problems] == [("/shocks/0/from", "t9")]
    dumped = shock.model_dump(mode="json", exclude_none=True)  # how the service passes it on
    assert dumped == {"kind": "lead_time", "origin": ["CN"], "add": 1, "from": "t9"}
    assert parse_shock(dumped) == shock


def test_a_sweep_level_may_delay_a_source():
    from optimizer.whatif.sweep_spec import expand_members, parse_sweep_spec

    delay = {"kind": "lead_time", "origin": "CN", "add": 1, "from": "t1"}
    spec = parse_sweep_spec(
        {
            "base": base_doc(),
            "axes": [{"name": "delay", "levels": [{"name": "none", "shocks": []},
                                                  {"name": "t1", "shocks": [delay]}]}],
        }
    )  # fmt: skip
    members = expand_members(spec, base_doc())
    assert [m.name for m in members] == ["base", "delay=none", "delay=t1"]
    out = apply_shocks(base_doc(), members[2].shocks)
    assert by_id(out, "suppliers", "cn1")["capacity"] == [100.0, 0.0, 100.0]
