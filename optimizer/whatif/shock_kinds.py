"""The kinds of what-if shock: one model per kind, each changing a scenario document.

A shock names what it changes by the scenario's own ids (an origin, a shipping country,
a supplier, a licence, a sector…) and by how much: a `factor` that scales the current
value or a `value` that replaces it. Each kind lists the scenario lists its ids must name
(`references`), so that `shocks.apply_shocks` can check them before `apply` runs.

Per-period fields (capacities, price indices) given as one scalar become a list when a
shock touches only some periods, so that the other periods keep their value.

A longer lead time from a period on (`lead_time`) is expressed through capacity, since
MODEL.md §3 has one lead time per supplier: the deliveries due from that period on arrive
`add` periods later, so the supplier's capacity profile shifts `add` periods later from
there and the periods it leaves behind get capacity 0 (see `LeadTimeShock`).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, model_validator

from optimizer.scenario.schema import Licence

Document = dict[str, Any]


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Id = Annotated[str, Field(min_length=1, max_length=200, strict=True)]
Ids = Annotated[Annotated[list[Id], Field(min_length=1)] | None, BeforeValidator(_as_list)]
Factor = Annotated[float, Field(ge=0, allow_inf_nan=False, strict=True)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False, strict=True)]
Periods = Annotated[list[Annotated[str, Field(strict=True)]] | None, BeforeValidator(_as_list)]


class _Shock(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    # field name -> the scenario list whose ids it must name ("periods" for labels)
    references: ClassVar[dict[str, str]] = {}

    def apply(self, doc: Document) -> None:  # pragma: no cover - every kind overrides it
        raise NotImplementedError


class _FactorOrValue(_Shock):
    """A shock that either scales (`factor`) or replaces (`value`) one number."""

    factor: Factor | None = Field(None, description="Multiplier of the current value.")
    value: Factor | None = Field(None, description="New value (replaces the current one).")

    @model_validator(mode="after")
    def _one_amount(self) -> _FactorOrValue:
        if (self.factor is None) == (self.value is None):
            raise ValueError("give exactly one of `factor` and `value`")
        return self

    def changed(self, current: float) -> float:
        return current * self.factor if self.factor is not None else float(self.value or 0.0)


class CapacityShock(_Shock):
    """Scale supplier capacity (suppliers matching every given selector) and/or plant capacity."""

    kind: Literal["capacity"]
    origin: Ids = Field(None, description="Origin country ids of the suppliers scaled.")
    country: Ids = Field(None, description="Shipping country ids of the suppliers scaled.")
    supplier: Ids = Field(None, description="Supplier ids scaled.")
    plant: Ids = Field(None, description="Plant ids whose capacity is scaled too.")
    factor: Factor = Field(description="Multiplier of capacity; 0 stops the source.")
    periods: Periods = Field(None, description="Period labels affected; default all.")
    references: ClassVar[dict[str, str]] = {
        "origin": "countries", "country": "countries", "supplier": "suppliers",
        "plant": "plants", "periods": "periods",
    }  # fmt: skip

    @model_validator(mode="after")
    def _selects(self) -> CapacityShock:
        if not (self.origin or self.country or self.supplier or self.plant):
            raise ValueError("give at least one of `origin`, `country`, `supplier`, `plant`")
        return self

    def apply(self, doc: Document) -> None:
        chosen = _period_positions(doc, self.periods)
        for owner in [*_suppliers(doc, self), *_plants(doc, self.plant)]:
            owner["capacity"] = _scaled(owner["capacity"], self.factor, chosen, doc)


class RevokeLicenceShock(_Shock):
    """Revoke a licence: its quantity becomes 0 (default), or with `remove` it is deleted.

    Both give the same optimum; quantity 0 keeps the model's shape (so a sweep can
    re-solve it from the previous basis) and keeps the licence in the plan's table.
    """

    kind: Literal["revoke_licence"]
    licence: Id = Field(description="Licence id.")
    remove: bool = Field(False, description="Delete the licence instead of setting quantity 0.")
    references: ClassVar[dict[str, str]] = {"licence": "licences"}

    def apply(self, doc: Document) -> None:
        if self.remove:
            doc["licences"] = [x for x in doc["licences"] if x["id"] != self.licence]
        else:
            _by_id(doc, "licences", self.licence)["quantity"] = 0.0


class LicenceQuantityShock(_FactorOrValue):
    """Scale or set a licence's quantity (kg)."""

    kind: Literal["licence_quantity"]
    licence: Id = Field(description="Licence id.")
    references: ClassVar[dict[str, str]] = {"licence": "licences"}

    def apply(self, doc: Document) -> None:
        lic = _by_id(doc, "licences", self.licence)
        lic["quantity"] = self.changed(lic["quantity"])


class AddLicenceShock(_Shock):
    """Grant a new licence (the fields of MODEL.md §1's licence)."""

    kind: Literal["add_licence"]
    licence: Licence = Field(description="The licence granted.")

    def apply(self, doc: Document) -> None:
        doc.setdefault("licences", []).append(self.licence.model_dump(exclude_none=True))


class CountryRateShock(_FactorOrValue):
    """Set or scale a country's tariff (fraction) or freight (currency per kg)."""

    kind: Literal["tariff", "freight"]
    country: Id = Field(description="Country id (the shipping country of the suppliers hit).")
    references: ClassVar[dict[str, str]] = {"country": "countries"}

    def apply(self, doc: Document) -> None:
        country = _by_id(doc, "countries", self.country)
        country[self.kind] = self.changed(country.get(self.kind, 0.0))


class DemandShock(_Shock):
    """Scale demand rows of the given sectors, products and periods (each default all)."""

    kind: Literal["demand"]
    sector: Ids = Field(None, description="Sector ids; default all.")
    product: Ids = Field(None, description="Product ids; default all.")
    periods: Periods = Field(None, description="Period labels; default all.")
    factor: Factor = Field(description="Multiplier of the demand quantity.")
    references: ClassVar[dict[str, str]] = {
        "sector": "sectors", "product": "products", "periods": "periods"
    }  # fmt: skip

    def apply(self, doc: Document) -> None:
        for row in doc.get("demand", []):
            if (
                _picked(row["sector"], self.sector)
                and _picked(row["product"], self.product)
                and _picked(row["period"], self.periods)
            ):
                row["quantity"] = row["quantity"] * self.factor


class PriceShock(_Shock):
    """Scale supplier offer prices (suppliers matching every given selector; all suppliers
    when no supplier selector and no plant is given) and plant production costs.

    Without `periods` the offer prices are scaled (only `product`'s, when given). With
    `periods` the suppliers' price index is scaled in those periods instead, so `product`
    and `plant` (whose costs have no per-period index) cannot be combined with it. An
    offer's quantity discounts (MODEL.md §7) are scaled with its price.
    """

    kind: Literal["price"]
    origin: Ids = Field(None, description="Origin country ids of the suppliers.")
    country: Ids = Field(None, description="Shipping country ids of the suppliers.")
    supplier: Ids = Field(None, description="Supplier ids.")
    product: Ids = Field(None, description="Product ids whose offers are scaled; default all.")
    plant: Ids = Field(None, description="Plant ids whose production costs are scaled.")
    periods: Periods = Field(None, description="Period labels (price index); default all.")
    factor: Factor = Field(description="Multiplier of the price.")
    references: ClassVar[dict[str, str]] = {
        "origin": "countries", "country": "countries", "supplier": "suppliers",
        "product": "products", "plant": "plants", "periods": "periods",
    }  # fmt: skip

    @model_validator(mode="after")
    def _periods_alone(self) -> PriceShock:
        if self.periods is not None and (self.product or self.plant):
            raise ValueError(
                "`periods` scales the price index: it cannot go with `product` or `plant`"
            )
        return self

    def apply(self, doc: Document) -> None:
        everyone = not (self.origin or self.country or self.supplier or self.plant)
        suppliers = doc.get("suppliers", []) if everyone else _suppliers(doc, self)
        if self.periods is not None:
            chosen = _period_positions(doc, self.periods)
            for s in suppliers:
                s["price_index"] = _scaled(s.get("price_index", 1.0), self.factor, chosen, doc)
            return
        for owner in [*suppliers, *_plants(doc, self.plant)]:
            for offer in owner.get("offers", []):
                if _picked(offer["product"], self.product):
                    offer["price"] = offer["price"] * self.factor
                    _scale_discounts(offer, self.factor)


def _scale_discounts(offer: dict[str, Any], factor: float) -> None:
    """MODEL.md §7: the discount brackets move with the list price; a price scaled to 0
    leaves nothing to discount, so its brackets go (they would no longer decrease)."""
    if not offer.get("discounts"):
        return
    if factor == 0:
        del offer["discounts"]
        return
    offer["discounts"] = [{**d, "price": d["price"] * factor} for d in offer["discounts"]]


class LeadTimeShock(_Shock):
    """Deliveries of the selected suppliers (matching every selector given) due from period
    `from` on (default: the first period) arrive `add` periods later.

    MODEL.md §3 has one lead time per supplier (deliveries only in t >= lead_time), so the
    delay is expressed through capacity. With m = max(from, lead_time), the first period
    in which a delivery can be due, the capacity becomes

        capacity'[t] = capacity[t]         for t < m
                       0                   for m <= t < m + add
                       capacity[t - add]   for t >= m + add

    (clipped to the horizon): what was due in a period now arrives `add` periods later,
    priced at the arrival period's price index. With `from` at or before the supplier's
    lead time this is exactly its lead time raised by `add` (a constant capacity then
    keeps its value from m + add on). The lead time itself is left as it is.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, serialize_by_alias=True
    )
    kind: Literal["lead_time"]
    origin: Ids = Field(None, description="Origin country ids of the suppliers delayed.")
    country: Ids = Field(None, description="Shipping country ids of the suppliers delayed.")
    supplier: Ids = Field(None, description="Supplier ids delayed.")
    add: int = Field(ge=0, le=1000, strict=True, description="Periods added to the lead time.")
    from_: Annotated[str, Field(strict=True)] | None = Field(
        None, alias="from", description="First period whose deliveries are delayed; default first."
    )
    references: ClassVar[dict[str, str]] = {
        "origin": "countries", "country": "countries", "supplier": "suppliers",
        "from_": "periods",
    }  # fmt: skip

    @model_validator(mode="after")
    def _selects(self) -> LeadTimeShock:
        if not (self.origin or self.country or self.supplier):
            raise ValueError("give at least one of `origin`, `country`, `supplier`")
        return self

    def apply(self, doc: Document) -> None:
        periods = len(doc["periods"])
        start = 0 if self.from_ is None else doc["periods"].index(self.from_)
        for s in _suppliers(doc, self):
            due = max(start, int(s.get("lead_time", 0)))
            if self.add == 0 or due >= periods:
                continue
            cap = s["capacity"]
            values = list(cap) if isinstance(cap, list) else [cap] * periods
            shifted = values[:due] + [0.0] * self.add + values[due : periods - self.add]
            s["capacity"] = shifted[:periods]


class OriginShareShock(_Shock):
    """Set the policy cap on an origin's share of each period's supply (1 = no cap)."""

    kind: Literal["origin_share"]
    origin: Id = Field(description="Origin country id.")
    value: Share = Field(description="Largest fraction of each period's deliveries + production.")
    references: ClassVar[dict[str, str]] = {"origin": "countries"}

    def apply(self, doc: Document) -> None:
        caps = doc.setdefault("policy", {}).setdefault("max_origin_share", {})
        caps[self.origin] = self.value


Shock = Annotated[
    CapacityShock
    | RevokeLicenceShock
    | LicenceQuantityShock
    | AddLicenceShock
    | CountryRateShock
    | DemandShock
    | PriceShock
    | LeadTimeShock
    | OriginShareShock,
    Field(discriminator="kind"),
]
SHOCK: TypeAdapter[Any] = TypeAdapter(Shock)
KINDS = (
    "capacity", "revoke_licence", "licence_quantity", "add_licence", "tariff", "freight",
    "demand", "price", "lead_time", "origin_share",
)  # fmt: skip


# -- finding what a shock changes ---------------------------------------------------------
def _by_id(doc: Document, field: str, id_: str) -> dict[str, Any]:
    return next(item for item in doc[field] if item["id"] == id_)


def _picked(value: str, wanted: list[str] | None) -> bool:
    return wanted is None or value in wanted


def _suppliers(doc: Document, sel: Any) -> list[dict[str, Any]]:
    """Suppliers matching every supplier selector given; none when no selector is given."""
    if not (sel.origin or sel.country or sel.supplier):
        return []
    return [
        s
        for s in doc.get("suppliers", [])
        if (sel.origin is None or (s.get("origin") or s["country"]) in sel.origin)
        and (sel.country is None or s["country"] in sel.country)
        and (sel.supplier is None or s["id"] in sel.supplier)
    ]


def _plants(doc: Document, ids: list[str] | None) -> list[dict[str, Any]]:
    return [k for k in doc.get("plants", []) if ids is not None and k["id"] in ids]


def _period_positions(doc: Document, labels: list[str] | None) -> set[int] | None:
    if labels is None:
        return None
    return {t for t, label in enumerate(doc["periods"]) if label in labels}


def _scaled(
    value: float | list[float], factor: float, chosen: set[int] | None, doc: Document
) -> float | list[float]:
    """A per-period value scaled in the chosen periods (all when None); a scalar becomes a
    per-period list only when some periods keep their value."""
    if chosen is None:
        return [v * factor for v in value] if isinstance(value, list) else value * factor
    values = value if isinstance(value, list) else [value] * len(doc["periods"])
    return [v * factor if t in chosen else v for t, v in enumerate(values)]
