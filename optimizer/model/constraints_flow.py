"""Material flow and capacity: MODEL.md §3.1–3.3, one function per constraint family."""

from __future__ import annotations

import numpy as np

from optimizer.model.indexing import ScenarioIndex
from optimizer.model.lp import INF, LinearModel, RowBlock, VarBlock

Entries = list[tuple[np.ndarray, np.ndarray, np.ndarray | float]]  # (local row, column, value)
# What gates a supplier_capacity row (its index field `gate`): active[s] (or nothing, where
# the supplier has no fixed cost), or order[s,t] for the ceiling of a minimum order.
GATES = ("active", "order")


def dense_positions(shape: tuple[int, ...], *keys: np.ndarray) -> np.ndarray:
    """A lookup array of `shape` holding each key tuple's position, -1 elsewhere."""
    out = np.full(shape, -1, np.int64)
    out[keys] = np.arange(len(keys[0]))
    return out


def add_stock_balance(m: LinearModel, ix: ScenarioIndex, v: dict[str, VarBlock]) -> RowBlock:
    """inv[t] − inv[t−1] − Σ buy − Σ make + Σ use = initial (t = 0) or 0; one row per inv column."""
    inv, buy, make, use = v["inv"], v["buy"], v["make"], v["use"]
    T = ix.T
    pair = dense_positions(ix.stocked.shape, *np.nonzero(ix.stocked))
    p, o, t = inv.index["product"], inv.index["origin"], inv.index["period"]
    rows = np.arange(inv.size)
    prev = t > 0
    buy_row = (
        pair[buy.index["product"], ix.supplier_origin[buy.index["supplier"]]] * T
        + buy.index["period"]
    )
    make_row = (
        pair[make.index["product"], ix.plant_country[make.index["plant"]]] * T
        + make.index["period"]
    )
    use_row = pair[use.index["product"], use.index["origin"]] * T + use.index["period"]
    rhs = np.where(t == 0, ix.initial_inventory[p, o], 0.0)
    entries = [
        (rows, inv.cols, 1.0),
        (rows[prev], inv.cols[prev] - 1, -1.0),  # inv columns are ordered by pair, then period
        (buy_row, buy.cols, -1.0),
        (make_row, make.cols, -1.0),
        (use_row, use.cols, 1.0),
    ]
    return m.add_constraints("stock_balance", dict(inv.index), rhs, rhs, entries, inv.size)


def add_demand(m: LinearModel, ix: ScenarioIndex, v: dict[str, VarBlock]) -> RowBlock:
    """Σ_o use + short = demand, for every demand row with quantity > 0 (others force use = 0)."""
    use, short = v["use"], v["short"]
    p, e, t = short.index["product"], short.index["sector"], short.index["period"]
    row_of = dense_positions(ix.demand.shape, p, e, t)
    use_row = row_of[use.index["product"], use.index["sector"], use.index["period"]]
    qty = ix.demand[p, e, t]
    entries = [(np.arange(short.size), short.cols, 1.0), (use_row, use.cols, 1.0)]
    return m.add_constraints("demand", dict(short.index), qty, qty, entries, short.size)


def pairs_in_use(
    owner: np.ndarray, period: np.ndarray, owners: int, T: int
) -> tuple[np.ndarray, ...]:
    """Distinct (owner, period) pairs among columns, ordered by owner then period, and
    each column's position among them; a dense grid, as sorting would cost more."""
    grid = np.zeros((owners, T), bool)
    grid[owner, period] = True
    s, t = np.nonzero(grid)
    return s, t, dense_positions((owners, T), s, t)[owner, period]


def add_supplier_capacity(m: LinearModel, ix: ScenarioIndex, v: dict[str, VarBlock]) -> RowBlock:
    """Σ_p buy[s,p,t] <= capacity[s,t] · (active[s] where fixed_cost > 0, else 1), one row per
    (supplier, period) with deliveries (gate "active"); then, where min_order > 0, the
    ceiling of the minimum order Σ_p buy[s,p,t] <= capacity[s,t] · order[s,t] (gate "order").

    Both rows bound the same capacity, so they are one family: the API reports a dual on
    either as the value of that capacity. The floor of the minimum order is `min_order`.
    """
    buy, active = v["buy"], v["active"]
    s, t, row = pairs_in_use(buy.index["supplier"], buy.index["period"], len(ix.supplier_ids), ix.T)
    cap = ix.supplier_capacity[s, t]
    active_col = np.full(len(ix.supplier_ids), -1, np.int64)
    active_col[active.index["supplier"]] = active.cols
    gated = active_col[s] >= 0
    entries: Entries = [
        (row, buy.cols, 1.0),
        (np.nonzero(gated)[0], active_col[s[gated]], -cap[gated]),
    ]
    order_s, order_t, ceiling = _order_ceilings(ix, v, first_row=len(s))
    index = {
        "supplier": np.concatenate([s, order_s]),
        "period": np.concatenate([t, order_t]),
        "gate": np.repeat(np.arange(len(GATES)), [len(s), len(order_s)]),
    }
    upper = np.concatenate([np.where(gated, 0.0, cap), np.zeros(len(order_s))])
    n = len(s) + len(order_s)
    return m.add_constraints("supplier_capacity", index, -INF, upper, entries + ceiling, n)


def _order_rows(ix: ScenarioIndex, v: dict[str, VarBlock]) -> tuple[np.ndarray, ...]:
    """The (supplier, period) of each order column, and each buy column's order row (-1:
    none). order[s,t] exists exactly for the pairs with min_order > 0 that have deliveries,
    so row i of the ceiling and of the floor belongs to order column i."""
    buy, order = v["buy"], v["order"]
    s, t = order.index["supplier"], order.index["period"]
    order_row = dense_positions((len(ix.supplier_ids), ix.T), s, t)
    return s, t, order_row[buy.index["supplier"], buy.index["period"]]


def _order_ceilings(
    ix: ScenarioIndex, v: dict[str, VarBlock], first_row: int
) -> tuple[np.ndarray, np.ndarray, Entries]:
    """Σ_p buy[s,p,t] − capacity[s,t] · order[s,t] <= 0, rows numbered from `first_row`."""
    buy, order = v["buy"], v["order"]
    s, t, buy_row = _order_rows(ix, v)
    on = buy_row >= 0
    rows = first_row + np.arange(order.size)
    entries: Entries = [
        (first_row + buy_row[on], buy.cols[on], 1.0),
        (rows, order.cols, -ix.supplier_capacity[s, t]),
    ]
    return s, t, entries


def add_min_order(m: LinearModel, ix: ScenarioIndex, v: dict[str, VarBlock]) -> RowBlock:
    """min_order · order[s,t] <= Σ_p buy[s,p,t], where min_order > 0 (the ceiling
    Σ_p buy <= capacity · order is a `supplier_capacity` row)."""
    buy, order = v["buy"], v["order"]
    s, t, buy_row = _order_rows(ix, v)
    on = buy_row >= 0
    entries: Entries = [
        (buy_row[on], buy.cols[on], 1.0),
        (np.arange(order.size), order.cols, -ix.min_order[s]),
    ]
    index = {"supplier": s, "period": t}
    return m.add_constraints("min_order", index, 0.0, INF, entries, order.size)


def add_plant_capacity(m: LinearModel, ix: ScenarioIndex, v: dict[str, VarBlock]) -> RowBlock:
    """Σ_p make[k,p,t] <= capacity[k,t] (existing) or capacity[k,t] · Σ_{τ<=t−build_lead} build[k,τ]."""
    make, build = v["make"], v["build"]
    plants = ix.scenario.plants
    k, t, row = pairs_in_use(make.index["plant"], make.index["period"], len(plants), ix.T)
    cap = ix.plant_capacity[k, t]
    existing = np.array([p.existing for p in plants], bool)[k]
    # Candidate plants: the row for (k, t) lists every build[k, τ] with τ <= t − build_lead.
    lead = np.array([min(p.build_lead, ix.T) for p in plants], np.int64)  # past the horizon = never
    bk, bt = build.index["plant"], build.index["period"]
    row_of = dense_positions((len(plants), ix.T), k, t)
    rr, cc, vv = [], [], []
    for j in np.unique(bk):  # one pass per candidate plant, arrays inside
        mine = np.nonzero(bk == j)[0]
        periods = np.arange(ix.T)
        ok = (bt[mine][None, :] <= periods[:, None] - lead[j]) & (row_of[j][:, None] >= 0)
        tt, bi = np.nonzero(ok)
        rr.append(row_of[j, tt])
        cc.append(build.cols[mine[bi]])
        vv.append(-ix.plant_capacity[j, tt])
    entries: Entries = [(row, make.cols, 1.0)]
    if rr:
        entries.append((np.concatenate(rr), np.concatenate(cc), np.concatenate(vv)))
    upper = np.where(existing, cap, 0.0)
    return m.add_constraints(
        "plant_capacity", {"plant": k, "period": t}, -INF, upper, entries, len(k)
    )


def add_build_once(m: LinearModel, ix: ScenarioIndex, v: dict[str, VarBlock]) -> RowBlock:
    """Σ_τ build[k,τ] <= 1 for every candidate plant."""
    build = v["build"]
    plants, row = np.unique(build.index["plant"], return_inverse=True)
    entries = [(row, build.cols, 1.0)]
    return m.add_constraints("build_once", {"plant": plants}, -INF, 1.0, entries, len(plants))
