"""Reads a solution vector back into the plan of MODEL.md §4 (`plan_types.Plan`), and the
one function that turns a solver's outcome into a plan (`outcome_plan`), which `solve`
and the hot-start path both call."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from optimizer.model.indexing import ScenarioIndex
from optimizer.model.lp import LinearModel, VarBlock
from optimizer.model.plan_types import (
    TABLES,
    TERMS,
    CapExcess,
    Conflicting,
    Consumption,
    Contract,
    Delivery,
    Diagnosis,
    LicenceUse,
    MarginalValue,
    ModelSize,
    OriginShare,
    Plan,
    PlantBuilt,
    Production,
    Qualified,
    Shortage,
    Stock,
    Table,
    Terms,
    Timings,
    field_names,
)
from optimizer.model.status import PlanStatus
from optimizer.scenario.schema import Scenario

__all__ = [
    "TABLES", "TERMS", "TINY_KG", "Plan", "Terms", "cost_terms", "drop_idle_contracts",
    "empty_plan", "error_plan", "model_size", "objective_of", "outcome_plan", "round_binaries",
    "settled_plan", "solution_plan",
]  # fmt: skip

TINY_KG = 1e-6  # quantities below this are solver noise and left out of the tables
Explain = Callable[[], Mapping[str, Any]]  # the keys `--explain` adds (optimizer.insight)


def empty_plan(status: PlanStatus, message: str = "") -> dict[str, Any]:
    """The document of a plan without a solution (`Plan(status, message=...)`)."""
    return Plan(status, message=message or None).to_document()


def error_plan(exc: BaseException, started: float) -> Plan:
    """The plan of a run that failed before the solver answered: every outcome is a plan."""
    return Plan(
        PlanStatus.ERROR,
        message=f"{type(exc).__name__}: {exc}",
        timings=Timings(None, None, time.perf_counter() - started),
    )


def outcome_plan(
    model: LinearModel,
    ix: ScenarioIndex,
    outcome: Any,
    scenario: Scenario,
    clock: tuple[float, float, float],
    explain: Explain | None = None,
) -> Plan:
    """The plan of a solver outcome (`highs_backend.SolverOutcome`): its tables and terms
    when it has a solution, else its message; the keys `explain` adds; the timings from
    `clock` (started, built, solved: `time.perf_counter()` readings) to now; the model's
    size, the scenario's name and currency."""
    started, built, solved = clock
    if outcome.x is None:
        plan = Plan(outcome.status, message=outcome.message or None)
    else:
        plan = solution_plan(model, ix, outcome.x, outcome.status, mip_gap=outcome.mip_gap)
    explaining = time.perf_counter()
    insight = insight_fields(explain()) if explain is not None else {}
    total = time.perf_counter() - started
    timings = Timings(
        built - started,
        solved - built,
        total,
        total - (explaining - started) if explain is not None else None,
    )
    return plan_with(
        plan,
        **insight,
        timings=timings,
        model=model_size(model),
        scenario=scenario.name,
        currency=scenario.currency,
    )


def plan_with(plan: Plan, **changes: Any) -> Plan:
    """`dataclasses.replace` for a plan (its fields are slots)."""
    values = {name: getattr(plan, name) for name in field_names(Plan)}
    values.update(changes)
    return Plan(**values)


def insight_fields(found: Mapping[str, Any]) -> dict[str, Any]:
    """The keys `optimizer.insight` adds to a plan, as the plan's typed fields."""
    out: dict[str, Any] = {}
    if "marginal_values" in found:
        out["marginal_values"] = tuple(MarginalValue(**v) for v in found["marginal_values"])
    if "diagnosis" in found:
        d = found["diagnosis"]
        conflict = tuple(Conflicting(**c) for c in d["conflict"])
        out["diagnosis"] = Diagnosis(conflict, d.get("irreducible"))
    if "explain_error" in found:
        out["explain_error"] = found["explain_error"]
    return out


def model_size(model: LinearModel) -> ModelSize:
    _, _, _, integer = model.column_arrays()
    nonzeros = sum(int((b.vals != 0).sum()) for b in model.constraints.values())
    return ModelSize(model.num_cols, model.num_rows, nonzeros, int(integer.sum()), model.is_mip)


def round_binaries(m: LinearModel, x: np.ndarray) -> np.ndarray:
    """Binary decisions rounded, so that no term carries solver round-off from an integer."""
    x = x.copy()
    for b in m.variables.values():
        if b.binary:
            x[b.start : b.start + b.size] = np.round(x[b.start : b.start + b.size])
    return x


def drop_idle_contracts(m: LinearModel, x: np.ndarray) -> np.ndarray:
    """A supplier paid its fixed cost yet delivering nothing (an incumbent cut off by a
    time limit can do that) is released: cheaper, and every constraint still holds."""
    active, buy = m.variables["active"], m.variables["buy"]
    if active.size == 0:
        return x
    delivered = np.bincount(
        buy.index["supplier"],
        weights=_values(buy, x),
        minlength=int(active.index["supplier"].max()) + 1,
    )
    idle = delivered[active.index["supplier"]] < TINY_KG
    x = x.copy()
    x[active.start : active.start + active.size][idle] = 0.0
    return x


def cost_terms(m: LinearModel, x: np.ndarray) -> Terms:
    def dot(name: str) -> float:
        b = m.variables[name]
        return float(b.cost @ x[b.start : b.start + b.size])

    v = m.variables
    return Terms(
        purchase=dot("buy") + dot("q"),  # a discounted delivery's cost sits on its brackets
        fixed=dot("active"),
        production=dot("make"),
        subsidy=float(x[v["subsidy"].start : v["subsidy"].start + v["subsidy"].size].sum()),
        build=dot("build"),
        holding=dot("inv"),
        shortage=dot("short"),
        qualification=dot("qual"),
        cap_excess=dot("excess"),
    )


def objective_of(terms: Terms) -> float:
    return terms.objective


def solution_plan(
    m: LinearModel,
    ix: ScenarioIndex,
    x: np.ndarray,
    status: PlanStatus,
    mip_gap: float | None = None,
) -> Plan:
    """The plan of a solution vector: binaries rounded, idle contracts released, terms
    and tables read off (no timings: see `outcome_plan`)."""
    x = drop_idle_contracts(m, round_binaries(m, x))
    terms = cost_terms(m, x)
    return Plan(status, terms.objective, terms, mip_gap, **_tables(m, ix, x))


def settled_plan(
    m: LinearModel,
    ix: ScenarioIndex,
    x: np.ndarray,
    status: PlanStatus,
    mip_gap: float | None = None,
) -> Plan:
    """The plan of a solution vector whose binaries are settled elsewhere (one outcome of
    a hedged plan, whose contracts are shared with outcomes that use them): terms and
    tables read off as they are, no contract released."""
    terms = cost_terms(m, x)
    return Plan(status, terms.objective, terms, mip_gap, **_tables(m, ix, x))


def _values(b: VarBlock, x: np.ndarray) -> np.ndarray:
    return x[b.start : b.start + b.size]


def _tables(m: LinearModel, ix: ScenarioIndex, x: np.ndarray) -> dict[str, Any]:
    v = m.variables
    per = ix.periods
    buy, make = v["buy"], v["make"]
    active, build = v["active"], v["build"]
    on = np.nonzero(_values(active, x) > 0.5)[0]
    suppliers = active.index["supplier"][on].tolist()
    built = np.nonzero(_values(build, x) > 0.5)[0]
    return {
        "deliveries": _deliveries(ix, buy, _values(buy, x), _bracket_costs(m, x)),
        "production": Table.of_columns(
            Production,
            *_columns(make, _values(make, x), ix.plant_ids, ix.product_ids, per),
        ),
        "consumption": Table.of_columns(
            Consumption,
            *_columns(
                v["use"],
                _values(v["use"], x),
                ix.product_ids,
                ix.country_ids,
                ix.sector_ids,
                per,
                keys=("product", "origin", "sector", "period"),
            ),
        ),
        "inventory": Table.of_columns(
            Stock,
            *_columns(
                v["inv"],
                _values(v["inv"], x),
                ix.product_ids,
                ix.country_ids,
                per,
                keys=("product", "origin", "period"),
            ),
        ),
        "shortages": Table.of_columns(
            Shortage,
            *_columns(
                v["short"],
                _values(v["short"], x),
                ix.product_ids,
                ix.sector_ids,
                per,
                keys=("product", "sector", "period"),
            ),
        ),
        "licences": _licence_use(ix, v["lic"], _values(v["lic"], x)),
        "contracts": Table.of_columns(
            Contract,
            [ix.supplier_ids[s] for s in suppliers],
            [float(ix.fixed_cost[s]) for s in suppliers],
        ),
        "plants_built": Table.of_columns(
            PlantBuilt,
            [ix.plant_ids[k] for k in build.index["plant"][built].tolist()],
            [per[t] for t in build.index["period"][built].tolist()],
        ),
        "origin_share": _origin_share(ix, buy, make, x),
        "qualified": _qualified(ix, v["qual"], x),
        "cap_excess": Table.of_columns(
            CapExcess,
            *_columns(
                v["excess"], _values(v["excess"], x), ix.country_ids, per, keys=("origin", "period")
            ),
        ),
    }


def _columns(
    b: VarBlock,
    values: np.ndarray,
    *labels: list[str],
    keys: tuple[str, ...] = ("plant", "product", "period"),
) -> list[list[Any]]:
    """The columns of the records with at least TINY_KG: each subscript's id (`keys`
    name the subscripts, in order), then kg."""
    keep = np.nonzero(values >= TINY_KG)[0]
    columns = [
        (np.asarray(ids, dtype=object)[b.index[key][keep]] if ids else np.zeros(0, object)).tolist()
        for key, ids in zip(keys, labels, strict=True)
    ]
    return [*columns, values[keep].tolist()]


def _bracket_costs(m: LinearModel, x: np.ndarray) -> np.ndarray:
    """Per buy column: its landed cost per kg, for a discounted delivery the landed cost
    of the bracket it is priced at (the bracket holding its kg; bracket 0 when none)."""
    buy, q = m.variables["buy"], m.variables["q"]
    landed = buy.cost.copy()
    if q.size == 0:
        return landed
    kg = _values(q, x)
    # the first bracket of each delivery, then the one holding the most kg
    order = np.lexsort((-kg, q.index["buy"]))
    first = np.unique(q.index["buy"][order], return_index=True)[1]
    landed[q.index["buy"][order[first]]] = q.cost[order[first]]
    return landed


def _qualified(ix: ScenarioIndex, qual: VarBlock, x: np.ndarray) -> Table[Qualified]:
    on = np.nonzero(_values(qual, x) > 0.5)[0]
    return Table.of_columns(
        Qualified,
        [ix.supplier_ids[s] for s in qual.index["supplier"][on].tolist()],
        [ix.periods[t] for t in qual.index["period"][on].tolist()],
    )


def _deliveries(
    ix: ScenarioIndex, buy: VarBlock, values: np.ndarray, landed_cost: np.ndarray
) -> Table[Delivery]:
    keys = ("supplier", "product", "period")
    *ids, kg = _columns(buy, values, ix.supplier_ids, ix.product_ids, ix.periods, keys=keys)
    keep = np.nonzero(values >= TINY_KG)[0]
    landed = landed_cost[keep].tolist()
    cost = [k * c for k, c in zip(kg, landed, strict=True)]
    return Table.of_columns(Delivery, *ids, kg, landed, cost)


def _licence_use(ix: ScenarioIndex, lic: VarBlock, values: np.ndarray) -> Table[LicenceUse]:
    used = np.bincount(lic.index["licence"], weights=values, minlength=len(ix.licence_ids))
    return Table.of_rows(
        LicenceUse,
        (
            LicenceUse(lic_.id, float(max(u, 0.0)), lic_.quantity)
            for lic_, u in zip(ix.scenario.licences, used, strict=True)
        ),
    )


def _origin_share(
    ix: ScenarioIndex, buy: VarBlock, make: VarBlock, x: np.ndarray
) -> Table[OriginShare]:
    n_o = len(ix.country_ids)
    key = np.concatenate([
        buy.index["period"] * n_o + ix.supplier_origin[buy.index["supplier"]],
        make.index["period"] * n_o + ix.plant_country[make.index["plant"]],
    ])  # fmt: skip
    kg = np.concatenate([_values(buy, x), _values(make, x)])
    supply = np.bincount(key, weights=kg, minlength=ix.T * n_o).reshape(ix.T, n_o)
    total = supply.sum(axis=1)
    t, o = np.nonzero(supply >= TINY_KG)
    return Table.of_rows(
        OriginShare,
        (
            OriginShare(ix.periods[ti], ix.country_ids[oi], float(supply[ti, oi] / total[ti]))
            for ti, oi in zip(t.tolist(), o.tolist(), strict=True)
        ),
    )
