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
    add_discount_split(m)
    add_discount_choice(m)
    add_discount_floor(m)
    add_discount_ceiling(m)
    add_supplier_selection(m)
    add_max_suppliers(m)
    add_qualified_supply(m)
    add_qualify_once(m)
    add_min_service(m)
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
    _add_rule_sets(m, sc)


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


def _add_rule_sets(m: pyo.ConcreteModel, sc: Scenario) -> None:
    """§7: discount brackets b = 0 (the offer's price) … B of each delivery of a discounted
    offer; offers of products with a cap on their suppliers; suppliers awaiting
    qualification and the periods it may start in; capped origins with a penalty."""
    brackets = {(s.id, o.product): len(o.discounts) for s in sc.suppliers for o in s.offers}
    m.bracket_deliveries = pyo.Set(dimen=4, initialize=[
        (s, p, t, b) for s, p, t in m.deliveries if brackets[s, p]
        for b in range(brackets[s, p] + 1)
    ], doc="(s, p, t, b): delivery (s, p, t) priced at bracket b")  # fmt: skip
    m.discounted_deliveries = pyo.Set(dimen=3, initialize=[
        (s, p, t) for s, p, t in m.deliveries if brackets[s, p]])  # fmt: skip
    m.selection_offers = pyo.Set(dimen=2, initialize=[
        (s, p) for s, p in m.offers if p in sc.policy.max_suppliers])  # fmt: skip
    m.pending_suppliers = pyo.Set(initialize=[
        s.id for s in sc.suppliers if s.qualification is not None])  # fmt: skip
    m.qualification_starts = pyo.Set(dimen=2, initialize=[
        (s, t) for s in m.pending_suppliers for t in m.periods])  # fmt: skip
    m.soft_origins = pyo.Set(initialize=[
        o for o, share in sc.policy.max_origin_share.items()
        if o in sc.policy.origin_share_penalty and share < 1])  # fmt: skip


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
    _add_rule_data(m, sc)


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


def _add_rule_data(m: pyo.ConcreteModel, sc: Scenario) -> None:
    """§7 data: bracket prices and floors, supplier caps, qualification, service levels,
    penalties."""
    country = {c.id: c for c in sc.countries}
    bracket_cost, floor = {}, {}
    for s in sc.suppliers:
        ship = country[s.country]
        index = _per_period(s.price_index, len(sc.periods))
        for o in s.offers:
            prices = [o.price] + [d.price for d in o.discounts]
            kgs = [0.0] + [d.min_kg for d in o.discounts]
            for b in range(len(o.discounts) + 1 if o.discounts else 0):
                floor[s.id, o.product, b] = kgs[b]
                for t in range(s.lead_time, len(sc.periods)):
                    landed = prices[b] * index[t] * (1 + ship.tariff) + ship.freight
                    bracket_cost[s.id, o.product, t, b] = landed
    money = pyo.NonNegativeReals
    m.bracket_cost = pyo.Param(m.bracket_deliveries, initialize=bracket_cost, within=money)
    m.bracket_offers = pyo.Set(dimen=3, initialize=list(floor))
    m.min_kg = pyo.Param(m.bracket_offers, initialize=floor, within=money)
    policy = sc.policy
    m.capped_products = pyo.Set(initialize=list(policy.max_suppliers))
    m.max_suppliers_count = pyo.Param(
        m.capped_products, initialize=dict(policy.max_suppliers), within=pyo.NonNegativeIntegers
    )
    pending = {s.id: s.qualification for s in sc.suppliers if s.qualification is not None}
    m.qualification_cost = pyo.Param(
        m.pending_suppliers, initialize={s: q.cost for s, q in pending.items()}, within=money
    )
    m.qualification_lead = pyo.Param(
        m.pending_suppliers, initialize={s: q.lead for s, q in pending.items()}, within=pyo.Any
    )
    levels = {e.id: e.min_service for e in sc.sectors if e.min_service is not None}
    m.serviced_sectors = pyo.Set(initialize=list(levels), doc="sectors with a service level")
    m.service_level = pyo.Param(m.serviced_sectors, initialize=levels, within=pyo.UnitInterval)
    m.origin_share_penalty = pyo.Param(
        m.soft_origins,
        initialize={o: policy.origin_share_penalty[o] for o in m.soft_origins},
        within=money,
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
    # §7 sourcing rules
    m.q = pyo.Var(m.bracket_deliveries, within=kg, doc="kg of buy[s,p,t] priced at bracket b")
    m.y = pyo.Var(m.bracket_deliveries, within=pyo.Binary, doc="buy[s,p,t] is at bracket b")
    m.u = pyo.Var(m.selection_offers, within=pyo.Binary, doc="s is one of p's suppliers")
    m.qual = pyo.Var(m.qualification_starts, within=pyo.Binary, doc="s's qualification starts")
    m.excess = pyo.Var(m.soft_origins, m.periods, within=kg, doc="kg above o's share target")


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
        excess = m.excess[o, t] if o in m.soft_origins else 0  # §7: a soft cap's target
        return _row(
            everything, lambda total: sum(of_origin) <= m.max_origin_share[o] * total + excess
        )

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
        spend = [_purchase_cost(m, s, p, t) for s in m.suppliers
                 for p in m.products_offered_by[s] if (s, p, t) in m.deliveries]  # fmt: skip
        spend += [m.production_cost[k, p] * m.make[k, p, t] for k in m.plants
                  for p in m.products_made_by[k]]  # fmt: skip
        return _row(spend, lambda cost: cost <= m.budget_amount[t])

    m.budget = pyo.Constraint(m.budget_periods, rule=cap)


def _purchase_cost(m, s, p, t) -> Any:
    """c[s,p,t]·buy[s,p,t], or Σ_b c[s,p,t,b]·q[s,p,t,b] for a discounted offer (§7)."""
    if (s, p, t) in m.discounted_deliveries:
        return sum(m.bracket_cost[s, p, t, b] * m.q[s, p, t, b]
                   for b in _brackets_of(m, s, p))  # fmt: skip
    return m.landed_cost[s, p, t] * m.buy[s, p, t]


def _brackets_of(m, s, p) -> list[int]:
    return [b for q, r, b in m.bracket_offers if (q, r) == (s, p)]


def add_subsidy_limit(m: pyo.ConcreteModel) -> None:
    """§3.5 subsidy[k] <= incentive[k] · Σ make[k,·,·], and <= incentive_cap[k] if given."""

    def earned(m, k):
        made = [m.make[k, p, t] for t in m.periods for p in m.products_made_by[k]]
        return m.subsidy[k] <= m.incentive[k] * sum(made)

    m.subsidy_limit = pyo.Constraint(m.plants, rule=earned)
    for k in m.capped_plants:  # a bound, not a row: no cap given means uncapped
        m.subsidy[k].setub(pyo.value(m.incentive_cap[k]))


def add_discount_split(m: pyo.ConcreteModel) -> None:
    """§7 buy[s,p,t] = Σ_b q[s,p,t,b] for a delivery of a discounted offer."""

    def split(m, s, p, t):
        return m.buy[s, p, t] == sum(m.q[s, p, t, b] for b in _brackets_of(m, s, p))

    m.discount_split = pyo.Constraint(m.discounted_deliveries, rule=split)


def add_discount_choice(m: pyo.ConcreteModel) -> None:
    """§7 Σ_b y[s,p,t,b] <= 1."""

    def one(m, s, p, t):
        return sum(m.y[s, p, t, b] for b in _brackets_of(m, s, p)) <= 1

    m.discount_choice = pyo.Constraint(m.discounted_deliveries, rule=one)


def add_discount_floor(m: pyo.ConcreteModel) -> None:
    """§7 min_kg[b]·y[s,p,t,b] <= q[s,p,t,b] (bracket 0 starts at 0 kg: no row)."""

    def floor(m, s, p, t, b):
        if b == 0:
            return pyo.Constraint.Skip
        return m.min_kg[s, p, b] * m.y[s, p, t, b] <= m.q[s, p, t, b]

    m.discount_floor = pyo.Constraint(m.bracket_deliveries, rule=floor)


def add_discount_ceiling(m: pyo.ConcreteModel) -> None:
    """§7 q[s,p,t,b] <= capacity[s,t]·y[s,p,t,b]."""

    def ceiling(m, s, p, t, b):
        return m.q[s, p, t, b] <= m.supplier_capacity_kg[s, t] * m.y[s, p, t, b]

    m.discount_ceiling = pyo.Constraint(m.bracket_deliveries, rule=ceiling)


def add_supplier_selection(m: pyo.ConcreteModel) -> None:
    """§7 buy[s,p,t] <= capacity[s,t]·u[s,p] for every t, where p's suppliers are capped."""

    def selected(m, s, p, t):
        if (s, p) not in m.selection_offers:
            return pyo.Constraint.Skip
        return m.buy[s, p, t] <= m.supplier_capacity_kg[s, t] * m.u[s, p]

    m.supplier_selection = pyo.Constraint(m.deliveries, rule=selected)


def add_max_suppliers(m: pyo.ConcreteModel) -> None:
    """§7 Σ_s u[s,p] <= max_suppliers[p]."""

    def most(m, p):
        chosen = [m.u[s, q] for s, q in m.selection_offers if q == p]
        return _row(chosen, lambda n: n <= m.max_suppliers_count[p])

    m.max_suppliers = pyo.Constraint(m.capped_products, rule=most)


def add_qualified_supply(m: pyo.ConcreteModel) -> None:
    """§7 Σ_p buy[s,p,t] <= capacity[s,t]·Σ_{τ <= t − lead} qual[s,τ]."""

    def qualified(m, s, t):
        started = [m.qual[s, tau] for tau in m.periods if tau <= t - m.qualification_lead[s]]
        return _row(_delivered(m, s, t),
                    lambda kg: kg <= m.supplier_capacity_kg[s, t] * sum(started))  # fmt: skip

    m.qualified_supply = pyo.Constraint(m.pending_suppliers, m.periods, rule=qualified)


def add_qualify_once(m: pyo.ConcreteModel) -> None:
    """§7 Σ_τ qual[s,τ] <= 1."""

    def once(m, s):
        return sum(m.qual[s, t] for t in m.periods) <= 1

    m.qualify_once = pyo.Constraint(m.pending_suppliers, rule=once)


def add_min_service(m: pyo.ConcreteModel) -> None:
    """§7 Σ_{p,t} short[p,e,t] <= (1 − min_service[e])·Σ_{p,t} demand[p,e,t]."""

    def served(m, e):
        demanded = sum(m.demand_kg[p, e, t] for p in m.products for t in m.periods)
        short = sum(m.short[p, e, t] for p in m.products for t in m.periods)
        if isinstance(short, int):  # no product: nothing can be short
            return pyo.Constraint.Skip
        return short <= (1 - m.service_level[e]) * demanded

    m.min_service = pyo.Constraint(m.serviced_sectors, rule=served)


def add_objective(m: pyo.ConcreteModel) -> None:
    """§3.6 and §7 minimise total cost; `term_<name>` holds each of a plan's `terms`."""
    m.term_purchase = pyo.Expression(
        expr=sum(_purchase_cost(m, s, p, t) for s, p, t in m.deliveries)
    )
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
    m.term_qualification = pyo.Expression(
        expr=sum(m.qualification_cost[s] * m.qual[s, t] for s, t in m.qualification_starts)
    )
    m.term_cap_excess = pyo.Expression(
        expr=sum(
            m.origin_share_penalty[o] * m.excess[o, t] for o in m.soft_origins for t in m.periods
        )  # fmt: skip
    )
    m.total_cost = pyo.Objective(
        expr=m.term_purchase + m.term_fixed + m.term_production - m.term_subsidy
        + m.term_build + m.term_holding + m.term_shortage
        + m.term_qualification + m.term_cap_excess,
        sense=pyo.minimize,
    )  # fmt: skip
