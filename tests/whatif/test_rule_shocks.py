"""Shocks on the sourcing rules a buyer negotiates (MODEL.md §7): a discount schedule, the
most suppliers of a product, a qualification's lead and cost. Each optimum below is
worked out by hand."""

from __future__ import annotations

import copy

import pytest

from optimizer.scenario.parsing import parse_scenario
from optimizer.whatif.shocks import SpecError, apply_shocks, parse_shock, parse_shocks
from tests.tiny import demand, keyed, scenario, solve_doc, supplier


def shocked(doc: dict, *raw: dict) -> dict:
    out = apply_shocks(doc, parse_shocks(list(raw)), ["shocks"])
    parse_scenario(out)  # every shocked document is still a valid scenario
    return out


def problems(doc: dict, *raw: dict) -> set[tuple[str, object]]:
    with pytest.raises(SpecError) as caught:
        apply_shocks(doc, parse_shocks(list(raw)), ["shocks"])
    return {(p.pointer, p.value) for p in caught.value.problems}


def offer(doc: dict, supplier_id: str) -> dict:
    return next(s for s in doc["suppliers"] if s["id"] == supplier_id)["offers"][0]


def objective(doc: dict) -> float:
    plan = solve_doc(doc)
    assert plan["status"] == "optimal", plan.get("message")
    return plan["objective"]


# -- discounts ------------------------------------------------------------------------------
def discounted(need: float = 90.0, holding: float = 1.0) -> dict:
    """jp lists p at 20/kg, 16/kg for a delivery of at least 50 kg in a period."""
    jp = supplier("jp", "JP", 20.0)
    jp["offers"][0]["discounts"] = [{"min_kg": 50.0, "price": 16.0}]
    return scenario(
        products=[{"id": "p", "holding_cost": holding}],
        suppliers=[jp, supplier("cn", "CN", 30.0)],
        demand=demand(need),
    )


def test_discount_price_scales_the_brackets_and_drops_those_at_the_list_price():
    doc = discounted()
    assert objective(doc) == pytest.approx(90 * 16)  # 1,440
    half = shocked(doc, {"kind": "discount_price", "supplier": "jp", "factor": 0.5})
    assert offer(half, "jp") == {
        "product": "p", "price": 20.0, "discounts": [{"min_kg": 50.0, "price": 8.0}]
    }  # fmt: skip
    assert objective(half) == pytest.approx(90 * 8)  # 720
    dearer = shocked(doc, {"kind": "discount_price", "origin": "JP", "factor": 1.25})
    assert "discounts" not in offer(dearer, "jp")  # 16 x 1.25 = 20: no discount left
    assert objective(dearer) == pytest.approx(90 * 20)  # 1,800
    assert offer(doc, "jp")["discounts"] == [{"min_kg": 50.0, "price": 16.0}]  # input kept


def test_discount_price_keeps_the_brackets_still_below_the_list_price():
    doc = discounted()
    offer(doc, "jp")["discounts"] = [
        {"min_kg": 50.0, "price": 18.0},
        {"min_kg": 80.0, "price": 15.0},
    ]
    out = shocked(doc, {"kind": "discount_price", "country": "JP", "product": "p", "factor": 1.2})
    assert offer(out, "jp")["discounts"] == [{"min_kg": 80.0, "price": pytest.approx(18.0)}]
    assert objective(out) == pytest.approx(90 * 18)  # 90 kg reach the 80 kg bracket


def test_discount_threshold_raised_past_the_need_makes_buying_more_pay_by_hand():
    # 90 kg needed. Threshold x 1.5 = 75 kg: still 90 x 16 = 1,440. Threshold x 2 = 100 kg:
    # 90 kg at the list price cost 1,800, 100 kg at 16 cost 1,600 + 10 kg held at 1 = 1,610.
    doc = discounted()
    out = shocked(doc, {"kind": "discount_threshold", "supplier": "jp", "factor": 1.5})
    assert offer(out, "jp")["discounts"] == [{"min_kg": 75.0, "price": 16.0}]
    assert objective(out) == pytest.approx(1440.0)
    out = shocked(doc, {"kind": "discount_threshold", "supplier": "jp", "factor": 2})
    plan = solve_doc(out)
    assert plan["objective"] == pytest.approx(1610.0)
    assert keyed(plan["deliveries"], "supplier") == {("jp",): pytest.approx(100.0)}


def test_discount_schedule_replaces_or_removes_the_brackets():
    doc = discounted()
    out = shocked(
        doc,
        {"kind": "discount_schedule", "supplier": "jp",
         "discounts": [{"min_kg": 30, "price": 17}, {"min_kg": 200, "price": 12}]},
    )  # fmt: skip
    assert offer(out, "jp")["discounts"] == [
        {"min_kg": 30.0, "price": 17.0}, {"min_kg": 200.0, "price": 12.0}
    ]  # fmt: skip
    assert objective(out) == pytest.approx(90 * 17)  # 1,530; 200 kg at 12 + 110 held = 2,510
    gone = shocked(doc, {"kind": "discount_schedule", "supplier": "jp", "discounts": []})
    assert "discounts" not in offer(gone, "jp")
    assert objective(gone) == pytest.approx(1800.0)
    # an offer without discounts can be given a schedule
    cn = shocked(
        doc,
        {"kind": "discount_schedule", "origin": "CN", "discounts": [{"min_kg": 10, "price": 5}]},
    )
    assert offer(cn, "cn")["discounts"] == [{"min_kg": 10.0, "price": 5.0}]
    assert objective(cn) == pytest.approx(90 * 5)


def test_discount_shocks_refuse_what_the_document_cannot_take():
    doc = discounted()
    assert problems(doc, {"kind": "discount_price", "supplier": "cn", "factor": 0.9}) == {
        ("/shocks/0", None)  # cn's offer has no discounts: nothing to scale
    }
    assert problems(
        doc,
        {"kind": "discount_schedule", "origin": "JP", "discounts": [{"min_kg": 1, "price": 25}]},
    ) == {("/shocks/0/discounts/0/price", 25.0)}  # above jp's list price of 20
    # an unknown id is named alone, not also as an empty selection
    assert problems(doc, {"kind": "discount_threshold", "supplier": "xx", "factor": 2}) == {
        ("/shocks/0/supplier/0", "xx")
    }


# -- most suppliers per product ----------------------------------------------------------------
def test_max_suppliers_sets_the_cap_by_hand():
    # cn at 10 can sell 60 kg, jp at 20 any amount; 100 kg needed, shortage at 1,000/kg.
    # Two suppliers: 60 x 10 + 40 x 20 = 1,400. One: jp alone, 2,000 (cn alone leaves
    # 40 kg short). None: 100 kg short, 100,000.
    doc = scenario(
        suppliers=[supplier("cn", "CN", 10.0, capacity=60.0), supplier("jp", "JP", 20.0)],
        demand=demand(100),
        policy={"max_suppliers": {"p": 2}},
    )
    assert objective(doc) == pytest.approx(1400.0)
    one = shocked(doc, {"kind": "max_suppliers", "product": "p", "value": 1})
    assert one["policy"]["max_suppliers"] == {"p": 1}
    assert objective(one) == pytest.approx(2000.0)
    assert objective(shocked(doc, {"kind": "max_suppliers", "product": ["p"], "value": 0.0})) == (
        pytest.approx(100_000.0)
    )
    del doc["policy"]  # no policy at all: the shock writes one
    assert shocked(doc, {"kind": "max_suppliers", "product": "p", "value": 1})["policy"] == {
        "max_suppliers": {"p": 1}
    }


# -- qualification -----------------------------------------------------------------------------
def qualifying() -> dict:
    """vn at 10/kg needs qualifying (100, lead 1); jp at 20/kg is approved; 50 kg a period
    over three. Qualify in t0, vn from t1: 1,000 + 500 + 500 + 100 = 2,100."""
    return scenario(
        periods=3,
        suppliers=[
            supplier("vn", "VN", 10.0, qualification={"cost": 100.0, "lead": 1}),
            supplier("jp", "JP", 20.0),
        ],
        demand=demand(50, 50, 50),
    )


def test_qualification_lead_set_or_shifted_by_hand():
    doc = qualifying()
    assert objective(doc) == pytest.approx(2100.0)
    two = shocked(doc, {"kind": "qualification_lead", "supplier": "vn", "value": 2})
    assert two["suppliers"][0]["qualification"] == {"cost": 100.0, "lead": 2}
    assert objective(two) == pytest.approx(2000 + 500 + 100)  # vn only in t2
    never = shocked(doc, {"kind": "qualification_lead", "origin": "VN", "add": 5})
    assert never["suppliers"][0]["qualification"]["lead"] == 6
    assert objective(never) == pytest.approx(3000.0)  # jp throughout, nothing qualified
    now = shocked(doc, {"kind": "qualification_lead", "country": "VN", "add": -3})
    assert now["suppliers"][0]["qualification"]["lead"] == 0  # floored at 0
    assert objective(now) == pytest.approx(1500 + 100)
    assert doc["suppliers"][0]["qualification"] == {"cost": 100.0, "lead": 1}  # input kept


def test_qualification_cost_scaled_or_set_by_hand():
    # Qualifying saves (20 - 10) x 100 kg = 1,000: worth it at a cost of 900, not of 1,200.
    doc = qualifying()
    assert objective(
        shocked(doc, {"kind": "qualification_cost", "supplier": "vn", "factor": 9})
    ) == (pytest.approx(2000.0 + 900))
    dear = shocked(doc, {"kind": "qualification_cost", "supplier": "vn", "value": 1200})
    assert dear["suppliers"][0]["qualification"] == {"cost": 1200.0, "lead": 1}
    plan = solve_doc(dear)
    assert plan["objective"] == pytest.approx(3000.0) and plan["qualified"] == []


def test_qualification_shocks_name_an_approved_supplier_or_an_empty_selection():
    doc = qualifying()
    assert problems(doc, {"kind": "qualification_lead", "supplier": ["vn", "jp"], "add": 1}) == {
        ("/shocks/0/supplier/1", "jp")
    }
    assert problems(doc, {"kind": "qualification_cost", "origin": "JP", "value": 0}) == {
        ("/shocks/0", None)
    }


# -- refused as written ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "pointer", "words"),
    [
        ({"kind": "discount_price", "supplier": "a", "factor": 0}, "/s/factor", "greater than 0"),
        ({"kind": "discount_price", "factor": 0.9}, "/s", "at least one of"),
        ({"kind": "discount_threshold", "supplier": "a", "value": 2}, "/s/value", "unknown field"),
        (
            {"kind": "discount_schedule", "supplier": "a",
             "discounts": [{"min_kg": 50, "price": 10}, {"min_kg": 40, "price": 9}]},
            "/s", "strictly increase",
        ),
        (
            {"kind": "discount_schedule", "supplier": "a",
             "discounts": [{"min_kg": 50, "price": 10}, {"min_kg": 60, "price": 10}]},
            "/s", "strictly decrease",
        ),
        (
            {"kind": "discount_schedule", "supplier": "a", "discounts": [{"min_kg": 0, "price": 1}]},
            "/s/discounts/0/min_kg", "greater than 0",
        ),
        ({"kind": "discount_schedule", "supplier": "a"}, "/s/discounts", "Field required"),
        ({"kind": "max_suppliers", "product": "p", "value": 1.5}, "/s/value", "valid integer"),
        ({"kind": "max_suppliers", "product": "p", "value": -1}, "/s/value", "greater than or"),
        ({"kind": "max_suppliers", "value": 1}, "/s/product", "Field required"),
        ({"kind": "max_suppliers", "product": "p", "factor": 2}, "/s/value", "Field required"),
        ({"kind": "qualification_lead", "supplier": "a"}, "/s", "exactly one of"),
        ({"kind": "qualification_lead", "supplier": "a", "value": 1, "add": 1}, "/s", "exactly one"),
        ({"kind": "qualification_lead", "supplier": "a", "value": 0.5}, "/s/value", "valid integer"),
        ({"kind": "qualification_lead", "value": 1}, "/s", "at least one of"),
        ({"kind": "qualification_cost", "supplier": "a"}, "/s", "exactly one of"),
        ({"kind": "qualification_cost", "origin": "CN", "factor": -1}, "/s/factor", "greater than"),
    ],
)  # fmt: skip
def test_malformed_rule_shocks_are_refused_with_a_pointer(raw, pointer, words):
    with pytest.raises(SpecError) as caught:
        parse_shock(raw, ["s"])
    assert any(p.pointer == pointer and words in p.rule for p in caught.value.problems), (
        caught.value.problems
    )


def test_rule_shocks_leave_their_input_as_it_was_and_round_trip():
    doc = discounted()
    doc["suppliers"].append(supplier("vn", "VN", 12.0, qualification={"cost": 50.0, "lead": 1}))
    doc["policy"] = {"max_suppliers": {"p": 3}}
    before = copy.deepcopy(doc)
    raw = [
        {"kind": "discount_price", "supplier": "jp", "factor": 0.9},
        {"kind": "discount_threshold", "origin": "JP", "factor": 1.1},
        {"kind": "discount_schedule", "supplier": "cn", "discounts": [{"min_kg": 5, "price": 25}]},
        {"kind": "max_suppliers", "product": "p", "value": 2},
        {"kind": "qualification_lead", "supplier": "vn", "add": 1},
        {"kind": "qualification_cost", "supplier": "vn", "factor": 2},
    ]
    out = shocked(doc, *raw)
    assert doc == before and out != before
    for shock in parse_shocks(raw):  # how the service passes shocks on
        assert parse_shock(shock.model_dump(mode="json", exclude_none=True)) == shock


# -- in sweeps and hedges ----------------------------------------------------------------------
def test_a_sweep_fills_the_rules_from_levels_and_draws():
    from optimizer.whatif.sweep_spec import expand_members, parse_sweep_spec

    doc = qualifying()
    doc["policy"] = {"max_suppliers": {"p": 2}}
    spec = parse_sweep_spec(
        {
            "base": doc,
            "axes": [
                {"name": "lead", "shock": {"kind": "qualification_lead", "supplier": "vn"},
                 "parameter": "value", "levels": [0, 2]},
                {"name": "cap", "levels": [
                    {"name": "two", "shocks": []},
                    {"name": "one", "shocks": [{"kind": "max_suppliers", "product": "p", "value": 1}]},
                ]},
            ],
        }
    )  # fmt: skip
    members = expand_members(spec, doc)
    assert [m.name for m in members][1:] == [
        "lead=0;cap=two", "lead=0;cap=one", "lead=2;cap=two", "lead=2;cap=one"
    ]  # fmt: skip
    # lead 0, one supplier: vn qualified at once supplies all, 1,500 + 100
    assert objective(apply_shocks(doc, members[2].shocks)) == pytest.approx(1600.0)
    sample = parse_sweep_spec(
        {
            "base": doc, "mode": "monte_carlo", "samples": 6, "seed": 3,
            "axes": [{"name": "cost", "shock": {"kind": "qualification_cost", "supplier": "vn"},
                      "parameter": "value", "distribution": {"type": "uniform", "low": 0, "high": 2000}},
                     {"name": "cap", "shock": {"kind": "max_suppliers", "product": "p"},
                      "parameter": "value", "distribution": {"type": "choice", "values": [1, 2]}}],
        }
    )  # fmt: skip
    drawn = expand_members(sample, doc)[1:]
    assert len(drawn) == 6 and {m.levels["cap"] for m in drawn} <= {1.0, 2.0}
    for m in drawn:
        out = apply_shocks(doc, m.shocks)
        assert out["suppliers"][0]["qualification"]["cost"] == m.levels["cost"]


def test_a_hedge_outcome_may_change_the_rules_and_keeps_base_ids():
    from optimizer.whatif.hedge_document import parse_hedge
    from optimizer.whatif.hedge_values import hedged_plan

    # Qualifying vn (decided up front) takes one period or, with probability 0.5, three,
    # in which case jp offers 19/kg from 40 kg. Qualify in t0: vn from t1 (2,100), or never
    # and jp at 19 (2,850 + 100): expected 2,525. Not qualifying: 0.5 x 3,000 + 0.5 x 2,850
    # = 2,925. The hedge qualifies; knowing the outcome would save the 100 half the time.
    doc = qualifying()
    hedge = parse_hedge(
        {
            "name": "qualification-risk",
            "base": doc,
            "outcomes": [
                {"name": "on-time", "probability": 0.5, "shocks": []},
                {"name": "slow", "probability": 0.5,
                 "shocks": [{"kind": "qualification_lead", "supplier": "vn", "value": 3},
                            {"kind": "discount_schedule", "supplier": "jp",
                             "discounts": [{"min_kg": 40, "price": 19}]}]},
            ],
        }
    )  # fmt: skip
    plan = hedged_plan(hedge)
    # slow: jp's 50 kg a period reach the 40 kg bracket: 3 x 50 x 19 = 2,850, plus the 100
    assert plan["objective"] == pytest.approx(0.5 * 2100 + 0.5 * 2950)
    assert plan["evpi"] == pytest.approx(0.5 * 100)
