"""The what-if shock kinds that change what may be sourced, and when: licences revoked
or granted (`revoke_licence`, `add_licence`), deliveries delayed (`lead_time`), and the
policy cap on an origin's share of supply (`origin_share`).

A longer lead time from a period on (`lead_time`) is expressed through capacity, since
MODEL.md §3 has one lead time per supplier: the deliveries due from that period on arrive
`add` periods later, so the supplier's capacity profile shifts `add` periods later from
there and the periods it leaves behind get capacity 0 (see `LeadTimeShock`).
"""

from typing import Annotated, ClassVar, Literal

from pydantic import ConfigDict, Field

from optimizer.scenario.schema import Licence
from optimizer.whatif.shock_base import (
    Document,
    Id,
    Ids,
    Share,
    ShockModel,
    by_id,
    selected_suppliers,
    selecting,
)


class RevokeLicenceShock(ShockModel):
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
            by_id(doc, "licences", self.licence)["quantity"] = 0.0


class AddLicenceShock(ShockModel):
    """Grant a new licence (the fields of MODEL.md §1's licence)."""

    kind: Literal["add_licence"]
    licence: Licence = Field(description="The licence granted.")

    def apply(self, doc: Document) -> None:
        doc.setdefault("licences", []).append(self.licence.model_dump(exclude_none=True))


class LeadTimeShock(ShockModel):
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

    _selects = selecting("origin", "country", "supplier")

    def apply(self, doc: Document) -> None:
        periods = len(doc["periods"])
        start = 0 if self.from_ is None else doc["periods"].index(self.from_)
        for s in selected_suppliers(doc, self):
            due = max(start, int(s.get("lead_time", 0)))
            if self.add == 0 or due >= periods:
                continue
            cap = s["capacity"]
            values = list(cap) if isinstance(cap, list) else [cap] * periods
            shifted = values[:due] + [0.0] * self.add + values[due : periods - self.add]
            s["capacity"] = shifted[:periods]


class OriginShareShock(ShockModel):
    """Set the policy cap on an origin's share of each period's supply (1 = no cap)."""

    kind: Literal["origin_share"]
    origin: Id = Field(description="Origin country id.")
    value: Share = Field(description="Largest fraction of each period's deliveries + production.")
    references: ClassVar[dict[str, str]] = {"origin": "countries"}

    def apply(self, doc: Document) -> None:
        caps = doc.setdefault("policy", {}).setdefault("max_origin_share", {})
        caps[self.origin] = self.value
