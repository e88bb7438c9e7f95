"""The plan as a planner acts on it, computed in one place for the table summary, the HTML
report and the plan workbook.

`order_list(plan, scenario)` reads a plan document (MODEL.md §4) and, when given, its
scenario, and returns an `OrderList`:
- per period, in the scenario's period order: what to buy from which supplier (origin,
  kg, landed cost, cost), what each plant makes, the contracts to sign (a contract is
  listed in the period of the supplier's first delivery) and the plants to start building;
- shortages by sector with their penalty, sectors in the scenario's order (alphabetical
  without the scenario, which also leaves the penalty of each sector unknown);
- cash spend apart from the notional shortage penalty: spend + penalty = objective;
- the compliance check: kg of each restricted origin consumed by each sector whose tags
  its `restricted_end_uses` ban (None without the scenario: it cannot be checked);
- the limits that bind: an origin's share at its cap in a period, a period's budget spent
  to its limit, a licence used up (caps and budgets need the scenario).

Within a period, purchases are sorted by supplier then product, production by plant then
product. Amounts are the plan's exact values; rounding is left to the layouts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from optimizer.insight.binding import Binding, binding
from optimizer.scenario.schema import Scenario


@dataclass(frozen=True)
class Purchase:
    supplier: str
    origin: str | None  # None without the scenario
    product: str
    kg: float
    landed_cost: float  # per kg
    cost: float


@dataclass(frozen=True)
class Making:
    plant: str
    origin: str | None  # the plant's country; None without the scenario
    product: str
    kg: float
    unit_cost: float | None  # the plant's price for the product; None without the scenario
    cost: float | None


@dataclass(frozen=True)
class Signing:
    supplier: str
    fixed_cost: float


@dataclass(frozen=True)
class PlantStart:
    plant: str
    build_cost: float | None  # None without the scenario
    ready: str | None  # the first period it can produce in (build_lead later); None: unknown


@dataclass(frozen=True)
class QualificationStart:
    """A supplier's approval started (MODEL.md §7): it may deliver `lead` periods later."""

    supplier: str
    cost: float | None  # None without the scenario
    ready: str | None  # the first period it may deliver in; None: unknown or past the end


@dataclass(frozen=True)
class PeriodOrders:
    period: str
    purchases: tuple[Purchase, ...]
    making: tuple[Making, ...]
    contracts: tuple[Signing, ...]
    plants: tuple[PlantStart, ...]
    qualifications: tuple[QualificationStart, ...] = ()

    @property
    def empty(self) -> bool:
        return not (
            self.purchases or self.making or self.contracts or self.plants or self.qualifications
        )


@dataclass(frozen=True)
class SectorShortage:
    sector: str
    kg: float
    penalty: float | None  # kg × the sector's shortage_penalty; None without the scenario


@dataclass(frozen=True)
class BannedFlow:
    """kg of a restricted origin consumed by a sector that one of its tags bans."""

    origin: str
    sector: str
    tags: tuple[str, ...]  # the sector's tags that the origin's restricted_end_uses name
    kg: float


@dataclass(frozen=True)
class OrderList:
    periods: tuple[PeriodOrders, ...]
    shortages: tuple[SectorShortage, ...]
    spend: float  # every term but the shortage penalty, the subsidy subtracted
    penalty: float  # the shortage term: notional, not cash
    compliance: tuple[BannedFlow, ...] | None  # None: the scenario is not at hand
    binding: tuple[Binding, ...]
    scenario_known: bool

    @property
    def banned_kg(self) -> float | None:
        return None if self.compliance is None else sum(f.kg for f in self.compliance)


def order_list(plan: Mapping[str, Any], scenario: Scenario | None = None) -> OrderList | None:
    """The plan's order list; None for a plan without a solution."""
    if plan.get("objective") is None or not plan.get("terms"):
        return None
    terms = plan["terms"]
    penalty = float(terms.get("shortage", 0.0))
    return OrderList(
        periods=_periods(plan, scenario),
        shortages=_shortages(plan, scenario),
        spend=float(plan["objective"]) - penalty,
        penalty=penalty,
        compliance=None if scenario is None else compliance(plan, scenario),
        binding=binding(plan, scenario),
        scenario_known=scenario is not None,
    )


def period_order(plan: Mapping[str, Any], scenario: Scenario | None) -> list[str]:
    """The scenario's periods; without it, the plan's in the order they first appear."""
    seen = [
        r["period"]
        for table in ("origin_share", "deliveries", "production", "consumption", "plants_built")
        for r in plan.get(table) or ()
    ]
    return list(dict.fromkeys([*(scenario.periods if scenario else ()), *seen]))


def _periods(plan: Mapping[str, Any], scenario: Scenario | None) -> tuple[PeriodOrders, ...]:
    buys: dict[str, list[Purchase]] = defaultdict(list)
    for r in plan.get("deliveries") or ():
        origin = _supplier_origin(scenario, r["supplier"])
        buys[r["period"]].append(
            Purchase(r["supplier"], origin, r["product"], r["kg"], r["landed_cost"], r["cost"])
        )
    makes: dict[str, list[Making]] = defaultdict(list)
    for r in plan.get("production") or ():
        country, price = _plant_offer(scenario, r["plant"], r["product"])
        cost = None if price is None else price * r["kg"]
        makes[r["period"]].append(Making(r["plant"], country, r["product"], r["kg"], price, cost))
    periods = period_order(plan, scenario)
    signs: dict[str, list[Signing]] = defaultdict(list)
    first = _first_delivery(plan)
    for r in plan.get("contracts") or ():  # a contract without a delivery: the first period
        when = first.get(r["supplier"], periods[0] if periods else "")
        signs[when].append(Signing(r["supplier"], r["fixed_cost"]))
    starts: dict[str, list[PlantStart]] = defaultdict(list)
    for r in plan.get("plants_built") or ():
        cost, ready = _build(scenario, r["plant"], r["period"])
        starts[r["period"]].append(PlantStart(r["plant"], cost, ready))
    approvals: dict[str, list[QualificationStart]] = defaultdict(list)
    for r in plan.get("qualified") or ():
        cost, ready = _qualification(scenario, r["supplier"], r["period"])
        approvals[r["period"]].append(QualificationStart(r["supplier"], cost, ready))
    out = []
    for period in periods or [""]:
        out.append(
            PeriodOrders(
                period,
                tuple(sorted(buys[period], key=lambda b: (b.supplier, b.product))),
                tuple(sorted(makes[period], key=lambda m: (m.plant, m.product))),
                tuple(sorted(signs[period], key=lambda s: s.supplier)),
                tuple(sorted(starts[period], key=lambda p: p.plant)),
                tuple(sorted(approvals[period], key=lambda q: q.supplier)),
            )
        )
    return tuple(out)


def _qualification(
    scenario: Scenario | None, supplier: str, period: str
) -> tuple[float | None, str | None]:
    """A started approval's cost and the first period the supplier may deliver in."""
    if scenario is None or period not in scenario.periods:
        return None, None
    for s in scenario.suppliers:
        if s.id == supplier and s.qualification is not None:
            at = scenario.periods.index(period) + s.qualification.lead
            ready = scenario.periods[at] if at < len(scenario.periods) else None
            return s.qualification.cost, ready
    return None, None


def _first_delivery(plan: Mapping[str, Any]) -> dict[str, str]:
    first: dict[str, str] = {}
    for r in plan.get("deliveries") or ():
        first.setdefault(r["supplier"], r["period"])  # rows run forward in time
    return first


def _supplier_origin(scenario: Scenario | None, supplier: str) -> str | None:
    if scenario is None:
        return None
    for s in scenario.suppliers:
        if s.id == supplier:
            return s.origin or s.country
    return None


def _plant_offer(
    scenario: Scenario | None, plant: str, product: str
) -> tuple[str | None, float | None]:
    for k in scenario.plants if scenario else ():
        if k.id == plant:
            prices = [o.price for o in k.offers if o.product == product]
            return k.country, (prices[0] if prices else None)
    return None, None


def _build(scenario: Scenario | None, plant: str, period: str) -> tuple[float | None, str | None]:
    """A built plant's cost and the first period it can produce in (None past the horizon)."""
    if scenario is None or period not in scenario.periods:
        return None, None
    for k in scenario.plants:
        if k.id == plant:
            at = scenario.periods.index(period) + k.build_lead
            return k.build_cost, scenario.periods[at] if at < len(scenario.periods) else None
    return None, None


def _shortages(plan: Mapping[str, Any], scenario: Scenario | None) -> tuple[SectorShortage, ...]:
    by_sector: dict[str, float] = defaultdict(float)
    for r in plan.get("shortages") or ():
        by_sector[r["sector"]] += r["kg"]
    if scenario is None:
        return tuple(SectorShortage(e, by_sector[e], None) for e in sorted(by_sector))
    penalties = {e.id: e.shortage_penalty for e in scenario.sectors}
    order = [e.id for e in scenario.sectors if e.id in by_sector]
    order += sorted(set(by_sector) - set(order))
    return tuple(
        SectorShortage(e, by_sector[e], penalties[e] * by_sector[e] if e in penalties else None)
        for e in order
    )


def compliance(plan: Mapping[str, Any], scenario: Scenario) -> tuple[BannedFlow, ...]:
    """Every (restricted origin, banned sector) pair with the kg the plan's consumption
    table sends there: 0 in a plan that keeps the bans. Bans match sector tags."""
    used: dict[tuple[str, str], float] = defaultdict(float)
    for r in plan.get("consumption") or ():
        used[r["origin"], r["sector"]] += r["kg"]
    flows = []
    for country in scenario.countries:
        banned = set(country.restricted_end_uses)
        for sector in scenario.sectors:
            tags = tuple(t for t in sector.tags if t in banned)
            if tags:
                flows.append(BannedFlow(country.id, sector.id, tags, used[country.id, sector.id]))
    return tuple(flows)
