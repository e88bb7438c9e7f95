"""Sets and derived data of MODEL.md §2 as integer-indexed numpy arrays.

Everything the model builder needs is turned into positions once here, so that the
constraint families can work on whole arrays and never look an id up per coefficient.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from optimizer.scenario.schema import Scenario

IntArray = np.ndarray
FloatArray = np.ndarray


def _per_period(value: float | list[float], n: int) -> FloatArray:
    return np.asarray(value, dtype=float) if isinstance(value, list) else np.full(n, float(value))


def _positions(ids: list[str]) -> dict[str, int]:
    return {v: i for i, v in enumerate(ids)}


@dataclass(frozen=True)
class Offers:
    """One row per (owner, product) offer: owner position, product position, unit price."""

    owner: IntArray
    product: IntArray
    price: FloatArray


@dataclass(frozen=True)
class Brackets:
    """One row per discount bracket b >= 1 of a supplier offer: the offer's row in
    `supplier_offers`, b, the bracket's min_kg and its unit price."""

    offer: IntArray
    bracket: IntArray
    min_kg: FloatArray
    price: FloatArray


class ScenarioIndex:
    """Positions and per-period arrays for one validated scenario."""

    def __init__(self, sc: Scenario):
        self.scenario = sc
        self.periods = list(sc.periods)
        self.T = len(self.periods)
        self.product_ids = [p.id for p in sc.products]
        self.sector_ids = [e.id for e in sc.sectors]
        self.country_ids = [c.id for c in sc.countries]
        self.supplier_ids = [s.id for s in sc.suppliers]
        self.plant_ids = [k.id for k in sc.plants]
        self.licence_ids = [lic.id for lic in sc.licences]
        self.product_pos = _positions(self.product_ids)
        self.sector_pos = _positions(self.sector_ids)
        self.country_pos = _positions(self.country_ids)
        self.supplier_pos = _positions(self.supplier_ids)
        self.period_pos = _positions(self.periods)

    # -- countries and end uses -------------------------------------------------
    @cached_property
    def tariff(self) -> FloatArray:
        return np.array([c.tariff for c in self.scenario.countries], dtype=float)

    @cached_property
    def freight(self) -> FloatArray:
        return np.array([c.freight for c in self.scenario.countries], dtype=float)

    @cached_property
    def allowed(self) -> np.ndarray:
        """allowed[o, e]: material of origin o may serve sector e (no tag of e is restricted by o)."""
        sc = self.scenario
        out = np.ones((len(sc.countries), len(sc.sectors)), dtype=bool)
        for o, country in enumerate(sc.countries):
            banned = set(country.restricted_end_uses)
            for e, sector in enumerate(sc.sectors):
                out[o, e] = banned.isdisjoint(sector.tags)
        return out

    # -- suppliers ---------------------------------------------------------------
    @cached_property
    def supplier_country(self) -> IntArray:
        return np.array(
            [self.country_pos[s.country] for s in self.scenario.suppliers], dtype=np.int64
        )

    @cached_property
    def supplier_origin(self) -> IntArray:
        return np.array(
            [self.country_pos[s.origin_id] for s in self.scenario.suppliers], dtype=np.int64
        )

    @cached_property
    def supplier_capacity(self) -> FloatArray:
        return self._stack([s.capacity for s in self.scenario.suppliers])

    @cached_property
    def price_index(self) -> FloatArray:
        return self._stack([s.price_index for s in self.scenario.suppliers])

    @cached_property
    def lead_time(self) -> IntArray:
        # A lead time past the horizon means "never within it"; clip so huge values cannot overflow.
        return np.array([min(s.lead_time, self.T) for s in self.scenario.suppliers], dtype=np.int64)

    @cached_property
    def licence_required(self) -> np.ndarray:
        return np.array([s.licence_required for s in self.scenario.suppliers], dtype=bool)

    @cached_property
    def min_order(self) -> FloatArray:
        return np.array([s.min_order for s in self.scenario.suppliers], dtype=float)

    @cached_property
    def fixed_cost(self) -> FloatArray:
        return np.array([s.fixed_cost for s in self.scenario.suppliers], dtype=float)

    @cached_property
    def supplier_offers(self) -> Offers:
        return self._offers(self.scenario.suppliers)

    # -- plants ------------------------------------------------------------------
    @cached_property
    def plant_country(self) -> IntArray:
        return np.array([self.country_pos[k.country] for k in self.scenario.plants], dtype=np.int64)

    @cached_property
    def plant_capacity(self) -> FloatArray:
        return self._stack([k.capacity for k in self.scenario.plants])

    @cached_property
    def plant_offers(self) -> Offers:
        return self._offers(self.scenario.plants)

    # -- products and demand -----------------------------------------------------
    @cached_property
    def holding_cost(self) -> FloatArray:
        return np.array([p.holding_cost for p in self.scenario.products], dtype=float)

    @cached_property
    def min_inventory(self) -> FloatArray:
        return np.array([p.min_inventory for p in self.scenario.products], dtype=float)

    @cached_property
    def initial_inventory(self) -> FloatArray:
        """initial[p, o], kg of product p of origin o before the first period."""
        out = np.zeros((len(self.product_ids), len(self.country_ids)))
        for p, product in enumerate(self.scenario.products):
            for origin, kg in product.initial_inventory.items():
                out[p, self.country_pos[origin]] = kg
        return out

    @cached_property
    def demand(self) -> FloatArray:
        """demand[p, e, t] in kg; rows the scenario omits are 0."""
        out = np.zeros((len(self.product_ids), len(self.sector_ids), self.T))
        rows = self.scenario.demand
        if rows:
            p = np.fromiter((self.product_pos[d.product] for d in rows), np.int64, len(rows))
            e = np.fromiter((self.sector_pos[d.sector] for d in rows), np.int64, len(rows))
            t = np.fromiter((self.period_pos[d.period] for d in rows), np.int64, len(rows))
            out[p, e, t] = np.fromiter((d.quantity for d in rows), float, len(rows))
        return out

    @cached_property
    def shortage_penalty(self) -> FloatArray:
        return np.array([e.shortage_penalty for e in self.scenario.sectors], dtype=float)

    @cached_property
    def stocked(self) -> np.ndarray:
        """stocked[p, o]: product p of origin o can ever be on hand (bought, made or held)."""
        out = self.initial_inventory > 0
        so, ko = self.supplier_offers, self.plant_offers
        out[so.product, self.supplier_origin[so.owner]] = True
        out[ko.product, self.plant_country[ko.owner]] = True
        return out

    # -- policy ------------------------------------------------------------------
    @cached_property
    def budget(self) -> FloatArray | None:
        b = self.scenario.policy.budget
        return None if b is None else _per_period(b, self.T)

    # -- sourcing rules (MODEL.md §7) ----------------------------------------------
    @cached_property
    def brackets(self) -> Brackets:
        """The discount brackets b >= 1 of every supplier offer (bracket 0 is the offer itself)."""
        rows = [
            (i, b, d.min_kg, d.price)
            for i, o in enumerate(o for s in self.scenario.suppliers for o in s.offers)
            for b, d in enumerate(o.discounts, start=1)
        ]
        if not rows:
            empty = np.zeros(0, np.int64)
            return Brackets(empty, empty, np.zeros(0), np.zeros(0))
        offer, bracket, min_kg, price = zip(*rows, strict=True)
        return Brackets(
            np.array(offer, np.int64),
            np.array(bracket, np.int64),
            np.array(min_kg, float),
            np.array(price, float),
        )

    @cached_property
    def qualification_cost(self) -> FloatArray:
        """Per supplier: the cost of qualifying it, NaN for one already approved."""
        q = [s.qualification for s in self.scenario.suppliers]
        return np.array([np.nan if x is None else x.cost for x in q], float)

    @cached_property
    def qualification_lead(self) -> IntArray:
        """Per supplier: the qualification lead, clipped to the horizon (0 when approved)."""
        q = [s.qualification for s in self.scenario.suppliers]
        return np.array([0 if x is None else min(x.lead, self.T) for x in q], np.int64)

    @cached_property
    def min_service(self) -> FloatArray:
        """Per sector: its service level, NaN where none is set."""
        ms = [e.min_service for e in self.scenario.sectors]
        return np.array([np.nan if x is None else x for x in ms], float)

    # -- helpers -------------------------------------------------------------------
    def _stack(self, values: list[float | list[float]]) -> FloatArray:
        if not values:
            return np.zeros((0, self.T))
        return np.vstack([_per_period(v, self.T) for v in values])

    def _offers(self, owners: list) -> Offers:
        rows = [
            (i, self.product_pos[o.product], o.price)
            for i, w in enumerate(owners)
            for o in w.offers
        ]
        if not rows:
            return Offers(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        owner, product, price = zip(*rows, strict=True)
        return Offers(
            np.array(owner, np.int64), np.array(product, np.int64), np.array(price, float)
        )
