"""The values of a hedged plan from outcomes solved alone, hot-started in runs and spread
over processes (`hedge_alone.py`), against the extensive forms solved one at a time in
this process: the same wait-and-see, value of hedging, premium and out-of-sample costs
(1e-6 relative) on random hedges, in one process and on two; and the solves were hot
started, not quietly cold."""

from __future__ import annotations

from typing import Any

import pytest

from optimizer.model.status import PlanStatus
from optimizer.options import SolveOptions
from optimizer.whatif.hedge_alone import AloneTask, Shared, solve_alone_each
from optimizer.whatif.hedge_document import Hedge, draw_outcomes, parse_hedge
from optimizer.whatif.hedge_evaluate import completed
from optimizer.whatif.hedge_form import build_extensive_form, solve_form
from optimizer.whatif.hedge_values import hedged_plan, risk_value, solve_alone, solve_hedged
from optimizer.whatif.runs import Executor
from tests.whatif.test_hedge_exact import random_hedge

OPTIONS = SolveOptions()
REL = 1e-6


def sampled_hedge(seed: int, milp: bool, n: int, weight: float = 0.25) -> dict[str, Any]:
    """A random scenario whose outcomes are drawn: capacity of one origin after reveal
    and the price level, numbers only, as a sampled hedge's are."""
    doc = random_hedge(seed, milp, 2, 1, weight)
    base = doc["base"]
    later = base["periods"][1:]
    origin = base["countries"][0]["id"]
    doc["outcomes"] = {"sample": {"n": n, "seed": seed, "axes": [
        {"name": "capacity", "shock": {"kind": "capacity", "origin": origin, "periods": later},
         "distribution": {"type": "uniform", "low": 0.2, "high": 1.2}},
        {"name": "price", "shock": {"kind": "price"},
         "distribution": {"type": "uniform", "low": 0.8, "high": 1.4}},
    ]}}  # fmt: skip
    return doc


def sequential_values(h: Hedge) -> dict[str, Any]:
    """The values as the extensive forms give them, one solve after another: each outcome
    alone, base's decisions fixed in one form of every outcome, base with the hedge's."""
    main = solve_hedged(h, OPTIONS)
    p, alpha, weight = h.probabilities, h.alpha, h.weight
    objective = risk_value(main.costs, p, alpha, weight)
    alone = [solve_alone(o.scenario, h, OPTIONS) for o in h.outcomes]
    out: dict[str, Any] = {"objective": objective, "wait_and_see": None}
    if all(a.has_solution for a in alone):
        out["wait_and_see"] = risk_value([a.costs[0] for a in alone], p, alpha, weight)
    base = solve_alone(h.base, h, OPTIONS)
    fixed = solve_hedged(h, OPTIONS, fixed=base.shared)
    out["unhedged"] = risk_value(fixed.costs, p, alpha, weight) if fixed.has_solution else None
    out["infeasible"] = None
    if fixed.outcome.status == PlanStatus.INFEASIBLE:
        out["infeasible"] = next(
            (o.name for o in h.outcomes
             if solve_alone(o.scenario, h, OPTIONS, fixed=base.shared).outcome.status
             == PlanStatus.INFEASIBLE),
            None,
        )  # fmt: skip
    premium = solve_alone(h.base, h, OPTIONS, fixed=main.shared)
    out["premium"] = premium.costs[0] - base.costs[0] if premium.has_solution else None
    return out


def close(a: float | None, b: float | None, scale: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= REL * max(1.0, abs(scale))


def assert_values(plan: dict[str, Any], want: dict[str, Any]) -> None:
    scale = abs(want["objective"])
    assert close(plan["objective"], want["objective"], scale)
    assert close(plan["wait_and_see"], want["wait_and_see"], scale)
    assert close(plan["premium"], want["premium"], scale)
    unhedged = want["unhedged"]
    got = plan["value_of_hedging"]
    assert close(got, None if unhedged is None else unhedged - want["objective"], scale)
    assert plan["value_of_hedging_infeasible_outcome"] == want["infeasible"]


CASES = [  # seed, milp, outcomes, reveal position, weight
    (31, False, 6, 1, 0.0), (33, False, 9, 2, 0.5), (40, False, 7, 2, 1.0),
    (30, False, 5, 1, 0.3), (43, True, 6, 1, 0.0), (31, True, 9, 2, 0.5),
    (43, True, 7, 2, 1.0), (36, True, 5, 1, 0.3),
]  # fmt: skip


@pytest.mark.parametrize(("seed", "milp", "outcomes", "reveal_at", "weight"), CASES)
def test_values_are_those_of_the_forms_solved_one_at_a_time(
    seed: int, milp: bool, outcomes: int, reveal_at: int, weight: float
) -> None:
    h = parse_hedge(random_hedge(seed, milp, outcomes, reveal_at, weight))
    plan = hedged_plan(h, OPTIONS)
    if plan["objective"] is None:
        pytest.skip("an infeasible draw")
    assert_values(plan, sequential_values(h))


@pytest.mark.parametrize(("seed", "milp"), [(41, False), (42, True)])
def test_sampled_outcomes_are_hot_started_and_keep_their_values(seed: int, milp: bool) -> None:
    h = parse_hedge(sampled_hedge(seed, milp, 12))
    plan = hedged_plan(h, OPTIONS)
    if plan["objective"] is None:
        pytest.skip("an infeasible draw")
    assert_values(plan, sequential_values(h))
    # one map in this process: the first solve cold, (nearly) all the others hot
    assert plan["starts"].get("cold") == 1
    assert plan["starts"].get("hot", 0) >= len(h.outcomes)


def test_a_hot_start_gives_the_cold_solve_of_every_outcome() -> None:
    h = parse_hedge(sampled_hedge(43, False, 15))
    tasks = [AloneTask(o.scenario) for o in h.outcomes]
    hot = solve_alone_each(Shared(h.base, h.reveal_at, OPTIONS, {}), tasks)
    cold = solve_alone_each(Shared(h.base, h.reveal_at, OPTIONS, {}, hot=False), tasks)
    assert [a.start for a in hot] == ["cold"] + ["hot"] * (len(tasks) - 1)
    assert {a.start for a in cold[1:]} == {"rebuilt"}
    for a, b in zip(hot, cold, strict=True):
        assert a.status == b.status
        assert close(a.cost, b.cost, b.cost or 1.0)


def test_two_processes_give_the_values_of_one() -> None:
    h = parse_hedge(sampled_hedge(44, False, 16, weight=0.5))
    fresh = draw_outcomes(h, 20, 45)
    one = hedged_plan(h, OPTIONS, fresh=fresh, fresh_seed=45)
    two = hedged_plan(h, OPTIONS, fresh=fresh, fresh_seed=45, executor=Executor(workers=2))
    for key in ("objective", "wait_and_see", "evpi", "value_of_hedging", "premium"):
        assert close(two[key], one[key], one["objective"]), key
    for key in ("objective", "expected_cost", "cvar", "standard_error"):
        assert close(two["evaluation"][key], one["evaluation"][key], one["objective"]), key
    assert two["starts"].get("cold", 0) >= 2  # each process starts cold once at least
    assert two["starts"].get("hot", 0) > 0


def test_out_of_sample_costs_are_those_of_the_fixed_forms() -> None:
    h = parse_hedge(sampled_hedge(46, True, 8))
    shared = solve_hedged(h, OPTIONS).shared
    fresh = draw_outcomes(h, 30, 47)
    p = [1 / len(fresh)] * len(fresh)
    form = build_extensive_form([o.scenario for o in fresh], p, h.reveal_at, h.base, fixed=shared)
    together = solve_form(form, OPTIONS)
    alone = completed(h, shared, fresh, OPTIONS, Executor(workers=2))
    if not together.has_solution:
        assert any(a.cost is None for a in alone)
        return
    for a, c in zip(alone, together.costs, strict=True):
        assert close(a.cost, c, c)
