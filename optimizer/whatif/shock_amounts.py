"""The what-if shock kinds that scale or set amounts: supplier and plant capacity
(`capacity`), a licence's quantity (`licence_quantity`), a country's tariff or freight
(`tariff`, `freight`), demand (`demand`) and prices (`price`).
"""

from typing import Any, ClassVar, Literal, Self

from pydantic import Field, model_validator

from optimizer.whatif.shock_base import (
    Document,
    Factor,
    FactorOrValue,
    Id,
    Ids,
    Periods,
    ShockModel,
    by_id,
    period_positions,
    picked,
    scaled,
    selected_plants,
    selected_suppliers,
    selecting,
)


class CapacityShock(ShockModel):
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

    _selects = selecting("origin", "country", "supplier", "plant")

    def apply(self, doc: Document) -> None:
        chosen = period_positions(doc, self.periods)
        for owner in [*selected_suppliers(doc, self), *selected_plants(doc, self.plant)]:
            owner["capacity"] = scaled(owner["capacity"], self.factor, chosen, doc)


class LicenceQuantityShock(FactorOrValue):
    """Scale or set a licence's quantity (kg)."""

    kind: Literal["licence_quantity"]
    licence: Id = Field(description="Licence id.")
    references: ClassVar[dict[str, str]] = {"licence": "licences"}

    def apply(self, doc: Document) -> None:
        lic = by_id(doc, "licences", self.licence)
        lic["quantity"] = self.changed(lic["quantity"])


class CountryRateShock(FactorOrValue):
    """Set or scale a country's tariff (fraction) or freight (currency per kg)."""

    kind: Literal["tariff", "freight"]
    country: Id = Field(description="Country id (the shipping country of the suppliers hit).")
    references: ClassVar[dict[str, str]] = {"country": "countries"}

    def apply(self, doc: Document) -> None:
        country = by_id(doc, "countries", self.country)
        country[self.kind] = self.changed(country.get(self.kind, 0.0))


class DemandShock(ShockModel):
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
                picked(row["sector"], self.sector)
                and picked(row["product"], self.product)
                and picked(row["period"], self.periods)
            ):
                row["quantity"] = row["quantity"] * self.factor


class PriceShock(ShockModel):
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
        suppliers = doc.get("suppliers", []) if everyone else selected_suppliers(doc, self)
        if self.periods is not None:
            chosen = period_positions(doc, self.periods)
            for s in suppliers:
                s["price_index"] = scaled(s.get("price_index", 1.0), self.factor, chosen, doc)
            return
        for owner in [*suppliers, *selected_plants(doc, self.plant)]:
            for offer in owner.get("offers", []):
                if picked(offer["product"], self.product):
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
