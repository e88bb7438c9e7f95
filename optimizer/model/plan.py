"""Reads a solution vector back into the plan of MODEL.md §4."""

from __future__ import annotations

from typing import Any

import numpy as np

from optimizer.model.indexing import ScenarioIndex
from optimizer.model.lp import LinearModel, VarBlock
from optimizer.model.status import PlanStatus

TERMS = ("purchase", "fixed", "production", "subsidy", "build", "holding", "shortage")
TABLES = (
    "deliveries", "production", "consumption", "inventory", "shortages",
    "licences", "contracts", "plants_built", "origin_share",
)  # fmt: skip
TINY_KG = 1e-6  # quantities below this are solver noise and left out of the tables


def empty_plan(status: PlanStatus, message: str = "") -> dict[str, Any]:
    plan: dict[str, Any] = {
        "status": str(status),
        "objective": None,
        "terms": None,
        "mip_gap": None,
    }
    plan.update({table: [] for table in TABLES})
    if message:
        plan["message"] = message
    return plan


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


def cost_terms(m: LinearModel, x: np.ndarray) -> dict[str, float]:
    def dot(name: str) -> float:
        b = m.variables[name]
        return float(b.cost @ x[b.start : b.start + b.size])

    v = m.variables
    return {
        "purchase": dot("buy"),
        "fixed": dot("active"),
        "production": dot("make"),
        "subsidy": float(x[v["subsidy"].start : v["subsidy"].start + v["subsidy"].size].sum()),
        "build": dot("build"),
        "holding": dot("inv"),
        "shortage": dot("short"),
    }


def objective_of(terms: dict[str, float]) -> float:
    t = terms
    return (
        t["purchase"]
        + t["fixed"]
        + t["production"]
        - t["subsidy"]
        + t["build"]
        + t["holding"]
        + t["shortage"]
    )


def solution_plan(
    m: LinearModel, ix: ScenarioIndex, x: np.ndarray, status: PlanStatus
) -> dict[str, Any]:
    x = drop_idle_contracts(m, round_binaries(m, x))
    terms = cost_terms(m, x)
    plan: dict[str, Any] = {"status": str(status), "objective": objective_of(terms), "terms": terms}
    plan["mip_gap"] = None
    plan.update(_tables(m, ix, x))
    return plan


def _values(b: VarBlock, x: np.ndarray) -> np.ndarray:
    return x[b.start : b.start + b.size]


def _tables(m: LinearModel, ix: ScenarioIndex, x: np.ndarray) -> dict[str, list[dict[str, Any]]]:
    v = m.variables
    per = ix.periods
    buy, make = v["buy"], v["make"]
    return {
        "deliveries": _deliveries(ix, buy, _values(buy, x)),
        "production": _records(
            make, _values(make, x), plant=ix.plant_ids, product=ix.product_ids, period=per
        ),
        "consumption": _records(
            v["use"],
            _values(v["use"], x),
            product=ix.product_ids,
            origin=ix.country_ids,
            sector=ix.sector_ids,
            period=per,
        ),  # fmt: skip
        "inventory": _records(
            v["inv"],
            _values(v["inv"], x),
            product=ix.product_ids,
            origin=ix.country_ids,
            period=per,
        ),
        "shortages": _records(
            v["short"],
            _values(v["short"], x),
            product=ix.product_ids,
            sector=ix.sector_ids,
            period=per,
        ),
        "licences": _licence_use(ix, v["lic"], _values(v["lic"], x)),
        "contracts": [
            {"supplier": ix.supplier_ids[s], "fixed_cost": float(ix.fixed_cost[s])}
            for s, on in zip(v["active"].index["supplier"], _values(v["active"], x), strict=True)
            if on > 0.5
        ],
        "plants_built": [
            {"plant": ix.plant_ids[k], "period": per[t]}
            for k, t, on in zip(
                v["build"].index["plant"],
                v["build"].index["period"],
                _values(v["build"], x),
                strict=True,
            )
            if on > 0.5
        ],
        "origin_share": _origin_share(ix, buy, make, x),
    }


def _records(b: VarBlock, values: np.ndarray, **labels: list[str]) -> list[dict[str, Any]]:
    """One record per column with at least TINY_KG, keyed by each subscript's id, plus kg."""
    keep = np.nonzero(values >= TINY_KG)[0]
    columns = {
        key: np.asarray(ids, dtype=object)[b.index[key][keep]] if ids else np.zeros(0, object)
        for key, ids in labels.items()
    }
    kg = values[keep].tolist()
    keys = list(labels)
    rows = zip(*(columns[k].tolist() for k in keys), kg, strict=True)
    return [dict(zip([*keys, "kg"], row, strict=True)) for row in rows]


def _deliveries(ix: ScenarioIndex, buy: VarBlock, values: np.ndarray) -> list[dict[str, Any]]:
    records = _records(
        buy, values, supplier=ix.supplier_ids, product=ix.product_ids, period=ix.periods
    )
    keep = np.nonzero(values >= TINY_KG)[0]
    for rec, c in zip(records, buy.cost[keep].tolist(), strict=True):
        rec["landed_cost"] = c
        rec["cost"] = rec["kg"] * c
    return records


def _licence_use(ix: ScenarioIndex, lic: VarBlock, values: np.ndarray) -> list[dict[str, Any]]:
    used = np.bincount(lic.index["licence"], weights=values, minlength=len(ix.licence_ids))
    return [
        {"licence": lic_.id, "used": float(max(u, 0.0)), "quantity": lic_.quantity}
        for lic_, u in zip(ix.scenario.licences, used, strict=True)
    ]


def _origin_share(
    ix: ScenarioIndex, buy: VarBlock, make: VarBlock, x: np.ndarray
) -> list[dict[str, Any]]:
    n_o = len(ix.country_ids)
    key = np.concatenate([
        buy.index["period"] * n_o + ix.supplier_origin[buy.index["supplier"]],
        make.index["period"] * n_o + ix.plant_country[make.index["plant"]],
    ])  # fmt: skip
    kg = np.concatenate([_values(buy, x), _values(make, x)])
    supply = np.bincount(key, weights=kg, minlength=ix.T * n_o).reshape(ix.T, n_o)
    total = supply.sum(axis=1)
    t, o = np.nonzero(supply >= TINY_KG)
    return [
        {
            "period": ix.periods[ti],
            "origin": ix.country_ids[oi],
            "share": float(supply[ti, oi] / total[ti]),
        }
        for ti, oi in zip(t.tolist(), o.tolist(), strict=True)
    ]
