"""Licences and policy: MODEL.md §3.4–3.5, one function per constraint family."""

from __future__ import annotations

import numpy as np

from optimizer.model.constraints_flow import Entries, dense_positions
from optimizer.model.indexing import ScenarioIndex
from optimizer.model.lp import INF, LinearModel, RowBlock, VarBlock
from optimizer.model.variables import soft_caps


def add_licence_required(m: LinearModel, ix: ScenarioIndex, v: dict[str, VarBlock]) -> RowBlock:
    """buy[s,p,t] = Σ_l lic[l,s,p,t] for licence-required suppliers (no cover ⇒ buy = 0)."""
    buy, lic = v["buy"], v["lic"]
    needs = np.nonzero(ix.licence_required[buy.index["supplier"]])[0]
    row_of = np.full(buy.size, -1, np.int64)
    row_of[needs] = np.arange(len(needs))
    index = {k: a[needs] for k, a in buy.index.items()}
    entries = [
        (np.arange(len(needs)), buy.cols[needs], 1.0),
        (row_of[lic.index["buy"]], lic.cols, -1.0),
    ]
    return m.add_constraints("licence_required", index, 0.0, 0.0, entries, len(needs))


def add_licence(m: LinearModel, ix: ScenarioIndex, v: dict[str, VarBlock]) -> RowBlock:
    """Σ_{s,p,t} lic[l,s,p,t] <= quantity[l] for every licence."""
    lic = v["lic"]
    qty = np.array([licence.quantity for licence in ix.scenario.licences], float)
    n = len(qty)
    entries = [(lic.index["licence"], lic.cols, 1.0)]
    return m.add_constraints("licence", {"licence": np.arange(n)}, -INF, qty, entries, n)


def _supply_columns(
    ix: ScenarioIndex, v: dict[str, VarBlock]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every delivery and production column with its origin and period."""
    buy, make = v["buy"], v["make"]
    cols = np.concatenate([buy.cols, make.cols])
    origin = np.concatenate(
        [ix.supplier_origin[buy.index["supplier"]], ix.plant_country[make.index["plant"]]]
    )
    period = np.concatenate([buy.index["period"], make.index["period"]])
    return cols, origin, period


def add_origin_share(m: LinearModel, ix: ScenarioIndex, v: dict[str, VarBlock]) -> RowBlock:
    """Per capped origin o and period t: supply of origin o − share[o] · all supply <= 0;
    under an origin_share_penalty (MODEL.md §7) the row's right-hand side gains excess[o,t]."""
    caps = soft_caps(ix)
    cols, origin, period = _supply_columns(ix, v)
    rr, cc, vv = [], [], []
    for j, (o, share, _) in enumerate(caps):  # one pass per capped origin, arrays inside
        rr.append(j * ix.T + period)
        cc.append(cols)
        vv.append(np.where(origin == o, 1.0 - share, -share))
    excess = v["excess"]
    soft = np.array([j for j, (_, _, penalty) in enumerate(caps) if penalty is not None], np.int64)
    rr.append(np.repeat(soft * ix.T, ix.T) + excess.index["period"])
    cc.append(excess.cols)
    vv.append(-np.ones(excess.size))
    entries = [(np.concatenate(rr), np.concatenate(cc), np.concatenate(vv))] if caps else []
    o_idx = np.repeat(np.array([o for o, _, _ in caps], np.int64), ix.T)
    t_idx = np.tile(np.arange(ix.T), len(caps))
    n = len(caps) * ix.T
    return m.add_constraints(
        "origin_share", {"origin": o_idx, "period": t_idx}, -INF, 0.0, entries, n
    )


def add_supply_total(m: LinearModel, ix: ScenarioIndex, v: dict[str, VarBlock]) -> RowBlock:
    """Identity: supply_total[p] = Σ_{s,t} buy[s,p,t], for the supplier-share rows to use.

    No rows where supply_total has no columns (a supplier share of 1 caps nothing).
    """
    buy, total = v["buy"], v["supply_total"]
    p = total.index["product"]
    on = total.size > 0
    sums: Entries = [(buy.index["product"], buy.cols, -1.0), (p, total.cols, 1.0)] if on else []
    return m.add_constraints("supply_total", {"product": p}, 0.0, 0.0, sums, total.size)


def add_supplier_share(m: LinearModel, ix: ScenarioIndex, v: dict[str, VarBlock]) -> RowBlock:
    """Σ_t buy[s,p,t] <= max_supplier_share · supply_total[p], per offer (s, p); no rows
    where the share is 1 (supply_total then has no columns)."""
    buy, total = v["buy"], v["supply_total"]
    offer = ix.supplier_offers
    n = len(offer.owner) if total.size else 0
    share = ix.scenario.policy.max_supplier_share
    caps: Entries = (
        [(buy.index["offer"], buy.cols, 1.0), (np.arange(n), total.cols[offer.product], -share)]
        if n
        else []
    )
    index = {"supplier": offer.owner[:n], "product": offer.product[:n]}
    return m.add_constraints("supplier_share", index, -INF, 0.0, caps, n)


def add_safety_stock(m: LinearModel, ix: ScenarioIndex, v: dict[str, VarBlock]) -> RowBlock:
    """Σ_o inv[p,o,t] >= min_inventory[p] for products with a safety stock, every period."""
    inv = v["inv"]
    products = np.nonzero(ix.min_inventory > 0)[0]
    row_of = np.full(len(ix.product_ids), -1, np.int64)
    row_of[products] = np.arange(len(products))
    base = row_of[inv.index["product"]]
    on = base >= 0
    entries = [(base[on] * ix.T + inv.index["period"][on], inv.cols[on], 1.0)]
    n = len(products) * ix.T
    index = {
        "product": np.repeat(products, ix.T),
        "period": np.tile(np.arange(ix.T), len(products)),
    }
    return m.add_constraints(
        "safety_stock", index, np.repeat(ix.min_inventory[products], ix.T), INF, entries, n
    )


def add_budget(m: LinearModel, ix: ScenarioIndex, v: dict[str, VarBlock]) -> RowBlock:
    """Σ landed cost · buy + Σ production cost · make <= budget[t], when a budget is set; a
    discounted delivery counts at its bracket's landed cost (Σ_b c[s,p,t,b] · q[s,p,t,b])."""
    budget = ix.budget
    if budget is None:
        return m.add_constraints("budget", {"period": np.zeros(0, np.int64)}, -INF, INF, [], 0)
    buy, make, q = v["buy"], v["make"], v["q"]
    entries = [
        (buy.index["period"], buy.cols, buy.cost),
        (make.index["period"], make.cols, make.cost),
        (q.index["period"], q.cols, q.cost),
    ]
    return m.add_constraints("budget", {"period": np.arange(ix.T)}, -INF, budget, entries, ix.T)


def add_subsidy_limit(m: LinearModel, ix: ScenarioIndex, v: dict[str, VarBlock]) -> RowBlock:
    """subsidy[k] <= incentive[k] · Σ_{p,t} make[k,p,t]; the cap is the column's upper bound."""
    make, subsidy = v["make"], v["subsidy"]
    k = subsidy.index["plant"]
    row_of = dense_positions((len(ix.plant_ids),), k)
    mrow = row_of[make.index["plant"]]
    on = mrow >= 0
    incentive = np.array([p.incentive for p in ix.scenario.plants], float)
    entries = [
        (np.arange(len(k)), subsidy.cols, 1.0),
        (mrow[on], make.cols[on], -incentive[make.index["plant"][on]]),
    ]
    return m.add_constraints("subsidy_limit", {"plant": k}, -INF, 0.0, entries, len(k))
