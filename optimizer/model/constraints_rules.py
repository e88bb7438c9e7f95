"""Sourcing rules: MODEL.md §7, one function per constraint family.

Quantity discounts (`discount_split`, `discount_choice`, `discount_floor`,
`discount_ceiling`), the most suppliers per product (`supplier_selection`,
`max_suppliers`), supplier qualification (`qualified_supply`, `qualify_once`) and service
levels (`min_service`). Soft origin caps change the `origin_share` rows themselves
(`constraints_policy.py`). A scenario without the rules gets no row from here.
"""

from __future__ import annotations

import numpy as np

from optimizer.model.constraints_flow import Entries, dense_positions, pairs_in_use
from optimizer.model.indexing import ScenarioIndex
from optimizer.model.lp import INF, LinearModel, RowBlock, VarBlock
from optimizer.model.variables import bracket_position


def _discounted_buys(v: dict[str, VarBlock]) -> tuple[np.ndarray, np.ndarray]:
    """The buy columns (local) that have brackets, and each q column's row among them."""
    return np.unique(v["q"].index["buy"], return_inverse=True)


def _buy_index(v: dict[str, VarBlock], local: np.ndarray) -> dict[str, np.ndarray]:
    buy = v["buy"]
    return {k: buy.index[k][local] for k in ("supplier", "product", "period")}


def add_discount_split(m: LinearModel, ix: ScenarioIndex, v: dict[str, VarBlock]) -> RowBlock:
    """Identity: buy[s,p,t] = Σ_b q[s,p,t,b], for every delivery of a discounted offer."""
    buy, q = v["buy"], v["q"]
    local, row = _discounted_buys(v)
    n = len(local)
    entries: Entries = [(np.arange(n), buy.cols[local], 1.0), (row, q.cols, -1.0)]
    return m.add_constraints("discount_split", _buy_index(v, local), 0.0, 0.0, entries, n)


def add_discount_choice(m: LinearModel, ix: ScenarioIndex, v: dict[str, VarBlock]) -> RowBlock:
    """Σ_b y[s,p,t,b] <= 1: a delivery is priced at one bracket at most."""
    local, row = _discounted_buys(v)
    n = len(local)
    entries: Entries = [(row, v["y"].cols, 1.0)]
    return m.add_constraints("discount_choice", _buy_index(v, local), -INF, 1.0, entries, n)


def add_discount_floor(m: LinearModel, ix: ScenarioIndex, v: dict[str, VarBlock]) -> RowBlock:
    """min_kg[b] · y[s,p,t,b] <= q[s,p,t,b] for each bracket b >= 1 (bracket 0 starts at 0)."""
    q, y = v["q"], v["y"]
    b = np.nonzero(q.index["bracket"] > 0)[0]
    at = bracket_position(ix, q.index["offer"][b], q.index["bracket"][b])
    rows = np.arange(len(b))
    entries: Entries = [(rows, q.cols[b], 1.0), (rows, y.cols[b], -ix.brackets.min_kg[at])]
    index = {k: q.index[k][b] for k in ("supplier", "product", "period", "bracket")}
    return m.add_constraints("discount_floor", index, 0.0, INF, entries, len(b))


def add_discount_ceiling(m: LinearModel, ix: ScenarioIndex, v: dict[str, VarBlock]) -> RowBlock:
    """q[s,p,t,b] <= capacity[s,t] · y[s,p,t,b] for every bracket."""
    q, y = v["q"], v["y"]
    s, t = q.index["supplier"], q.index["period"]
    rows = np.arange(q.size)
    entries: Entries = [(rows, q.cols, 1.0), (rows, y.cols, -ix.supplier_capacity[s, t])]
    index = {k: q.index[k] for k in ("supplier", "product", "period", "bracket")}
    return m.add_constraints("discount_ceiling", index, -INF, 0.0, entries, q.size)


def add_supplier_selection(m: LinearModel, ix: ScenarioIndex, v: dict[str, VarBlock]) -> RowBlock:
    """buy[s,p,t] <= capacity[s,t] · u[s,p] for every delivery of a product whose number
    of suppliers is capped."""
    buy, u = v["buy"], v["u"]
    u_of_offer = dense_positions((len(ix.supplier_offers.owner),), u.index["offer"])
    gate = u_of_offer[buy.index["offer"]]
    local = np.nonzero(gate >= 0)[0]
    s, t = buy.index["supplier"][local], buy.index["period"][local]
    rows = np.arange(len(local))
    entries: Entries = [
        (rows, buy.cols[local], 1.0),
        (rows, u.cols[gate[local]], -ix.supplier_capacity[s, t]),
    ]
    n = len(local)
    return m.add_constraints("supplier_selection", _buy_index(v, local), -INF, 0.0, entries, n)


def add_max_suppliers(m: LinearModel, ix: ScenarioIndex, v: dict[str, VarBlock]) -> RowBlock:
    """Σ_s u[s,p] <= max_suppliers[p], for every capped product that someone offers."""
    u = v["u"]
    limits = ix.scenario.policy.max_suppliers
    capped = [ix.product_pos[p] for p in limits]
    products = np.array([p for p in capped if (u.index["product"] == p).any()], np.int64)
    row_of = dense_positions((len(ix.product_ids),), products)
    entries: Entries = [(row_of[u.index["product"]], u.cols, 1.0)]
    most = np.array([limits[ix.product_ids[p]] for p in products], float)
    n = len(products)
    return m.add_constraints("max_suppliers", {"product": products}, -INF, most, entries, n)


def add_qualified_supply(m: LinearModel, ix: ScenarioIndex, v: dict[str, VarBlock]) -> RowBlock:
    """Σ_p buy[s,p,t] <= capacity[s,t] · Σ_{τ <= t − lead} qual[s,τ], for every period a
    supplier awaiting qualification could deliver in."""
    buy, qual = v["buy"], v["qual"]
    pending = ~np.isnan(ix.qualification_cost)
    local = np.nonzero(pending[buy.index["supplier"]])[0]
    S = len(ix.supplier_ids)
    s, t, row = pairs_in_use(buy.index["supplier"][local], buy.index["period"][local], S, ix.T)
    row_of = dense_positions((S, ix.T), s, t)
    qs, qt = qual.index["supplier"], qual.index["period"]
    # qual[s,τ] gates every row (s, t) with t >= τ + lead
    later = np.arange(ix.T)[None, :] >= (qt + ix.qualification_lead[qs])[:, None]
    col, tt = np.nonzero(later & (row_of[qs] >= 0))
    entries: Entries = [
        (row, buy.cols[local], 1.0),
        (row_of[qs[col], tt], qual.cols[col], -ix.supplier_capacity[qs[col], tt]),
    ]
    index = {"supplier": s, "period": t}
    return m.add_constraints("qualified_supply", index, -INF, 0.0, entries, len(s))


def add_qualify_once(m: LinearModel, ix: ScenarioIndex, v: dict[str, VarBlock]) -> RowBlock:
    """Σ_τ qual[s,τ] <= 1 for every supplier awaiting qualification."""
    qual = v["qual"]
    suppliers, row = np.unique(qual.index["supplier"], return_inverse=True)
    entries: Entries = [(row, qual.cols, 1.0)]
    n = len(suppliers)
    return m.add_constraints("qualify_once", {"supplier": suppliers}, -INF, 1.0, entries, n)


def add_min_service(m: LinearModel, ix: ScenarioIndex, v: dict[str, VarBlock]) -> RowBlock:
    """Σ_{p,t} short[p,e,t] <= (1 − min_service[e]) · Σ_{p,t} demand[p,e,t], for sectors
    with a service level above 0 and some demand (at 0 the row cannot bind)."""
    short = v["short"]
    total = ix.demand.sum(axis=(0, 2))
    level = np.nan_to_num(ix.min_service, nan=0.0)
    sectors = np.nonzero((level > 0) & (total > 0))[0]
    row_of = dense_positions((len(ix.sector_ids),), sectors)
    r = row_of[short.index["sector"]]
    on = r >= 0
    entries: Entries = [(r[on], short.cols[on], 1.0)]
    most = (1 - level[sectors]) * total[sectors]
    n = len(sectors)
    return m.add_constraints("min_service", {"sector": sectors}, -INF, most, entries, n)
