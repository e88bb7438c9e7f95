"""The decision variables of MODEL.md §3, one function per family.

Columns exist only where the model allows a non-zero value (a supplier's offers from
its lead time on, consumption of an allowed origin where there is demand, stock of an
origin that can ever hold the product). Omitting forced zeros leaves the optimum
unchanged and keeps large scenarios small.
"""

from __future__ import annotations

import numpy as np

from optimizer.model.indexing import ScenarioIndex
from optimizer.model.lp import LinearModel, VarBlock


def landed_cost(ix: ScenarioIndex) -> np.ndarray:
    """c[i, t] for every supplier offer i: price × index × (1 + tariff) + freight (MODEL.md §2)."""
    so = ix.supplier_offers
    country = ix.supplier_country[so.owner]
    index = ix.price_index[so.owner] if len(so.owner) else np.zeros((0, ix.T))
    return (
        so.price[:, None] * index * (1 + ix.tariff[country])[:, None] + ix.freight[country][:, None]
    )


def discounted(ix: ScenarioIndex) -> np.ndarray:
    """Per supplier offer: it has quantity discounts (MODEL.md §7)."""
    return np.bincount(ix.brackets.offer, minlength=len(ix.supplier_offers.owner)) > 0


def add_buy(m: LinearModel, ix: ScenarioIndex) -> VarBlock:
    """buy[s,p,t] at its landed cost; a discounted offer's cost sits on its brackets `q`."""
    so = ix.supplier_offers
    open_ = np.arange(ix.T)[None, :] >= ix.lead_time[so.owner][:, None]
    offer, t = np.nonzero(open_)
    cost = np.where(discounted(ix)[offer], 0.0, landed_cost(ix)[offer, t])
    index = {"offer": offer, "supplier": so.owner[offer], "product": so.product[offer], "period": t}
    return m.add_variables("buy", index, cost)


def add_make(m: LinearModel, ix: ScenarioIndex) -> VarBlock:
    ko = ix.plant_offers
    offer, t = np.divmod(np.arange(len(ko.owner) * ix.T), ix.T)
    index = {"offer": offer, "plant": ko.owner[offer], "product": ko.product[offer], "period": t}
    return m.add_variables("make", index, ko.price[offer])


def add_use(m: LinearModel, ix: ScenarioIndex) -> VarBlock:
    """use[p,o,e,t] for demand rows with quantity > 0 and origins allowed and stocked."""
    p, e, t = np.nonzero(ix.demand > 0)
    n_o = len(ix.country_ids)
    row = np.repeat(np.arange(len(p)), n_o)
    o = np.tile(np.arange(n_o), len(p))
    keep = ix.allowed[o, e[row]] & ix.stocked[p[row], o]
    row, o = row[keep], o[keep]
    index = {"product": p[row], "origin": o, "sector": e[row], "period": t[row]}
    return m.add_variables("use", index, np.zeros(len(row)))


def add_inventory(m: LinearModel, ix: ScenarioIndex) -> VarBlock:
    p, o = np.nonzero(ix.stocked)
    pair, t = np.divmod(np.arange(len(p) * ix.T), ix.T)
    cost = ix.holding_cost[p[pair]]
    return m.add_variables("inv", {"product": p[pair], "origin": o[pair], "period": t}, cost)


def add_shortage(m: LinearModel, ix: ScenarioIndex) -> VarBlock:
    p, e, t = np.nonzero(ix.demand > 0)
    index = {"product": p, "sector": e, "period": t}
    return m.add_variables("short", index, ix.shortage_penalty[e])


def add_licence_use(m: LinearModel, ix: ScenarioIndex, buy: VarBlock) -> VarBlock:
    """lic[l,s,p,t] for every buy column of a licence-required supplier that licence l covers."""
    sc = ix.scenario
    n_l = len(sc.licences)
    covers_s = np.zeros((n_l, len(ix.supplier_ids)), bool)
    covers_p = np.zeros((n_l, len(ix.product_ids)), bool)
    covers_t = np.zeros((n_l, ix.T), bool)
    for li, lic in enumerate(sc.licences):
        covers_s[li, [ix.supplier_pos[s] for s in lic.suppliers]] = True
        covers_p[
            li,
            [ix.product_pos[p] for p in lic.products] if lic.products is not None else slice(None),
        ] = True
        covers_t[
            li, [ix.period_pos[t] for t in lic.periods] if lic.periods is not None else slice(None)
        ] = True
    covers_s &= ix.licence_required[None, :]
    lic_pos, col = _covered_columns(buy, covers_s, covers_p, covers_t)
    s, p, t = buy.index["supplier"], buy.index["product"], buy.index["period"]
    index = {
        "licence": lic_pos,
        "buy": col,
        "supplier": s[col],
        "product": p[col],
        "period": t[col],
    }
    return m.add_variables("lic", index, np.zeros(len(col)))


def add_active(m: LinearModel, ix: ScenarioIndex) -> VarBlock:
    has_offer = np.bincount(ix.supplier_offers.owner, minlength=len(ix.supplier_ids)) > 0
    s = np.nonzero((ix.fixed_cost > 0) & has_offer)[0]
    return m.add_variables("active", {"supplier": s}, ix.fixed_cost[s], upper=1.0, binary=True)


def add_order(m: LinearModel, ix: ScenarioIndex) -> VarBlock:
    has_offer = np.bincount(ix.supplier_offers.owner, minlength=len(ix.supplier_ids)) > 0
    open_ = (np.arange(ix.T)[None, :] >= ix.lead_time[:, None]) & ((ix.min_order > 0) & has_offer)[
        :, None
    ]
    s, t = np.nonzero(open_)
    return m.add_variables(
        "order", {"supplier": s, "period": t}, np.zeros(len(s)), upper=1.0, binary=True
    )


def add_build(m: LinearModel, ix: ScenarioIndex) -> VarBlock:
    plants = ix.scenario.plants
    earliest = np.array([k.earliest_build if not k.existing else ix.T for k in plants], np.int64)
    k, t = np.nonzero(np.arange(ix.T)[None, :] >= earliest[:, None])
    cost = np.array([p.build_cost for p in plants], float)[k] if len(k) else np.zeros(0)
    return m.add_variables("build", {"plant": k, "period": t}, cost, upper=1.0, binary=True)


def add_subsidy(m: LinearModel, ix: ScenarioIndex) -> VarBlock:
    plants = ix.scenario.plants
    makes = np.bincount(ix.plant_offers.owner, minlength=len(plants)) > 0
    k = np.array([i for i, p in enumerate(plants) if p.incentive > 0 and makes[i]], np.int64)
    cap = np.array([plants[i].incentive_cap for i in k], dtype=object)
    upper = np.array([np.inf if c is None else c for c in cap], float)
    return m.add_variables("subsidy", {"plant": k}, -np.ones(len(k)), upper=upper)


def add_supply_total(m: LinearModel, ix: ScenarioIndex) -> VarBlock:
    """Auxiliary total[p] = Σ_{s,t} buy[s,p,t], present only under a supplier-share cap.

    It keeps the share rows linear in size: without it each of the S·P rows would
    list every delivery of its product, which is quadratic in the number of suppliers.
    """
    share = ix.scenario.policy.max_supplier_share
    p = np.arange(len(ix.product_ids)) if share < 1 else np.zeros(0, np.int64)
    return m.add_variables("supply_total", {"product": p}, np.zeros(len(p)))


# -- sourcing rules (MODEL.md §7) --------------------------------------------------
def bracket_position(ix: ScenarioIndex, offer: np.ndarray, bracket: np.ndarray) -> np.ndarray:
    """Row of `ix.brackets` of each (offer, bracket >= 1): brackets are listed offer by offer."""
    first = np.searchsorted(ix.brackets.offer, offer)
    return first + bracket - 1


def add_bracket_buy(m: LinearModel, ix: ScenarioIndex, buy: VarBlock) -> VarBlock:
    """q[s,p,t,b] for every buy column of a discounted offer and each of its brackets
    b = 0 (the offer's price) … B, at bracket b's landed cost c[s,p,t,b]."""
    index = _bracket_index(ix, buy)
    offer, bracket, t = index["offer"], index["bracket"], index["period"]
    so = ix.supplier_offers
    at = np.maximum(bracket_position(ix, offer, bracket), 0)
    price = np.where(bracket == 0, so.price[offer], ix.brackets.price[at] if len(at) else 0.0)
    country = ix.supplier_country[so.owner[offer]]
    cost = (
        price * ix.price_index[so.owner[offer], t] * (1 + ix.tariff[country]) + ix.freight[country]
    )
    return m.add_variables("q", index, cost)


def add_bracket_choice(m: LinearModel, ix: ScenarioIndex, q: VarBlock) -> VarBlock:
    """y[s,p,t,b] ∈ {0,1}: the delivery is priced at bracket b; one per q column."""
    return m.add_variables("y", dict(q.index), np.zeros(q.size), upper=1.0, binary=True)


def _bracket_index(ix: ScenarioIndex, buy: VarBlock) -> dict[str, np.ndarray]:
    extra = np.bincount(ix.brackets.offer, minlength=len(ix.supplier_offers.owner))
    col = np.nonzero(extra[buy.index["offer"]] > 0)[0]
    count = extra[buy.index["offer"][col]] + 1
    rep = np.repeat(col, count)
    bracket = np.arange(len(rep)) - np.repeat(np.cumsum(count) - count, count)
    index = {"buy": rep, **{k: a[rep] for k, a in buy.index.items()}}
    index["bracket"] = bracket.astype(np.int64)
    return index


def add_selected(m: LinearModel, ix: ScenarioIndex) -> VarBlock:
    """u[s,p] ∈ {0,1} for every supplier offer of a product with policy.max_suppliers."""
    capped = np.zeros(len(ix.product_ids), bool)
    capped[[ix.product_pos[p] for p in ix.scenario.policy.max_suppliers]] = True
    so = ix.supplier_offers
    offer = np.nonzero(capped[so.product])[0]
    index = {"offer": offer, "supplier": so.owner[offer], "product": so.product[offer]}
    return m.add_variables("u", index, np.zeros(len(offer)), upper=1.0, binary=True)


def add_qualification(m: LinearModel, ix: ScenarioIndex) -> VarBlock:
    """qual[s,τ] ∈ {0,1}: qualification of supplier s starts in period τ, at its cost."""
    s = np.nonzero(~np.isnan(ix.qualification_cost))[0]
    pair, t = np.divmod(np.arange(len(s) * ix.T), ix.T)
    cost = ix.qualification_cost[s[pair]]
    return m.add_variables("qual", {"supplier": s[pair], "period": t}, cost, upper=1.0, binary=True)


def soft_caps(ix: ScenarioIndex) -> list[tuple[int, float, float | None]]:
    """(origin, share, penalty or None) of every origin-share cap below 1, in the order
    of `policy.max_origin_share`: the `origin_share` rows and `excess` columns follow it."""
    policy = ix.scenario.policy
    return [
        (ix.country_pos[o], share, policy.origin_share_penalty.get(o))
        for o, share in policy.max_origin_share.items()
        if share < 1
    ]


def add_excess(m: LinearModel, ix: ScenarioIndex) -> VarBlock:
    """excess[o,t] >= 0, kg above the target of an origin with a penalty, at that penalty."""
    soft = [(o, penalty) for o, _, penalty in soft_caps(ix) if penalty is not None]
    o = np.repeat(np.array([x for x, _ in soft], np.int64), ix.T)
    cost = np.repeat(np.array([c for _, c in soft], float), ix.T)
    t = np.tile(np.arange(ix.T), len(soft))
    return m.add_variables("excess", {"origin": o, "period": t}, cost)


def _covered_columns(
    buy: VarBlock, covers_s: np.ndarray, covers_p: np.ndarray, covers_t: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(licence, buy column) pairs, by licence then column: each licence looks only at
    its own suppliers' columns, so the work is what the licences cover, not licences
    times every delivery (100 licences over 4,000 suppliers took 1.5 GB as one grid)."""
    s, p, t = buy.index["supplier"], buy.index["product"], buy.index["period"]
    by_supplier = np.argsort(s, kind="stable")
    starts = np.searchsorted(s[by_supplier], np.arange(covers_s.shape[1] + 1))
    licences, columns = [], []
    for li in range(covers_s.shape[0]):
        listed = np.flatnonzero(covers_s[li])
        parts = [by_supplier[starts[x] : starts[x + 1]] for x in listed]
        cols = np.sort(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
        cols = cols[covers_p[li, p[cols]] & covers_t[li, t[cols]]]
        licences.append(np.full(len(cols), li, np.int64))
        columns.append(cols.astype(np.int64))
    if not columns:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(licences), np.concatenate(columns)
