"""The array-built extensive form (one column per here-and-now variable) against the
Pyomo reference (one block per outcome, equality rows), on random hedge documents: LP
and MILP, 2-50 outcomes, reveal at several positions, weight 0 and > 0. Every outcome's
plan is also checked against its own document (tests/plan_checker.py), and the shared
decisions are checked to be the same in every outcome."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from optimizer.model.pyomo_hedge import solve_pyomo_hedge
from optimizer.options import SolveOptions
from optimizer.whatif.hedge_document import Hedge, parse_hedge
from optimizer.whatif.hedge_values import solve_hedged
from tests.plan_checker import check_plan
from tests.random_scenarios import random_scenario


def random_hedge(
    seed: int,
    milp: bool,
    outcomes: int,
    reveal_at: int,
    weight: float,
    periods: int = 3,
    rules: bool = False,
) -> dict[str, Any]:
    """A valid hedge document on a random scenario: outcomes by shocks (capacity in any
    period, prices, later demand, tariffs, licences) and by whole documents whose numbers
    change what columns exist (lead times, fixed costs, minimum orders, earliest builds;
    with `rules`, MODEL.md §7's discounts, qualifications, service levels and penalties)."""
    r = random.Random(seed)
    base = random_scenario(seed, milp=milp, periods=periods, rules=rules)
    per = base["periods"]
    later = per[reveal_at:]
    raw = [r.random() + 0.05 for _ in range(outcomes)]
    probs = [x / sum(raw) for x in raw]
    probs[-1] = 1 - sum(probs[:-1])
    items = []
    for w in range(outcomes):
        name = f"w{w}"
        if r.random() < 0.3:
            items.append({"name": name, "probability": probs[w], "scenario": _rewritten(r, base)})
            continue
        shocks: list[dict[str, Any]] = []
        countries = [c["id"] for c in base["countries"]]
        if r.random() < 0.6:
            shocks.append({
                "kind": "capacity", "origin": r.choice(countries),
                "factor": r.choice([0.0, 0.3, 0.7, 1.5]),
                "periods": r.sample(per, r.randint(1, len(per))),
            })  # fmt: skip
        if r.random() < 0.4:
            shocks.append({"kind": "price", "factor": round(r.uniform(0.7, 1.6), 2)})
        if later and r.random() < 0.5:
            shocks.append({"kind": "demand", "factor": r.choice([0.0, 0.5, 1.4]), "periods": later})
        if r.random() < 0.3:
            shocks.append({"kind": "tariff", "country": r.choice(countries), "value": 0.3})
        if base["licences"] and r.random() < 0.4:
            shocks.append({"kind": "revoke_licence", "licence": base["licences"][0]["id"]})
        items.append({"name": name, "probability": probs[w], "shocks": shocks})
    return {
        "name": f"random hedge {seed}",
        "base": base,
        "reveal": per[reveal_at],
        "outcomes": items,
        "risk": {"alpha": r.choice([0.5, 0.8, 0.95]), "weight": weight},
    }


def _rewritten(r: random.Random, base: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    for s in doc["suppliers"]:
        if r.random() < 0.3:
            s["lead_time"] = r.choice([0, 1, 2])
        if "fixed_cost" in s and r.random() < 0.3:
            s["fixed_cost"] = r.choice([0.0, s["fixed_cost"] * 2])
        if "min_order" in s and r.random() < 0.3:
            s["min_order"] = r.choice([0.0, s["min_order"] * 1.5])
        if r.random() < 0.4:
            s["capacity"] = round(r.uniform(0, 150), 1)
    for k in doc["plants"]:
        if not k.get("existing", True) and r.random() < 0.4:
            k["earliest_build"] = r.randint(0, len(doc["periods"]) - 1)
    for lic in doc["licences"]:
        lic["quantity"] = round(lic["quantity"] * r.choice([0.0, 0.5, 1.0, 2.0]), 0)
    _rewritten_rules(r, doc)
    return doc


def _rewritten_rules(r: random.Random, doc: dict[str, Any]) -> None:
    """New numbers for MODEL.md §7's rules where the document has them."""
    for s in doc["suppliers"]:
        if s.get("qualification") and r.random() < 0.5:
            s["qualification"] = {"cost": round(r.uniform(0, 2000), 0), "lead": r.randint(0, 2)}
        for offer in s["offers"]:
            if offer.get("discounts") and r.random() < 0.4:
                factor = r.choice([0.8, 1.25])
                offer["price"] = round(offer["price"] * factor, 4)
                for d in offer["discounts"]:
                    d["price"] = round(d["price"] * factor, 4)
    for e in doc["sectors"]:
        if e.get("min_service") is not None and r.random() < 0.5:
            e["min_service"] = round(r.uniform(0, 0.5), 2)
    penalties = doc["policy"].get("origin_share_penalty", {})
    for o in penalties:
        penalties[o] = round(r.uniform(0, 40), 2)


def assert_hedge_exact(document: dict[str, Any]) -> None:
    hedge = parse_hedge(document)
    got = solve_hedged(hedge, SolveOptions())
    status, reference = solve_pyomo_hedge(
        [o.scenario for o in hedge.outcomes],
        hedge.probabilities,
        hedge.reveal_at,
        hedge.alpha,
        hedge.weight,
    )
    assert str(got.outcome.status) == status
    if reference is None:
        assert not got.has_solution
        return
    objective = _objective(hedge, got.costs)
    assert abs(objective - reference) <= 1e-6 * max(1.0, abs(reference)), (objective, reference)
    lp_objective = float(got.form.cost @ got.outcome.x) if got.outcome.x is not None else None
    assert lp_objective is not None
    assert abs(lp_objective - reference) <= 1e-6 * max(1.0, abs(reference))
    early = set(hedge.base.periods[: hedge.reveal_at])
    docs = [plan.to_document() for plan in got.plans]
    delivering = {row["supplier"] for doc in docs for row in doc["deliveries"]}
    shared = None
    for outcome, doc in zip(hedge.outcomes, docs, strict=True):
        problems = check_plan(outcome.document, doc)
        assert [p for p in problems if not _shared_contract(p, delivering)] == []
        mine = {
            table: sorted(
                (
                    tuple(v for k, v in row.items() if k not in ("kg", "landed_cost", "cost")),
                    round(row["kg"], 5),
                )
                for row in doc[table]
                if row["period"] in early
            )
            for table in ("deliveries", "production", "inventory", "shortages", "consumption")
        }
        mine["plants_built"] = sorted(tuple(r.values()) for r in doc["plants_built"])
        mine["qualified"] = sorted(tuple(r.values()) for r in doc["qualified"])
        shared = shared or mine
        assert mine == shared, outcome.name


def _shared_contract(problem: str, delivering: set[str]) -> bool:
    """A contract is decided up front: an outcome where the supplier delivers nothing
    still pays for it when another outcome uses it."""
    start = "[cost] contracts list "
    if not problem.startswith(start) or not problem.endswith(", which deliver nothing"):
        return False
    listed = problem[len(start) :].split("]")[0].strip("[").replace("'", "").split(", ")
    return set(listed) <= delivering


def _objective(hedge: Hedge, costs: Any) -> float:
    from optimizer.whatif.hedge_values import risk_value

    return risk_value(costs, hedge.probabilities, hedge.alpha, hedge.weight)


LP_CASES = [  # seed, outcomes, reveal position, weight
    (1, 2, 1, 0.0), (2, 5, 2, 0.0), (3, 3, 0, 0.5), (4, 8, 1, 1.0), (5, 50, 1, 0.0),
    (6, 50, 2, 0.3), (7, 2, 2, 0.7), (8, 12, 1, 0.2),
]  # fmt: skip
MILP_CASES = [
    (11, 2, 1, 0.0), (12, 4, 2, 0.5), (13, 3, 1, 1.0), (14, 6, 0, 0.0), (15, 50, 1, 0.0),
    (16, 10, 2, 0.4),
]  # fmt: skip


@pytest.mark.parametrize(("seed", "outcomes", "reveal_at", "weight"), LP_CASES)
def test_lp_hedge_matches_the_pyomo_extensive_form(
    seed: int, outcomes: int, reveal_at: int, weight: float
) -> None:
    assert_hedge_exact(random_hedge(seed, False, outcomes, reveal_at, weight))


@pytest.mark.parametrize(("seed", "outcomes", "reveal_at", "weight"), MILP_CASES)
def test_milp_hedge_matches_the_pyomo_extensive_form(
    seed: int, outcomes: int, reveal_at: int, weight: float
) -> None:
    assert_hedge_exact(random_hedge(seed, True, outcomes, reveal_at, weight))


RULES_CASES = [  # seed, outcomes, reveal position, weight: MODEL.md §7 on top of §3
    (21, 3, 1, 0.0), (22, 5, 2, 0.5), (23, 4, 0, 0.0), (24, 8, 1, 1.0), (25, 2, 2, 0.0),
    (26, 6, 1, 0.3),
]  # fmt: skip


@pytest.mark.parametrize(("seed", "outcomes", "reveal_at", "weight"), RULES_CASES)
def test_hedge_with_sourcing_rules_matches_the_pyomo_extensive_form(
    seed: int, outcomes: int, reveal_at: int, weight: float
) -> None:
    """q, y and excess shared before reveal, qual and u in every period (MODEL.md §6)."""
    assert_hedge_exact(random_hedge(seed, True, outcomes, reveal_at, weight, rules=True))


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 130))
def test_many_random_hedges_match_the_reference(seed: int) -> None:
    r = random.Random(seed)
    periods = r.randint(2, 4)
    assert_hedge_exact(
        random_hedge(
            seed,
            r.random() < 0.5,
            r.randint(2, 9),
            r.randint(0, periods - 1),
            r.choice([0.0, 0.25, 1.0]),
            periods,
        )
    )
