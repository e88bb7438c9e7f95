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

The sourcing rules of MODEL.md §7 that a buyer negotiates have kinds too: a discount
schedule's prices or thresholds scaled, or the schedule replaced (`discount_price`,
`discount_threshold`, `discount_schedule`), the most suppliers of a product
(`max_suppliers`), and a supplier's qualification lead and cost (`qualification_lead`,
`qualification_cost`). Each changes numbers only, so a hedge's outcome may use it. A kind
whose change depends on what the document holds (an offer with discounts, a supplier
with a qualification) says so through `document_problems` before it is applied.
"""

from collections.abc import Iterator, Sequence
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, model_validator

from optimizer.errors import Problem, pointer
from optimizer.scenario.schema import MAX_BRACKETS, Discount, Licence, amount, text

Document = dict[str, Any]


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Id = Annotated[str, text(min_length=1, max_length=200)]
Ids = Annotated[Annotated[list[Id], Field(min_length=1)] | None, BeforeValidator(_as_list)]
Factor = Annotated[float, amount(ge=0)]
Share = Annotated[float, amount(ge=0, le=1)]
Periods = Annotated[list[Annotated[str, text()]] | None, BeforeValidator(_as_list)]
RequiredIds = Annotated[Annotated[list[Id], Field(min_length=1)], BeforeValidator(_as_list)]
Scale = Annotated[float, amount(gt=0)]


def _whole(value: Any) -> Any:
    """2.0 (a grid level or a draw of `choice`) is the whole number 2; 2.5 stays a float
    and is refused."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


Count = Annotated[int, BeforeValidator(_whole), Field(ge=0, le=1_000_000, strict=True)]
Lead = Annotated[int, BeforeValidator(_whole), Field(ge=0, le=1000, strict=True)]
Shift = Annotated[int, BeforeValidator(_whole), Field(ge=-1000, le=1000, strict=True)]


class _Shock(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    # field name -> the scenario list whose ids it must name ("periods" for labels)
    references: ClassVar[dict[str, str]] = {}

    def apply(self, doc: Document) -> None:  # pragma: no cover - every kind overrides it
        raise NotImplementedError

    def document_problems(self, doc: Document, where: Sequence[object]) -> Iterator[Problem]:
        """What the document must hold for this shock beyond its ids (checked once every
        id it names is known); nothing, for most kinds."""
        return iter(())


class _FactorOrValue(_Shock):
    """A shock that either scales (`factor`) or replaces (`value`) one number."""

    factor: Factor | None = Field(None, description="Multiplier of the current value.")
    value: Factor | None = Field(None, description="New value (replaces the current one).")

    @model_validator(mode="after")
    def _one_amount(self) -> Self:
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
    def _selects(self) -> Self:
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
    def _periods_alone(self) -> Self:
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
    def _selects(self) -> Self:
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


# -- sourcing rules a buyer negotiates (MODEL.md §7) ---------------------------------------
class _SupplierSelection(_Shock):
    """Suppliers matching every selector given; at least one selector."""

    origin: Ids = Field(None, description="Origin country ids of the suppliers.")
    country: Ids = Field(None, description="Shipping country ids of the suppliers.")
    supplier: Ids = Field(None, description="Supplier ids.")
    references: ClassVar[dict[str, str]] = {
        "origin": "countries", "country": "countries", "supplier": "suppliers"
    }  # fmt: skip

    @model_validator(mode="after")
    def _selects(self) -> Self:
        if not (self.origin or self.country or self.supplier):
            raise ValueError("give at least one of `origin`, `country`, `supplier`")
        return self


class _OfferSelection(_SupplierSelection):
    """The offers of the selected suppliers, of the products given (default all)."""

    product: Ids = Field(None, description="Product ids whose offers change; default all.")
    references: ClassVar[dict[str, str]] = {
        **_SupplierSelection.references, "product": "products"
    }  # fmt: skip

    def offers(self, doc: Document) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return [
            (s, offer)
            for s in _suppliers(doc, self)
            for offer in s.get("offers", [])
            if _picked(offer["product"], self.product)
        ]

    def document_problems(self, doc: Document, where: Sequence[object]) -> Iterator[Problem]:
        if not any(offer.get("discounts") for _, offer in self.offers(doc)):
            yield Problem(
                pointer(*where),
                None,
                "selects no offer with quantity discounts: nothing to change "
                "(`discount_schedule` gives an offer a schedule)",
            )


class DiscountPriceShock(_OfferSelection):
    """Scale the bracket prices of the selected offers' quantity discounts (MODEL.md §7);
    the list price stays. A bracket whose price reaches the list price is no discount and
    goes (an offer left without brackets has none); the others stay strictly decreasing.
    """

    kind: Literal["discount_price"]
    factor: Scale = Field(description="Multiplier of every bracket's price (> 0).")

    def apply(self, doc: Document) -> None:
        for _, offer in self.offers(doc):
            brackets = [
                {**d, "price": d["price"] * self.factor} for d in offer.get("discounts") or []
            ]
            _set_discounts(offer, [d for d in brackets if d["price"] < offer["price"]])


class DiscountThresholdShock(_OfferSelection):
    """Scale the thresholds (`min_kg`) of the selected offers' quantity discounts: 2 means
    twice the kg in a period for each bracket's price."""

    kind: Literal["discount_threshold"]
    factor: Scale = Field(description="Multiplier of every bracket's min_kg (> 0).")

    def apply(self, doc: Document) -> None:
        for _, offer in self.offers(doc):
            brackets = offer.get("discounts") or []
            _set_discounts(offer, [{**d, "min_kg": d["min_kg"] * self.factor} for d in brackets])


class DiscountScheduleShock(_OfferSelection):
    """Replace the quantity discounts of the selected offers by one schedule (`[]` takes
    them away). Every bracket's price must lie below each selected offer's list price."""

    kind: Literal["discount_schedule"]
    discounts: list[Discount] = Field(
        max_length=MAX_BRACKETS,
        description="The brackets (MODEL.md §7): min_kg strictly increasing, price strictly "
        "decreasing; [] removes the discounts.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        pairs = list(zip(self.discounts, self.discounts[1:], strict=False))
        if any(b.min_kg <= a.min_kg for a, b in pairs):
            raise ValueError("the brackets' `min_kg` must strictly increase")
        if any(b.price >= a.price for a, b in pairs):
            raise ValueError("the brackets' `price` must strictly decrease")
        return self

    def document_problems(self, doc: Document, where: Sequence[object]) -> Iterator[Problem]:
        offers = self.offers(doc)
        if not offers:
            yield Problem(pointer(*where), None, "selects no offer: nothing to change")
        elif self.discounts:
            first = self.discounts[0].price
            for s, offer in offers:
                if first >= offer["price"]:
                    yield Problem(
                        pointer(*where, "discounts", 0, "price"),
                        first,
                        f"must be below the list price of {s['id']}'s {offer['product']} "
                        f"offer ({offer['price']:g})",
                    )

    def apply(self, doc: Document) -> None:
        brackets = [d.model_dump() for d in self.discounts]
        for _, offer in self.offers(doc):
            _set_discounts(offer, brackets)


def _set_discounts(offer: dict[str, Any], brackets: list[dict[str, Any]]) -> None:
    """A new list on the (copied) offer, or none at all: lists are shared between copies."""
    if brackets:
        offer["discounts"] = [dict(d) for d in brackets]
    else:
        offer.pop("discounts", None)


class MaxSuppliersShock(_Shock):
    """Set `policy.max_suppliers` for the products given: the most suppliers that may
    deliver each over the horizon (a value of at least the number offering it lifts the
    cap, as 1 lifts an origin's share cap)."""

    kind: Literal["max_suppliers"]
    product: RequiredIds = Field(description="Product ids.")
    value: Count = Field(description="Most suppliers of each product (a whole number >= 0).")
    references: ClassVar[dict[str, str]] = {"product": "products"}

    def apply(self, doc: Document) -> None:
        caps = doc.setdefault("policy", {}).setdefault("max_suppliers", {})
        for product in self.product:
            caps[product] = self.value


class _QualificationSelection(_SupplierSelection):
    """Selected suppliers that carry a `qualification` (approved ones need none)."""

    def qualifying(self, doc: Document) -> list[dict[str, Any]]:
        return [s for s in _suppliers(doc, self) if s.get("qualification")]

    def document_problems(self, doc: Document, where: Sequence[object]) -> Iterator[Problem]:
        approved = {s["id"] for s in doc.get("suppliers", []) if not s.get("qualification")}
        named = [(i, x) for i, x in enumerate(self.supplier or []) if x in approved]
        for i, id_ in named:
            yield Problem(
                pointer(*where, "supplier", i),
                id_,
                "this supplier has no qualification to change (it is approved already)",
            )
        if not named and not self.qualifying(doc):
            yield Problem(
                pointer(*where), None, "selects no supplier with a qualification: nothing to change"
            )


class QualificationLeadShock(_QualificationSelection):
    """Set (`value`) or lengthen (`add`, < 0 shortens, floored at 0) the qualification lead
    of the selected suppliers that need one: the periods from the start of qualification
    to a first delivery."""

    kind: Literal["qualification_lead"]
    value: Lead | None = Field(None, description="New lead, whole periods >= 0.")
    add: Shift | None = Field(None, description="Periods added to the lead (may be < 0).")

    @model_validator(mode="after")
    def _one_amount(self) -> Self:
        if (self.value is None) == (self.add is None):
            raise ValueError("give exactly one of `value` and `add`")
        return self

    def apply(self, doc: Document) -> None:
        for s in self.qualifying(doc):
            q = s["qualification"]
            lead = self.value if self.value is not None else max(0, q["lead"] + (self.add or 0))
            s["qualification"] = {**q, "lead": lead}


class QualificationCostShock(_QualificationSelection, _FactorOrValue):
    """Scale or set the qualification cost of the selected suppliers that need one."""

    kind: Literal["qualification_cost"]

    def apply(self, doc: Document) -> None:
        for s in self.qualifying(doc):
            q = s["qualification"]
            s["qualification"] = {**q, "cost": self.changed(q["cost"])}


Shock = Annotated[
    CapacityShock
    | RevokeLicenceShock
    | LicenceQuantityShock
    | AddLicenceShock
    | CountryRateShock
    | DemandShock
    | PriceShock
    | LeadTimeShock
    | OriginShareShock
    | DiscountPriceShock
    | DiscountThresholdShock
    | DiscountScheduleShock
    | MaxSuppliersShock
    | QualificationLeadShock
    | QualificationCostShock,
    Field(discriminator="kind"),
]
SHOCK: TypeAdapter[Any] = TypeAdapter(Shock)
KINDS = (
    "capacity", "revoke_licence", "licence_quantity", "add_licence", "tariff", "freight",
    "demand", "price", "lead_time", "origin_share", "discount_price", "discount_threshold",
    "discount_schedule", "max_suppliers", "qualification_lead", "qualification_cost",
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
