"""What a hedged plan reports (MODEL.md §6): the plan of the extensive form, and the
values that price it — wait-and-see, EVPI, the value of hedging and the hedge's premium.

- `cvar` and `risk_value` (`hedge_risk.py`): CVaR_alpha of the outcome costs, and the
  objective of §6 on them.
- wait-and-see: `risk_value` of each outcome solved alone; EVPI = objective - that.
- value of hedging: base solved alone, its here-and-now decisions fixed in every outcome,
  the rest re-optimised; that objective minus the hedged one. Null, with the outcome that
  cannot be completed named, when the fixed plan is infeasible in one.
- premium: base completed with the hedge's here-and-now decisions, minus base alone —
  what the hedge costs if base is what happens.

Every outcome solved alone behind these values (and behind an out-of-sample evaluation)
is one task of a single map over the executor (`hedge_alone.py`): in this process, on
local processes or on a Dask cluster, in runs of neighbouring outcomes hot-started from
each other. `starts` in the plan counts how those solves were started.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from optimizer.model.plan_types import Plan
from optimizer.model.status import PlanStatus
from optimizer.options import SolveOptions
from optimizer.scenario.schema import Scenario
from optimizer.whatif.hedge_alone import Alone, AloneTask, Shared, solve_alone_each, starts
from optimizer.whatif.hedge_document import Hedge, Outcome
from optimizer.whatif.hedge_evaluate import evaluation
from optimizer.whatif.hedge_form import (
    FormSolution,
    SharedValues,
    build_extensive_form,
    solve_form,
)
from optimizer.whatif.hedge_risk import cvar, risk_value
from optimizer.whatif.runs import IN_PROCESS, Executor

# differences this close to 0 (relative to the objective) are solver round-off
ROUND_OFF = 1e-9
BASE_PLAN, HEDGED_PLAN = "base", "hedged"  # the plans whose decisions the values fix


def solve_alone(
    scenario: Scenario,
    hedge: Hedge,
    options: SolveOptions,
    fixed: SharedValues | None = None,
) -> FormSolution:
    """One scenario as an extensive form of one outcome (its shared columns optionally
    fixed): the model of MODEL.md §3, the columns only reordered."""
    form = build_extensive_form([scenario], [1.0], hedge.reveal_at, hedge.base, fixed=fixed)
    return solve_form(form, options)


def solve_hedged(
    hedge: Hedge, options: SolveOptions, fixed: SharedValues | None = None
) -> FormSolution:
    """The extensive form of the hedge (with its shared columns fixed, when given).

    With weight 1 the objective is the CVaR alone, which leaves the outcomes outside the
    worst tail free to be anything up to eta: their recourse is then re-optimised with the
    here-and-now decisions fixed (that lowers no tail cost's bound, so the objective
    stays optimal), so that every outcome's cost is the least its recourse can do."""
    scenarios = [o.scenario for o in hedge.outcomes]
    p = hedge.probabilities
    form = build_extensive_form(
        scenarios, p, hedge.reveal_at, hedge.base, hedge.alpha, hedge.weight, fixed
    )
    found = solve_form(form, options)
    if hedge.weight < 1 or not found.has_solution:
        return found
    recourse = solve_form(
        build_extensive_form(scenarios, p, hedge.reveal_at, hedge.base, fixed=found.shared),
        options,
    )
    if not recourse.has_solution:
        return found
    return replace(
        found,
        plans=recourse.plans,
        build_s=found.build_s + recourse.build_s,
        solve_s=found.solve_s + recourse.solve_s,
    )


def hedged_plan(
    hedge: Hedge,
    options: SolveOptions | None = None,
    outcome_plans: bool = False,
    fresh: Sequence[Outcome] = (),
    fresh_seed: int | None = None,
    executor: Executor = IN_PROCESS,
) -> dict[str, Any]:
    """The hedged plan document of MODEL.md §6; every failure is a plan, never a trace.

    With `fresh` outcomes (`hedge_document.draw_outcomes`, drawn with `fresh_seed`), the
    plan's here-and-now decisions are also evaluated on them (`evaluation`). The
    outcomes solved alone go to `executor`."""
    options = options or SolveOptions()
    started = time.perf_counter()
    try:
        return _hedged_plan(hedge, options, outcome_plans, started, fresh, fresh_seed, executor)
    except Exception as exc:  # noqa: BLE001 — every outcome is a plan
        return {
            "status": str(PlanStatus.ERROR),
            "message": f"{type(exc).__name__}: {exc}",
            "objective": None,
            "name": hedge.name,
            "timings": {"total_s": time.perf_counter() - started},
        }


def _hedged_plan(
    hedge: Hedge,
    options: SolveOptions,
    outcome_plans: bool,
    started: float,
    fresh: Sequence[Outcome],
    fresh_seed: int | None,
    executor: Executor,
) -> dict[str, Any]:
    main = solve_hedged(hedge, options)
    solved = time.perf_counter()
    doc: dict[str, Any] = {
        "status": str(main.outcome.status),
        "name": hedge.name,
        "currency": hedge.base.currency,
        "reveal": hedge.reveal,
        "risk": {"alpha": hedge.alpha, "weight": hedge.weight},
        "objective": None,
        "expected_cost": None,
        "cvar": None,
        "mip_gap": main.outcome.mip_gap,
        "here_and_now": {"deliveries": [], "production": [], "contracts": [], "plants_built": []},
        "outcomes": [],
        "wait_and_see": None,
        "evpi": None,
        "value_of_hedging": None,
        "value_of_hedging_infeasible_outcome": None,
        "premium": None,
    }
    if hedge.sample is not None:
        doc["sample"] = {"n": hedge.sample.n, "seed": hedge.sample.seed}
    if not main.has_solution:
        doc["message"] = main.outcome.message
        doc["timings"] = _timings(main, started, solved)
        doc["model"] = _size(main)
        return doc
    costs = main.costs
    p = hedge.probabilities
    objective = risk_value(costs, p, hedge.alpha, hedge.weight)
    doc["objective"] = objective
    doc["expected_cost"] = float(np.dot(costs, p))
    doc["cvar"] = cvar(costs, p, hedge.alpha)
    doc["here_and_now"] = _here_and_now(main.plans, hedge.base.periods[: hedge.reveal_at])
    doc["outcomes"] = [
        _outcome_row(o, plan, outcome_plans)
        for o, plan in zip(hedge.outcomes, main.plans, strict=True)
    ]
    prices, completed = _prices(hedge, options, main, objective, fresh, executor)
    doc.update(prices)
    if fresh:
        doc["evaluation"] = evaluation(
            hedge, options, main.shared, fresh, fresh_seed, objective, solved=completed
        )
    doc["timings"] = _timings(main, started, solved)
    doc["model"] = _size(main)
    return doc


def _prices(
    hedge: Hedge,
    options: SolveOptions,
    main: FormSolution,
    objective: float,
    fresh: Sequence[Outcome],
    executor: Executor,
) -> tuple[dict[str, Any], list[Alone]]:
    """wait_and_see, evpi, value_of_hedging (or the outcome the base plan cannot meet),
    premium and `starts`; and the fresh outcomes completed with the hedge's decisions.
    Base is solved first (the value of hedging fixes its decisions), then every outcome
    alone in one map: free, with base's decisions fixed, and base and the fresh outcomes
    with the hedge's."""
    out: dict[str, Any] = {}
    base = solve_alone(hedge.base, hedge, options)
    plans: dict[str, SharedValues] = {HEDGED_PLAN: main.shared}
    scenarios = [o.scenario for o in hedge.outcomes]
    tasks = [AloneTask(sc) for sc in scenarios]
    if base.has_solution:
        plans[BASE_PLAN] = base.shared
        tasks += [AloneTask(sc, BASE_PLAN) for sc in scenarios]
        tasks.append(AloneTask(hedge.base, HEDGED_PLAN))
    tasks += [AloneTask(o.scenario, HEDGED_PLAN) for o in fresh]
    shared = Shared(hedge.base, hedge.reveal_at, options, plans)
    found = solve_alone_each(shared, tasks, executor)
    out["starts"] = starts(found)
    n = len(scenarios)
    alone, rest = found[:n], found[n:]
    costs = _costs(alone)
    if costs is not None:
        ws = risk_value(costs, hedge.probabilities, hedge.alpha, hedge.weight)
        out["wait_and_see"] = ws
        out["evpi"] = _difference(objective, ws)
    if not base.has_solution:
        return out, rest
    fixed, with_hedge, rest = rest[:n], rest[n], rest[n + 1 :]
    unhedged = _costs(fixed)
    if unhedged is not None:
        value = risk_value(unhedged, hedge.probabilities, hedge.alpha, hedge.weight)
        out["value_of_hedging"] = _difference(value, objective)
    elif any(a.status == PlanStatus.INFEASIBLE for a in fixed):
        out["value_of_hedging_infeasible_outcome"] = next(
            o.name
            for o, a in zip(hedge.outcomes, fixed, strict=True)
            if a.status == PlanStatus.INFEASIBLE
        )
    if with_hedge.cost is not None:
        out["premium"] = _difference(with_hedge.cost, base.costs[0])
    return out, rest


def _costs(found: Sequence[Alone]) -> list[float] | None:
    """Every cost, or None when one outcome has no solution."""
    costs = [a.cost for a in found]
    return None if any(c is None for c in costs) else [float(c or 0.0) for c in costs]


def _difference(a: float, b: float) -> float:
    d = float(a) - float(b)
    return 0.0 if abs(d) <= ROUND_OFF * max(1.0, abs(a), abs(b)) else d


def _here_and_now(plans: list[Plan], early: list[str]) -> dict[str, Any]:
    """The shared decisions, read off the first outcome's plan (deliveries and production
    before reveal are the same in every outcome); contracts and builds of any outcome
    (an outcome without a fixed cost for a supplier has no contract binary)."""
    first = plans[0].to_document()
    before = set(early)
    contracts: dict[str, Any] = {}
    built: dict[str, Any] = {}
    for plan in plans:
        d = plan.to_document()
        for row in d["contracts"]:
            contracts.setdefault(row["supplier"], row)
        for row in d["plants_built"]:
            built.setdefault(row["plant"], row)
    return {
        "deliveries": [r for r in first["deliveries"] if r["period"] in before],
        "production": [r for r in first["production"] if r["period"] in before],
        "contracts": list(contracts.values()),
        "plants_built": list(built.values()),
    }


def _outcome_row(outcome: Outcome, plan: Plan, full: bool) -> dict[str, Any]:
    d = plan.to_document()
    row: dict[str, Any] = {
        "name": outcome.name,
        "probability": outcome.probability,
        "objective": d["objective"],
        "terms": d["terms"],
        "shortage_kg": float(sum(r["kg"] for r in d["shortages"])),
    }
    if outcome.levels is not None:
        row["levels"] = outcome.levels
    if full:
        row["plan"] = {k: v for k, v in d.items() if k not in ("status", "objective", "terms")}
    return row


def _timings(main: FormSolution, started: float, solved: float) -> dict[str, float]:
    return {
        "build_s": main.build_s,
        "solve_s": main.solve_s,
        "values_s": time.perf_counter() - solved,
        "total_s": time.perf_counter() - started,
    }


def _size(main: FormSolution) -> dict[str, Any]:
    f = main.form
    return {
        "outcomes": len(f.blocks),
        "columns": f.num_cols,
        "rows": f.num_rows,
        "nonzeros": int(len(f.value)),
        "integer_columns": int(f.integer.sum()),
        "mip": f.is_mip,
    }
