"""The scenario document of MODEL.md §1 as a strict pydantic v2 schema.

This layer checks shape only (types, signs, finiteness, unknown fields). Cross-field
rules — references, per-period list lengths, uniqueness — live in `validation.py`,
which runs on the parsed document and names the offending ids.
"""

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictStr,
    Tag,
)
from pydantic_core import core_schema

# The largest amount (kg, currency, currency per kg) a scenario may state. HiGHS reads
# 1e20 as infinite, and an amount far above 1e12 next to prices of a few dollars leaves
# the solve numerically meaningless (a term of the wrong sign, "Unknown" statuses); no
# magnet plan needs more than a trillion of anything.
MAX_AMOUNT = 1e12
MAX_AMOUNT_RULE = (
    "at most 1e12: larger amounts are beyond what a solve can treat as finite "
    "(HiGHS reads 1e20 as infinity)"
)


def _whole(value: Any) -> Any:
    """18161.0 is the integer JSON Schema says it is; 18161.5 stays a float and is refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class CoreSchema:
    """A constrained type given as the one pydantic-core schema it compiles to: the same
    validator and the same JSON Schema, without pydantic expanding and checking each
    constraint of each field again (four per amount, over about seventy fields; 3 ms of
    the 24 ms this module took to import)."""

    def __init__(self, schema: core_schema.CoreSchema):
        self.schema = schema

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return self.schema


def amount(
    *, ge: float | None = None, gt: float | None = None, le: float | None = None
) -> CoreSchema:
    """A finite float, given as a JSON number (strict), within the bounds."""
    return CoreSchema(
        core_schema.float_schema(allow_inf_nan=False, strict=True, ge=ge, gt=gt, le=le)
    )


NonNegative = Annotated[float, amount(ge=0, le=MAX_AMOUNT)]
Share = Annotated[float, amount(ge=0, le=1)]
Positive = Annotated[float, amount(gt=0, le=MAX_AMOUNT)]
NonNegativeInt = Annotated[int, BeforeValidator(_whole), Field(ge=0, strict=True)]


def text(*, min_length: int | None = None, max_length: int | None = None) -> CoreSchema:
    """A JSON string (strict), of that length."""
    return CoreSchema(
        core_schema.str_schema(strict=True, min_length=min_length, max_length=max_length)
    )


Id = Annotated[str, text(min_length=1, max_length=200)]
# A value given once for every period or as one value per period. The tags route
# validation to one branch, so an error names one rule rather than one per branch;
# `loading.py` drops them from error locations.
SCALAR_TAG, LIST_TAG = "<scalar>", "<per-period list>"
PerPeriod = Annotated[
    Annotated[NonNegative, Tag(SCALAR_TAG)] | Annotated[list[NonNegative], Tag(LIST_TAG)],
    Discriminator(lambda v: LIST_TAG if isinstance(v, list) else SCALAR_TAG),
]


# Defaults made by plain functions: pydantic inspects each default_factory's signature,
# and for the builtins `list` and `dict` that means parsing their text signatures
# (5 ms of the 24 ms this module took to import, over its seventeen such fields).
def _no_items() -> list[Any]:
    return []


def _no_entries() -> dict[str, Any]:
    return {}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Offer(Strict):
    product: Id = Field(description="Product id this offer is for.")
    price: NonNegative = Field(
        description="Unit price, currency per kg (before index, tariff, freight)."
    )


class Discount(Strict):
    min_kg: Positive = Field(
        description="kg of the product delivered in one period from which this price applies."
    )
    price: NonNegative = Field(
        description="Unit price of every kg of such a delivery, currency per kg (all units)."
    )


MAX_BRACKETS = 32  # discount brackets per offer: beyond any price list, and a hedge's key radix


class SupplierOffer(Offer):
    discounts: list[Discount] = Field(
        default_factory=_no_items,
        max_length=MAX_BRACKETS,
        description="Quantity discounts (MODEL.md §7): min_kg strictly increasing, price "
        "strictly decreasing and below the offer's price; at most 32.",
    )


class Qualification(Strict):
    cost: NonNegative = Field(description="Currency, paid once when qualification starts.")
    lead: NonNegativeInt = Field(
        description="Periods from the start of qualification to the first delivery."
    )


class Product(Strict):
    id: Id = Field(description="Magnet grade id, unique among products.")
    holding_cost: NonNegative = Field(
        0.0, description="Currency per kg held at the end of a period."
    )
    initial_inventory: dict[StrictStr, NonNegative] = Field(
        default_factory=_no_entries,
        description="kg in stock before the first period, by origin country id.",
    )
    min_inventory: NonNegative = Field(
        0.0, description="Safety stock, kg over all origins, at the end of every period."
    )


class Sector(Strict):
    id: Id = Field(description="End-use sector id, unique among sectors.")
    tags: list[StrictStr] = Field(
        default_factory=_no_items,
        description="End-use tags matched by countries' restricted_end_uses.",
    )
    shortage_penalty: NonNegative = Field(description="Currency per kg of unmet demand.")
    min_service: Share | None = Field(
        None,
        description="Least fraction of the sector's demand over the horizon that is met; "
        "none = only the shortage penalty applies.",
    )


class Country(Strict):
    id: Id = Field(description="Country id (origin, shipping or plant country).")
    tariff: NonNegative = Field(
        0.0, description="Ad-valorem import tariff as a fraction (0.075 = 7.5 %)."
    )
    freight: NonNegative = Field(
        0.0, description="Freight, currency per kg shipped from this country."
    )
    restricted_end_uses: list[StrictStr] = Field(
        default_factory=_no_items,
        description="Sector tags that material of this origin may not be used for.",
    )


class Supplier(Strict):
    id: Id = Field(description="Supplier id, unique among suppliers.")
    country: Id = Field(description="Shipping country id: its tariff and freight apply.")
    origin: Id | None = Field(
        None, description="Origin country of the rare-earth content; defaults to `country`."
    )
    capacity: PerPeriod = Field(
        description="kg per period over all products; scalar or one per period."
    )
    lead_time: NonNegativeInt = Field(
        0, description="Periods; deliveries only in periods t >= lead_time."
    )
    licence_required: StrictBool = Field(
        False, description="Deliveries only under a covering licence."
    )
    min_order: NonNegative = Field(
        0.0, description="kg; a period's delivery is 0 or at least this."
    )
    fixed_cost: NonNegative = Field(
        0.0, description="Currency, paid once if the supplier delivers anything."
    )
    price_index: PerPeriod = Field(1.0, description="Price multiplier; scalar or one per period.")
    offers: list[SupplierOffer] = Field(
        default_factory=_no_items, description="Products this supplier sells."
    )
    qualification: Qualification | None = Field(
        None,
        description="For a supplier not yet approved: the cost and lead of qualifying it; "
        "none = already approved.",
    )

    @property
    def origin_id(self) -> str:
        return self.origin if self.origin is not None else self.country


class Licence(Strict):
    id: Id = Field(description="Licence id, unique among licences.")
    suppliers: list[Id] = Field(description="Supplier ids whose deliveries this licence covers.")
    quantity: NonNegative = Field(
        description="kg over all covered suppliers, products and periods."
    )
    periods: list[StrictStr] | None = Field(None, description="Period labels covered; default all.")
    products: list[Id] | None = Field(None, description="Product ids covered; default all.")


class Plant(Strict):
    id: Id = Field(description="Plant id, unique among plants.")
    country: Id = Field(description="Plant country; also the origin of its output.")
    capacity: PerPeriod = Field(
        description="kg per period over all products; scalar or one per period."
    )
    existing: StrictBool = Field(True, description="Existing plants need no build decision.")
    build_cost: NonNegative = Field(
        0.0, description="Currency, paid in the period a candidate is built."
    )
    build_lead: NonNegativeInt = Field(
        0, description="Periods from the build decision to first output."
    )
    earliest_build: NonNegativeInt = Field(
        0, description="0-based index of the first period a build may start."
    )
    incentive: NonNegative = Field(0.0, description="Subsidy, currency per kg produced.")
    incentive_cap: NonNegative | None = Field(
        None, description="Cap on the total subsidy, currency; none = uncapped."
    )
    offers: list[Offer] = Field(
        default_factory=_no_items, description="Products made, with unit production cost per kg."
    )


class Demand(Strict):
    product: Id = Field(description="Product id.")
    sector: Id = Field(description="Sector id.")
    period: StrictStr = Field(description="Period label.")
    quantity: NonNegative = Field(description="kg required in that period.")


class Policy(Strict):
    max_origin_share: dict[StrictStr, Share] = Field(
        default_factory=_no_entries,
        description="Per origin country id, the largest fraction of each period's deliveries + production.",
    )
    max_supplier_share: Share = Field(
        1.0,
        description="Largest fraction of a product's deliveries over the horizon from one supplier.",
    )
    budget: PerPeriod | None = Field(
        None,
        description="Spend cap per period (landed purchases + production), currency; scalar or list.",
    )
    max_suppliers: dict[StrictStr, NonNegativeInt] = Field(
        default_factory=_no_entries,
        description="Per product id, the most suppliers that may deliver it over the horizon.",
    )
    origin_share_penalty: dict[StrictStr, NonNegative] = Field(
        default_factory=_no_entries,
        description="Per capped origin country id, currency per kg above its max_origin_share: "
        "the cap becomes a target.",
    )


def _no_policy() -> Policy:
    return Policy()


class Scenario(Strict):
    name: Annotated[StrictStr, Field(min_length=1, max_length=200)] = Field(
        description="Scenario name."
    )
    currency: StrictStr = Field("USD", description="Currency of every money amount.")
    periods: list[StrictStr] = Field(
        min_length=1, max_length=240, description="Ordered period labels."
    )
    products: list[Product] = Field(default_factory=_no_items)
    sectors: list[Sector] = Field(default_factory=_no_items)
    countries: list[Country] = Field(default_factory=_no_items)
    suppliers: list[Supplier] = Field(default_factory=_no_items)
    licences: list[Licence] = Field(default_factory=_no_items)
    plants: list[Plant] = Field(default_factory=_no_items)
    demand: list[Demand] = Field(default_factory=_no_items)
    policy: Policy = Field(default_factory=_no_policy)
