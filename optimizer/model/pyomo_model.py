"""The sourcing model of MODEL.md §2–3 written out in Pyomo, one function per family.

This is the reference formulation: it follows the page line by line so that an analyst
can check it against the spec, extend it, or hand it to another solver
(`model.write("sourcing.lp")`). The production path (`build.py`) builds the same model
from arrays; `tests/model/test_pyomo_agreement.py` holds the two to the same optima.

Periods are the 0-based indices of the scenario's labels, so that lead times and build
leads read as arithmetic (`t >= lead_time`); `model.period_label[t]` gives the label.
Index sets are sparse: a variable exists only where MODEL.md §3 lets it be non-zero,
and a binary only where a feature needs it, so a scenario without fixed costs,
minimum orders or candidate plants is an LP.

Each constraint family is one indexed Constraint named as in the array build and the
API (`add_<name>` makes `model.<name>`); data that shares a family's name carries its
unit instead (`demand_kg`, `supplier_capacity_kg`, `budget_amount`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyomo.environ as pyo

from optimizer.scenario.schema import Scenario


def build_pyomo_model(scenario: Scenario) -> pyo.ConcreteModel:
    """A Pyomo model of a validated scenario, ready to solve."""
    m = pyo.ConcreteModel(name=scenario.name)
    add_sets(m, scenario)
    add_data(m, scenario)
    add_variables(m)
    add_stock_balance(m)
    add_demand(m)
    add_supplier_capacity(m)
    add_min_order(m)
    add_plant_capacity(m)
    add_build_once(m)
    add_licence_required(m)
    add_licence(m)
    add_origin_share(m)
    add_supplier_share(m)
    add_safety_stock(m)
    add_budget(m)
    add_subsidy_limit(m)
    add_objective(m)
    return m


def _per_period(value: float | list[float], periods: int) -> list[float]:
    return list(value) if isinstance(value, list) else [value] * periods


def add_sets(m: pyo.ConcreteModel, sc: Scenario) -> None:
    """§2 sets P, E, S, K, L, T, O, and the sparse index sets the variables live on."""
    m.periods = pyo.Set(initialize=range(len(sc.periods)), ordered=True, doc="0-based indices")
    m.products = pyo.Set(initialize=[p.id for p in sc.products])
    m.sectors = pyo.Set(initialize=[e.id for e in sc.sectors])
    m.suppliers = pyo.Set(initialize=[s.id for s in sc.suppliers])
    m.plants = pyo.Set(initialize=[k.id for k in sc.plants])
    m.licences = pyo.Set(initialize=[lic.id for lic in sc.licences])
    m.origins = pyo.Set(initialize=[c.id for c in sc.countries], doc="every country id")
    m.suppliers_from = pyo.Set(m.origins, initialize=lambda m, o: [
        s.id for s in sc.suppliers if s.origin_id == o])  # fmt: skip
    m.plants_in = pyo.Set(m.origins, initialize=lambda m, o: [
        k.id for k in sc.plants if k.country == o])  # fmt: skip
    _add_offer_sets(m, sc)
    m.allowed = pyo.Set(dimen=2, initialize=[
        (o.id, e.id) for o in sc.countries for e in sc.sectors
        if not set(e.tags) & set(o.restricted_end_uses)
    ], doc="allowed(o, e): no tag of e is restricted for origin o")  # fmt: skip
    m.uses = pyo.Set(dimen=4, initialize=[
        (p, o, e, t) for p in m.products for o, e in m.allowed for t in m.periods])  # fmt: skip
    _add_licence_sets(m, sc)
    _add_binary_sets(m, sc)


def _add_offer_sets(m: pyo.ConcreteModel, sc: Scenario) -> None:
    """Who offers what, and when a delivery can arrive (t >= lead_time)."""
    m.offers = pyo.Set(dimen=2, initialize=[
        (s.id, o.product) for s in sc.suppliers for o in s.offers])  # fmt: skip
    m.products_offered_by = pyo.Set(m.suppliers, initialize=lambda m, s: [
        p for q, p in m.offers if q == s])  # fmt: skip
    m.suppliers_offering = pyo.Set(m.products, initialize=lambda m, p: [
        s for s, q in m.offers if q == p])  # fmt: skip
    m.plant_offers = pyo.Set(dimen=2, initialize=[
        (k.id, o.product) for k in sc.plants for o in k.offers])  # fmt: skip
    m.products_made_by = pyo.Set(m.plants, initialize=lambda m, k: [
        p for q, p in m.plant_offers if q == k])  # fmt: skip
    m.deliveries = pyo.Set(dimen=3, initialize=[
        (s.id, o.product, t) for s in sc.suppliers for o in s.offers
        for t in m.periods if t >= s.lead_time
    ], doc="(s, p, t) where buy may be non-zero")  # fmt: skip
    m.production = pyo.Set(dimen=3, initialize=[
        (k.id, o.product, t) for k in sc.plants for o in k.offers for t in m.periods])  # fmt: skip


def _add_licence_sets(m: pyo.ConcreteModel, sc: Scenario) -> None:
    """§3.4 lic[l,s,p,t] exists where l lists s (licence_required), p and t; None = all."""
    licensed = {s.id for s in sc.suppliers if s.licence_required}
    label = dict(enumerate(sc.periods))

    def covers(lic, s, p, t) -> bool:
        return (s in lic.suppliers and s in licensed
                and (lic.products is None or p in lic.products)
                and (lic.periods is None or label[t] in lic.periods))  # fmt: skip

    m.licensed_deliveries = pyo.Set(dimen=3, initialize=[
        (s, p, t) for s, p, t in m.deliveries if s in licensed])  # fmt: skip
    m.licence_cover = pyo.Set(dimen=4, initialize=[
        (lic.id, s, p, t) for lic in sc.licences for s, p, t in m.licensed_deliveries
        if covers(lic, s, p, t)
    ])  # fmt: skip


def _add_binary_sets(m: pyo.ConcreteModel, sc: Scenario) -> None:
    """Where a binary is needed: fixed costs, minimum orders, candidate plants."""
    m.contract_suppliers = pyo.Set(initialize=[s.id for s in sc.suppliers if s.fixed_cost > 0])
    m.order_periods = pyo.Set(dimen=2, initialize=[
        (s.id, t) for s in sc.suppliers if s.min_order > 0
        for t in m.periods if t >= s.lead_time
    ], doc="(s, t) where s may deliver and has a minimum order")  # fmt: skip
    m.candidate_plants = pyo.Set(initialize=[k.id for k in sc.plants if not k.existing])
    m.build_periods = pyo.Set(dimen=2, initialize=[
        (k.id, t) for k in sc.plants if not k.existing
        for t in m.periods if t >= k.earliest_build
    ])  # fmt: skip


def add_data(m: pyo.ConcreteModel, sc: Scenario) -> None:
    """§1–2 coefficients as Params, so that a reader can inspect them on the model."""
    money = pyo.NonNegativeReals
    label_index = {label: t for t, label in enumerate(sc.periods)}
    demand = {(d.product, d.sector, label_index[d.period]): d.quantity for d in sc.demand}
    stock = {(p.id, o): kg for p in sc.products for o, kg in p.initial_inventory.items()}
    made_at = {(k.id, o.product): o.price for k in sc.plants for o in k.offers}

    m.period_label = pyo.Param(m.periods, initialize=dict(enumerate(sc.periods)), within=pyo.Any)
    m.landed_cost = pyo.Param(m.deliveries, initialize=_landed_costs(sc), within=money)
    m.production_cost = pyo.Param(m.plant_offers, initialize=made_at, within=money)
    m.supplier_capacity_kg = pyo.Param(
        m.suppliers, m.periods, initialize=_capacities(sc.suppliers, len(sc.periods)), within=money
    )
    m.plant_capacity_kg = pyo.Param(
        m.plants, m.periods, initialize=_capacities(sc.plants, len(sc.periods)), within=money
    )
    m.demand_kg = pyo.Param(m.products, m.sectors, m.periods, initialize=demand, default=0)
    m.initial_inventory = pyo.Param(m.products, m.origins, initialize=stock, default=0)
    m.holding_cost = _per_id(m.products, sc.products, "holding_cost")
    m.min_inventory = _per_id(m.products, sc.products, "min_inventory")
    m.shortage_penalty = _per_id(m.sectors, sc.sectors, "shortage_penalty")
    m.fixed_cost = _per_id(m.suppliers, sc.suppliers, "fixed_cost")
    m.min_order_kg = _per_id(m.suppliers, sc.suppliers, "min_order")
    m.build_cost = _per_id(m.plants, sc.plants, "build_cost")
    m.build_lead = _per_id(m.plants, sc.plants, "build_lead")
    m.incentive = _per_id(m.plants, sc.plants, "incentive")
    m.licence_quantity = _per_id(m.licences, sc.licences, "quantity")
    caps = {k.id: k.incentive_cap for k in sc.plants if k.incentive_cap is not None}
    m.capped_plants = pyo.Set(initialize=list(caps), doc="plants whose subsidy is capped")
    m.incentive_cap = pyo.Param(m.capped_plants, initialize=caps, within=money)
    _add_policy_data(m, sc)


def _per_id(index: pyo.Set, items: list, field: str) -> pyo.Param:
    values = {item.id: getattr(item, field) for item in items}
    return pyo.Param(index, initialize=values, within=pyo.NonNegativeReals)


def _capacities(owners, periods: int) -> dict[tuple[str, int], float]:
    return {(o.id, t): kg for o in owners for t, kg in enumerate(_per_period(o.capacity, periods))}


def _add_policy_data(m: pyo.ConcreteModel, sc: Scenario) -> None:
    policy = sc.policy
    m.capped_origins = pyo.Set(initialize=list(policy.max_origin_share))
    m.max_origin_share = pyo.Param(
        m.capped_origins, initialize=dict(policy.max_origin_share), within=pyo.UnitInterval
    )
    m.max_supplier_share = pyo.Param(initialize=policy.max_supplier_share, within=pyo.UnitInterval)
    budget = [] if policy.budget is None else _per_period(policy.budget, len(sc.periods))
    m.budget_periods = pyo.Set(initialize=range(len(budget)), doc="periods with a spend cap")
    m.budget_amount = pyo.Param(
        m.budget_periods, initialize=dict(enumerate(budget)), within=pyo.NonNegativeReals
    )


def _landed_costs(sc: Scenario) -> dict[tuple[str, str, int], float]:
    """§2 c[s,p,t] = price · price_index[s,t] · (1 + tariff) + freight, shipping country's."""
    country = {c.id: c for c in sc.countries}
    costs = {}
    for s in sc.suppliers:
        ship = country[s.country]
        index = _per_period(s.price_index, len(sc.periods))
        for o in s.offers:
            for t in range(s.lead_time, len(sc.periods)):
                costs[s.id, o.product, t] = o.price * index[t] * (1 + ship.tariff) + ship.freight
    return costs


def add_variables(m: pyo.ConcreteModel) -> None:
    """The decision variables of MODEL.md §3, all non-negative."""
    kg = pyo.NonNegativeReals
    m.buy = pyo.Var(m.deliveries, within=kg, doc="kg of p delivered by s in t")
    m.make = pyo.Var(m.production, within=kg, doc="kg of p produced by k in t")
    m.use = pyo.Var(m.uses, within=kg, doc="kg of p of origin o consumed by e in t")
    m.inv = pyo.Var(m.products, m.origins, m.periods, within=kg, doc="kg in stock, end of t")
    m.short = pyo.Var(m.products, m.sectors, m.periods, within=kg, doc="unmet demand, kg")
    m.lic = pyo.Var(m.licence_cover, within=kg, doc="kg of s's deliveries counted against l")
    # `active` is a reserved attribute of every Pyomo block, hence the trailing underscore.
    m.active_ = pyo.Var(m.contract_suppliers, within=pyo.Binary, doc="s delivers anything")
    m.order = pyo.Var(m.order_periods, within=pyo.Binary, doc="s delivers in period t")
    m.build = pyo.Var(m.build_periods, within=pyo.Binary, doc="candidate k is built in t")
    m.subsidy = pyo.Var(m.plants, within=pyo.NonNegativeReals, doc="incentive earned by k")


def _row(lhs_terms: list, make_row: Callable[[Any], Any]) -> Any:
    """Skip a row whose sum has no variable: with data >= 0 such a row always holds."""
    if not lhs_terms:
        return pyo.Constraint.Skip
    return make_row(sum(lhs_terms))


def add_stock_balance(m: pyo.ConcreteModel) -> None:
    """§3.1 inv[p,o,t] = inv[p,o,t-1] + bought + made − used, inv[p,o,-1] = initial stock."""

    def balance(m, p, o, t):
        before = m.inv[p, o, t - 1] if t > 0 else m.initial_inventory[p, o]
        bought = sum(m.buy[s, p, t] for s in m.suppliers_from[o] if (s, p, t) in m.deliveries)
        made = sum(m.make[k, p, t] for k in m.plants_in[o] if (k, p, t) in m.production)
        used = sum(m.use[p, o, e, t] for e in m.sectors if (p, o, e, t) in m.uses)
        return m.inv[p, o, t] == before + bought + made - used

    m.stock_balance = pyo.Constraint(m.products, m.origins, m.periods, rule=balance)


def add_demand(m: pyo.ConcreteModel) -> None:
    """§3.2 Σ_o use[p,o,e,t] + short[p,e,t] = demand[p,e,t] (missing rows are 0)."""

    def meet(m, p, e, t):
        used = sum(m.use[p, o, e, t] for o in m.origins if (p, o, e, t) in m.uses)
        return used + m.short[p, e, t] == m.demand_kg[p, e, t]

    m.demand = pyo.Constraint(m.products, m.sectors, m.periods, rule=meet)


def _delivered(m, s, t) -> list:
    return [m.buy[s, p, t] for p in m.products_offered_by[s] if (s, p, t) in m.deliveries]


def _produced(m, k, t) -> list:
    return [m.make[k, p, t] for p in m.products_made_by[k]]


def add_supplier_capacity(m: pyo.ConcreteModel) -> None:
    """§3.3 Σ_p buy[s,p,t] <= capacity[s,t] · (active[s] where fixed_cost > 0, else 1), and
    where min_order > 0 also <= capacity[s,t] · order[s,t], the ceiling of the minimum order:
    one row per supplier, period and gate ("active" or "order")."""

    def capacity(m, s, t, gate):
        available = m.supplier_capacity_kg[s, t]
        if gate == "order":
            if (s, t) not in m.order_periods:
                return pyo.Constraint.Skip
            available = available * m.order[s, t]
        elif s in m.contract_suppliers:
            available = available * m.active_[s]
        return _row(_delivered(m, s, t), lambda kg: kg <= available)

    m.capacity_gates = pyo.Set(initialize=["active", "order"], ordered=True,
                               doc="what a capacity row is multiplied by")  # fmt: skip
    m.supplier_capacity = pyo.Constraint(m.suppliers, m.periods, m.capacity_gates, rule=capacity)


def add_min_order(m: pyo.ConcreteModel) -> None:
    """§3.3 where min_order > 0: min_order·order[s,t] <= Σ_p buy (the ceiling
    Σ_p buy <= capacity[s,t]·order[s,t] is a supplier_capacity row)."""

    def at_least(m, s, t):
        return _row(_delivered(m, s, t), lambda kg: m.min_order_kg[s] * m.order[s, t] <= kg)

    m.min_order = pyo.Constraint(m.order_periods, rule=at_least)


def add_plant_capacity(m: pyo.ConcreteModel) -> None:
    """§3.3 existing: Σ_p make <= capacity; candidate: <= capacity · (built by t − build_lead)."""

    def capacity(m, k, t):
        available = m.plant_capacity_kg[k, t]
        if k in m.candidate_plants:
            ready = [m.build[k, tau] for tau in m.periods if (k, tau) in m.build_periods
                     and tau <= t - m.build_lead[k]]  # fmt: skip
            available = available * sum(ready)
        return _row(_produced(m, k, t), lambda kg: kg <= available)

    m.plant_capacity = pyo.Constraint(m.plants, m.periods, rule=capacity)


def add_build_once(m: pyo.ConcreteModel) -> None:
    """§3.3 Σ_τ build[k,τ] <= 1 for every candidate plant."""

    def built_once(m, k):
        return _row([m.build[k, t] for t in m.periods if (k, t) in m.build_periods],
                    lambda times_built: times_built <= 1)  # fmt: skip

    m.build_once = pyo.Constraint(m.candidate_plants, rule=built_once)


def add_licence_required(m: pyo.ConcreteModel) -> None:
    """§3.4 a delivery of a licence-required supplier is covered by licences kg for kg."""

    def covered(m, s, p, t):
        granted = [m.lic[lic, s, p, t] for lic in m.licences if (lic, s, p, t) in m.licence_cover]
        return m.buy[s, p, t] == sum(granted)  # no covering licence: nothing delivered

    m.licence_required = pyo.Constraint(m.licensed_deliveries, rule=covered)


def add_licence(m: pyo.ConcreteModel) -> None:
    """§3.4 each licence caps the kg counted against it: Σ lic[l,·,·,·] <= quantity[l]."""

    def within_quantity(m, lic):
        counted = [m.lic[cover] for cover in m.licence_cover if cover[0] == lic]
        return _row(counted, lambda kg: kg <= m.licence_quantity[lic])

    m.licence = pyo.Constraint(m.licences, rule=within_quantity)


def _supplied(m, t) -> list:
    """Every kg delivered or produced in period t, the base of the origin share."""
    bought = [m.buy[s, p, t] for s in m.suppliers for p in m.products_offered_by[s]
              if (s, p, t) in m.deliveries]  # fmt: skip
    return bought + [m.make[k, p, t] for k in m.plants for p in m.products_made_by[k]]


def add_origin_share(m: pyo.ConcreteModel) -> None:
    """§3.5 per capped origin and period: supply of that origin <= share · all supply."""

    def cap(m, o, t):
        of_origin = [m.buy[s, p, t] for s in m.suppliers_from[o] for p in m.products_offered_by[s]
                     if (s, p, t) in m.deliveries]  # fmt: skip
        of_origin += [m.make[k, p, t] for k in m.plants_in[o] for p in m.products_made_by[k]]
        everything = _supplied(m, t)
        return _row(everything, lambda total: sum(of_origin) <= m.max_origin_share[o] * total)

    m.origin_share = pyo.Constraint(m.capped_origins, m.periods, rule=cap)


def add_supplier_share(m: pyo.ConcreteModel) -> None:
    """§3.5 per s, p: Σ_t buy[s,p,t] <= max_supplier_share · Σ_{s',t} buy[s',p,t]."""

    def cap(m, s, p):
        own = [m.buy[s, p, t] for t in m.periods if (s, p, t) in m.deliveries]
        every = [m.buy[q, p, t] for q in m.suppliers_offering[p] for t in m.periods
                 if (q, p, t) in m.deliveries]  # fmt: skip
        return _row(own, lambda kg: kg <= m.max_supplier_share * sum(every))

    # A share of 1 can never bind; leaving it out keeps the default model small.
    binding = pyo.value(m.max_supplier_share) < 1
    m.share_capped_offers = pyo.Set(dimen=2, initialize=list(m.offers) if binding else [])
    m.supplier_share = pyo.Constraint(m.share_capped_offers, rule=cap)


def add_safety_stock(m: pyo.ConcreteModel) -> None:
    """§3.5 per p, t: Σ_o inv[p,o,t] >= min_inventory[p] (only where it is positive)."""

    def floor(m, p, t):
        if not m.origins:  # no origin to hold stock of: the floor cannot be met
            return pyo.Constraint.Infeasible
        return sum(m.inv[p, o, t] for o in m.origins) >= m.min_inventory[p]

    m.stocked_products = pyo.Set(initialize=[
        p for p in m.products if pyo.value(m.min_inventory[p]) > 0])  # fmt: skip
    m.safety_stock = pyo.Constraint(m.stocked_products, m.periods, rule=floor)


def add_budget(m: pyo.ConcreteModel) -> None:
    """§3.5 per budgeted period: landed purchases + production cost <= budget[t]."""

    def cap(m, t):
        spend = [m.landed_cost[s, p, t] * m.buy[s, p, t] for s in m.suppliers
                 for p in m.products_offered_by[s] if (s, p, t) in m.deliveries]  # fmt: skip
        spend += [m.production_cost[k, p] * m.make[k, p, t] for k in m.plants
                  for p in m.products_made_by[k]]  # fmt: skip
        return _row(spend, lambda cost: cost <= m.budget_amount[t])

    m.budget = pyo.Constraint(m.budget_periods, rule=cap)


def add_subsidy_limit(m: pyo.ConcreteModel) -> None:
    """§3.5 subsidy[k] <= incentive[k] · Σ make[k,·,·], and <= incentive_cap[k] if given."""

    def earned(m, k):
        made = [m.make[k, p, t] for t in m.periods for p in m.products_made_by[k]]
        return m.subsidy[k] <= m.incentive[k] * sum(made)

    m.subsidy_limit = pyo.Constraint(m.plants, rule=earned)
    for k in m.capped_plants:  # a bound, not a row: no cap given means uncapped
        m.subsidy[k].setub(pyo.value(m.incentive_cap[k]))


def add_objective(m: pyo.ConcreteModel) -> None:
    """§3.6 minimise total cost; `term_<name>` holds each of a plan's `terms`."""
    m.term_purchase = pyo.Expression(expr=sum(m.landed_cost[i] * m.buy[i] for i in m.deliveries))
    m.term_fixed = pyo.Expression(
        expr=sum(m.fixed_cost[s] * m.active_[s] for s in m.contract_suppliers)
    )
    m.term_production = pyo.Expression(
        expr=sum(m.production_cost[k, p] * m.make[k, p, t] for k, p, t in m.production)
    )
    m.term_subsidy = pyo.Expression(expr=sum(m.subsidy[k] for k in m.plants))
    m.term_build = pyo.Expression(
        expr=sum(m.build_cost[k] * m.build[k, t] for k, t in m.build_periods)
    )
    m.term_holding = pyo.Expression(
        expr=sum(m.holding_cost[p] * m.inv[p, o, t] for p, o, t in m.inv.index_set())
    )
    m.term_shortage = pyo.Expression(
        expr=sum(m.shortage_penalty[e] * m.short[p, e, t] for p, e, t in m.short.index_set())
    )
    m.total_cost = pyo.Objective(
        expr=m.term_purchase + m.term_fixed + m.term_production - m.term_subsidy
        + m.term_build + m.term_holding + m.term_shortage,
        sense=pyo.minimize,
    )  # fmt: skip
