"""The what-if shock kinds for the sourcing rules of MODEL.md §7 that a buyer negotiates:
a discount schedule's prices or thresholds scaled, or the schedule replaced
(`discount_price`, `discount_threshold`, `discount_schedule`), the most suppliers of a
product (`max_suppliers`), and a supplier's qualification lead and cost
(`qualification_lead`, `qualification_cost`).

Each changes numbers only, so a hedge's outcome may use it. A kind whose change depends
on what the document holds (an offer with discounts, a supplier with a qualification)
says so through `document_problems` before it is applied.
"""

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar, Literal, Self

from pydantic import Field, model_validator

from optimizer.errors import Problem, pointer
from optimizer.scenario.schema import MAX_BRACKETS, Discount
from optimizer.whatif.shock_base import (
    Count,
    Document,
    FactorOrValue,
    Ids,
    Lead,
    RequiredIds,
    Scale,
    Shift,
    ShockModel,
    picked,
    selected_suppliers,
    selecting,
)


class _SupplierSelection(ShockModel):
    """Suppliers matching every selector given; at least one selector."""

    origin: Ids = Field(None, description="Origin country ids of the suppliers.")
    country: Ids = Field(None, description="Shipping country ids of the suppliers.")
    supplier: Ids = Field(None, description="Supplier ids.")
    references: ClassVar[dict[str, str]] = {
        "origin": "countries", "country": "countries", "supplier": "suppliers"
    }  # fmt: skip

    _selects = selecting("origin", "country", "supplier")


class _OfferSelection(_SupplierSelection):
    """The offers of the selected suppliers, of the products given (default all)."""

    product: Ids = Field(None, description="Product ids whose offers change; default all.")
    references: ClassVar[dict[str, str]] = {
        **_SupplierSelection.references, "product": "products"
    }  # fmt: skip

    def offers(self, doc: Document) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return [
            (s, offer)
            for s in selected_suppliers(doc, self)
            for offer in s.get("offers", [])
            if picked(offer["product"], self.product)
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


class MaxSuppliersShock(ShockModel):
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
        return [s for s in selected_suppliers(doc, self) if s.get("qualification")]

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


class QualificationCostShock(_QualificationSelection, FactorOrValue):
    """Scale or set the qualification cost of the selected suppliers that need one."""

    kind: Literal["qualification_cost"]

    def apply(self, doc: Document) -> None:
        for s in self.qualifying(doc):
            q = s["qualification"]
            s["qualification"] = {**q, "cost": self.changed(q["cost"])}
