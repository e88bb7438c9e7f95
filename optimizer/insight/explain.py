"""What the plan's limits are worth: marginal values from the duals of the solved LP.

A marginal value is the change in the optimal objective per unit increase of one limit
of the scenario: currency per kg for a capacity, a licence, a safety stock or a demand,
per currency for a budget, per unit share (1.0 = 100 %) for an origin-share cap. A
negative value says that more of the limit would lower the cost (a binding cap); a
positive one that more would raise it (a safety stock, a demand).

Each record is {"constraint", "id", "period", "value"}; ids: `licence` the licence id
(period null: the quantity spans the horizon), `supplier_capacity` the supplier,
`plant_capacity` the plant, `origin_share` the origin, `budget` null, `safety_stock` the
product (one value per period: the end-of-period stock it asks for; the sum over the
periods is the value of the product's `min_inventory`), `demand` "product/sector";
MODEL.md §7: `min_service` the sector (per unit service level, 1.0 = 100 %, period null),
`max_suppliers` the product (the change in cost when one more supplier is allowed: a
whole number has no dual, so it is re-solved; period null).

Reported: every limit with a non-zero value, family by family in the order of
`FAMILIES`, then in model order. A limit that is not listed is worth 0: more of it would
not change the cost. Listing only the non-zero values keeps the few limits that matter
visible in scenarios with thousands of rows; demand rows are nearly always listed, since
one more kg of demand always costs something. Limits the model leaves out because they
are at their natural end (no safety stock, a demand of 0 kg, a share cap of 100 %) are
not limits here and are never listed.

How each value is read off the duals y (HiGHS's row duals are d objective / d bound of
the row, for the bound that is active; checked numerically by the tests):
- a limit that is a row's bound (licence quantity, existing plant's and ungated
  supplier's capacity, budget, safety stock, demand): value = y.
- a limit that multiplies a fixed decision (capacity × active or × order for suppliers
  with a fixed cost or a minimum order, capacity × Σ build for candidate plants): the
  row reads Σ x − cap·g ≤ 0 with g fixed, so d objective / d cap = y · g, summed over the
  rows where the capacity appears.
- an origin-share cap σ: the row reads Σ_o supply − σ · Σ supply ≤ 0, so
  d objective / d σ = y · (all supply of the period).
- a service level (MODEL.md §7) σ_e: Σ short ≤ (1 − σ_e) · D_e, so its value is −y · D_e,
  and a demand of sector e moves that right-hand side too: its value is y of the demand
  row plus (1 − σ_e) · y of the service row.

MILPs: the binary decisions (contracts, orders, plants built) are fixed at the plan's
values and the LP that is left is solved; its duals give the values, which therefore
hold with those decisions kept as they are. Where a limit sits exactly at a breakpoint
(a degenerate optimum), the objective has different slopes to the left and right; the
value reported is the solver's, which lies between the two.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np

from optimizer.insight.constraint_words import block_limits
from optimizer.insight.diagnosis import diagnose
from optimizer.model import highs_backend as backend
from optimizer.model.build import build_model
from optimizer.model.constraints_flow import GATES
from optimizer.model.indexing import ScenarioIndex
from optimizer.model.lp import INF, LinearModel, RowBlock, VarBlock
from optimizer.model.status import PlanStatus
from optimizer.options import SolveOptions
from optimizer.scenario.schema import Scenario

FAMILIES = (
    "licence", "supplier_capacity", "plant_capacity", "origin_share", "budget",
    "safety_stock", "demand", "min_service", "max_suppliers",
)  # fmt: skip
TOLERANCE = 1e-7  # HiGHS's default dual feasibility tolerance: duals below it are round-off


@dataclass(frozen=True)
class DualSolution:
    """An optimal LP solution: column values and row duals (d objective / d row bound)."""

    x: np.ndarray
    row_duals: np.ndarray


# -- from duals to marginal values ------------------------------------------------------
def marginal_values(m: LinearModel, ix: ScenarioIndex, sol: DualSolution) -> list[dict[str, Any]]:
    """`[{"constraint", "id", "period", "value"}]` for every limit with a non-zero value."""
    out: list[dict[str, Any]] = []
    for family in FAMILIES:
        block, value, weight = _FAMILY_VALUES[family](m, ix, sol)
        keep = np.nonzero(np.abs(value) > TOLERANCE * np.maximum(1.0, np.abs(weight)))[0]
        out.extend(
            {"constraint": family, "id": limit.id, "period": limit.period, "value": v}
            for limit, v in zip(block_limits(block, ix, keep), _rounded(value[keep]), strict=True)
        )
    return out


def _rounded(values: np.ndarray) -> list[float]:
    """12 significant digits: -246.00000000000017 reads -246.0; far below any tolerance."""
    return [float(f"{v:.12g}") for v in values.tolist()]


Values = tuple[RowBlock, np.ndarray, np.ndarray]  # block, value per row, weight of its dual
FamilyValues = Callable[[LinearModel, ScenarioIndex, DualSolution], Values]


def _duals(block: RowBlock, sol: DualSolution) -> np.ndarray:
    return sol.row_duals[block.start : block.start + block.size]


def _entry_sums(
    block: RowBlock, x: np.ndarray, of: VarBlock | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per row: Σ x over the row's entries (only those in columns of `of`, if given), and
    whether the row has any such entry. Zero coefficients count: they are still entries."""
    sel = (
        np.ones(len(block.cols), bool)
        if of is None
        else (block.cols >= of.start) & (block.cols < of.start + of.size)
    )
    rows = block.rows[sel]
    total = np.bincount(rows, weights=x[block.cols[sel]], minlength=block.size)
    return total, np.bincount(rows, minlength=block.size) > 0


def _bound_values(name: str) -> FamilyValues:
    def values(m: LinearModel, ix: ScenarioIndex, sol: DualSolution) -> Values:
        block = m.constraints[name]
        y = _duals(block, sol)
        return block, y, np.ones(block.size)

    return values


def _supplier_capacity(m: LinearModel, ix: ScenarioIndex, sol: DualSolution) -> Values:
    """Per (supplier, period): y · active (or 1 when not gated) on its capacity row, plus
    y · order on the ceiling row of its minimum order (gate "order"), which bounds the same
    capacity. The values sit on the capacity rows; the ceiling rows keep 0."""
    block = m.constraints["supplier_capacity"]
    y = _duals(block, sol)
    ceiling = block.index["gate"] == GATES.index("order")
    active, gated = _entry_sums(block, sol.x, m.variables["active"])
    ordered, _ = _entry_sums(block, sol.x, m.variables["order"])
    gate = np.where(ceiling, 0.0, np.where(gated, active, 1.0))
    value = np.where(ceiling, 0.0, y * gate)
    key = block.index["supplier"] * ix.T + block.index["period"]
    plain = np.nonzero(~ceiling)[0]  # in key order: the rows come from np.nonzero on a grid
    row = plain[np.searchsorted(key[plain], key[ceiling])]
    np.add.at(value, row, y[ceiling] * ordered[ceiling])
    np.add.at(gate, row, ordered[ceiling])
    return block, value, gate


def _plant_capacity(m: LinearModel, ix: ScenarioIndex, sol: DualSolution) -> Values:
    """y for existing plants; y · Σ build (built in time for that period) for candidates."""
    block = m.constraints["plant_capacity"]
    built, _ = _entry_sums(block, sol.x, m.variables["build"])
    existing = np.array([k.existing for k in ix.scenario.plants], bool)[block.index["plant"]]
    gate = np.where(existing, 1.0, built)
    return block, _duals(block, sol) * gate, gate


def _origin_share(m: LinearModel, ix: ScenarioIndex, sol: DualSolution) -> Values:
    """y · (all deliveries and production of the period): the cap multiplies that total
    (the excess over a soft cap is not supply)."""
    block = m.constraints["origin_share"]
    every, _ = _entry_sums(block, sol.x)
    excess, _ = _entry_sums(block, sol.x, m.variables["excess"])
    total = every - excess
    return block, _duals(block, sol) * total, total


def _demand(m: LinearModel, ix: ScenarioIndex, sol: DualSolution) -> Values:
    """y of the demand row; under a service level (MODEL.md §7) one more kg demanded also
    lets (1 − level) kg more go short: + (1 − level) · y of the sector's min_service row."""
    block = m.constraints["demand"]
    value = _duals(block, sol).copy()
    service = m.constraints["min_service"]
    y = np.zeros(len(ix.sector_ids))
    y[service.index["sector"]] = _duals(service, sol)
    sector = block.index["sector"]
    value += (1 - np.nan_to_num(ix.min_service[sector], nan=1.0)) * y[sector]
    return block, value, np.ones(block.size)


def _min_service(m: LinearModel, ix: ScenarioIndex, sol: DualSolution) -> Values:
    """Per unit service level (1.0 = 100 %): the row reads Σ short <= (1 − level) · D, so
    d objective / d level = −y · D, D the sector's demand over the horizon."""
    block = m.constraints["min_service"]
    demand = ix.demand.sum(axis=(0, 2))[block.index["sector"]]
    return block, -_duals(block, sol) * demand, demand


def _max_suppliers(m: LinearModel, ix: ScenarioIndex, sol: DualSolution) -> Values:
    """A whole number of suppliers has no dual: the value of one more supplier is the
    change in the optimum when the cap is raised by one, re-solved as a MILP; only caps
    the plan uses up are re-solved (the others are worth 0)."""
    block = m.constraints["max_suppliers"]
    chosen, _ = _entry_sums(block, sol.x)
    value = np.zeros(block.size)
    cost, _, _, _ = m.column_arrays()
    base = float(cost @ sol.x)
    for row in np.nonzero(chosen >= block.upper - 0.5)[0].tolist():
        h = backend.new_highs(SolveOptions())
        backend.pass_model(h, m)
        r = np.array([block.start + row], np.int32)
        h.changeRowsBounds(1, r, np.array([-INF]), block.upper[row : row + 1] + 1)  # type: ignore[attr-defined]
        h.run()
        if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            value[row] = min(h.getInfo().objective_function_value - base, 0.0)
    # below the MIP gap (relative 1e-6 = TOLERANCE · 10) a difference is the solver's
    return block, value, np.full(block.size, 10 * max(abs(base), 1.0))


_FAMILY_VALUES: dict[str, FamilyValues] = {
    "licence": _bound_values("licence"),
    "supplier_capacity": _supplier_capacity,
    "plant_capacity": _plant_capacity,
    "origin_share": _origin_share,
    "budget": _bound_values("budget"),
    "safety_stock": _bound_values("safety_stock"),
    "demand": _demand,
    "min_service": _min_service,
    "max_suppliers": _max_suppliers,
}


# -- the LP whose duals are read -----------------------------------------------------
def dual_solution(
    m: LinearModel, binaries: np.ndarray | None, options: SolveOptions
) -> DualSolution | None:
    """Solve the model as an LP, every binary column fixed at `binaries` (model order of the
    binary columns; None for an LP). None when that LP has no optimal solution."""
    h = backend.new_highs(options)
    backend.pass_model(h, m)
    _, _, _, integer = m.column_arrays()
    cols = np.nonzero(integer)[0].astype(np.int32)
    if len(cols):
        fixed = np.round(np.asarray(binaries, float))
        h.changeColsBounds(len(cols), cols, fixed, fixed)
        h.changeColsIntegrality(len(cols), cols, np.zeros(len(cols), np.uint8))
    if m.num_cols == 0:
        return DualSolution(np.zeros(0), np.zeros(m.num_rows))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    solution = h.getSolution()
    return DualSolution(np.asarray(solution.col_value), np.asarray(solution.row_dual))


def solution_values(
    m: LinearModel,
    ix: ScenarioIndex,
    x: np.ndarray,
    options: SolveOptions,
    row_duals: np.ndarray | None = None,
) -> list[dict[str, Any]] | None:
    """Marginal values of a solution `solve` has just found (x, and for an LP its duals),
    without rebuilding the model: the cheap path for `solve` itself. None when the LP
    with the binaries fixed has no optimal solution (it always should)."""
    if not m.is_mip and row_duals is not None:
        return marginal_values(m, ix, DualSolution(x, row_duals))
    _, _, _, integer = m.column_arrays()
    sol = dual_solution(m, x[integer], options)
    return None if sol is None else marginal_values(m, ix, sol)


def binaries_from_plan(m: LinearModel, ix: ScenarioIndex, plan: dict[str, Any]) -> np.ndarray:
    """The plan's binary decisions in model column order: active[s] from `contracts`,
    order[s,t] from `deliveries` (an order is placed exactly when something is delivered),
    build[k,t] from `plants_built`; and MODEL.md §7's: y[s,p,t,b] from the delivery's
    landed cost (the bracket priced so), u[s,p] from the deliveries (a supplier is chosen
    for a product exactly when it delivers some), qual[s,t] from `qualified`."""
    contracts = {c["supplier"] for c in plan["contracts"]}
    delivered = {(d["supplier"], d["period"]) for d in plan["deliveries"]}
    built = {(b["plant"], b["period"]) for b in plan["plants_built"]}
    qualified = {(q["supplier"], q["period"]) for q in plan.get("qualified", [])}
    s_ids, k_ids, per = ix.supplier_ids, ix.plant_ids, ix.periods
    v = m.variables

    def pairs(name: str, ids: list[str], owner: str) -> list[tuple[str, str]]:
        b = v[name]
        return [(ids[a], per[t]) for a, t in zip(b.index[owner], b.index["period"], strict=True)]

    parts = {
        "active": [s_ids[s] in contracts for s in v["active"].index["supplier"]],
        "order": [pair in delivered for pair in pairs("order", s_ids, "supplier")],
        "build": [pair in built for pair in pairs("build", k_ids, "plant")],
        "y": _brackets_from_plan(m, ix, plan),
        "u": _selected_from_plan(m, ix, plan),
        "qual": [pair in qualified for pair in pairs("qual", s_ids, "supplier")],
    }
    on = [np.asarray(parts[b.name], float) for b in m.variables.values() if b.binary]
    return np.concatenate(on) if on else np.zeros(0)


def _brackets_from_plan(m: LinearModel, ix: ScenarioIndex, plan: dict[str, Any]) -> np.ndarray:
    """y: the bracket whose landed cost is nearest the delivery's; none without a delivery."""
    y = m.variables["y"]
    landed = {
        (d["supplier"], d["product"], d["period"]): d["landed_cost"] for d in plan["deliveries"]
    }
    key = [
        (ix.supplier_ids[s], ix.product_ids[p], ix.periods[t])
        for s, p, t in zip(
            *(y.index[k].tolist() for k in ("supplier", "product", "period")), strict=True
        )
    ]
    paid = np.array([landed.get(k, np.nan) for k in key], float)
    gap = np.where(np.isnan(paid), np.inf, np.abs(m.variables["q"].cost - np.nan_to_num(paid)))
    out = np.zeros(y.size)
    if y.size:
        order = np.lexsort((gap, y.index["buy"]))
        first = np.unique(y.index["buy"][order], return_index=True)[1]
        best = order[first]
        out[best[np.isfinite(gap[best])]] = 1.0
    return out


def _selected_from_plan(m: LinearModel, ix: ScenarioIndex, plan: dict[str, Any]) -> list[bool]:
    u = m.variables["u"]
    sold = {(d["supplier"], d["product"]) for d in plan["deliveries"]}
    return [
        (ix.supplier_ids[s], ix.product_ids[p]) in sold
        for s, p in zip(u.index["supplier"].tolist(), u.index["product"].tolist(), strict=True)
    ]


NO_VALUES = "the LP left with the plan's binary decisions fixed has no optimal solution"


def explain_plan(
    scenario: Scenario, plan: dict[str, Any], options: SolveOptions | None = None
) -> dict[str, Any]:
    """The keys `--explain` adds to a plan: `marginal_values` when it has a solution,
    `diagnosis` when the scenario is infeasible, nothing for other outcomes; and
    `explain_error` instead when the explanation itself fails, which never costs the plan."""
    options = options or SolveOptions()

    def values() -> list[dict[str, Any]] | None:
        m, ix = build_model(scenario)
        sol = dual_solution(m, binaries_from_plan(m, ix, plan), options)
        return None if sol is None else marginal_values(m, ix, sol)

    return _explanation(
        scenario, plan["status"], plan.get("objective") is not None, values, options
    )


def explain_outcome(
    scenario: Scenario,
    m: LinearModel,
    ix: ScenarioIndex,
    outcome: backend.SolverOutcome,
    options: SolveOptions,
) -> dict[str, Any]:
    """The same keys as `explain_plan`, from `solve`'s own model and solver outcome: an LP's
    duals are used as they are, so explaining costs next to nothing on top of the solve."""
    x = outcome.x

    def values() -> list[dict[str, Any]] | None:
        assert x is not None
        return solution_values(m, ix, x, options, outcome.row_duals)

    return _explanation(scenario, outcome.status, x is not None, values, options)


def _explanation(
    scenario: Scenario,
    status: str,
    has_solution: bool,
    values: Callable[[], list[dict[str, Any]] | None],
    options: SolveOptions,
) -> dict[str, Any]:
    try:
        if status == PlanStatus.INFEASIBLE:
            return {"diagnosis": diagnose(scenario, options)}
        if not has_solution:
            return {}
        found = values()
    except Exception as exc:  # noqa: BLE001 — an explanation that fails never costs the plan
        return {"explain_error": f"{type(exc).__name__}: {exc}"}
    return {"explain_error": NO_VALUES} if found is None else {"marginal_values": found}
