"""The kinds of what-if shock gathered: one model per kind, each changing a scenario
document, and `Shock`, the union of them told apart by `kind` (`SHOCK` validates one;
`KINDS` names them in the order the documentation lists them).

The kinds live by what they change:

- `shock_amounts`: capacity, licence quantity, tariff and freight, demand, prices;
- `shock_availability`: licences revoked or granted, deliveries delayed (lead time),
  the cap on an origin's share;
- `shock_rules`: the sourcing rules of MODEL.md §7 (quantity discounts, the most
  suppliers of a product, a supplier's qualification lead and cost);
- `shock_base`: what they share (field types, base models, finding what a shock changes).
"""

from typing import Annotated, Any

from pydantic import Field, TypeAdapter

from optimizer.whatif.shock_amounts import (
    CapacityShock,
    CountryRateShock,
    DemandShock,
    LicenceQuantityShock,
    PriceShock,
)
from optimizer.whatif.shock_availability import (
    AddLicenceShock,
    LeadTimeShock,
    OriginShareShock,
    RevokeLicenceShock,
)
from optimizer.whatif.shock_base import Document as Document  # the kinds' importers use it
from optimizer.whatif.shock_rules import (
    DiscountPriceShock,
    DiscountScheduleShock,
    DiscountThresholdShock,
    MaxSuppliersShock,
    QualificationCostShock,
    QualificationLeadShock,
)

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
