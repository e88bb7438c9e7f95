"""What-if shocks: typed changes to a scenario document, each giving a new document.

A shock names what it changes by the scenario's own ids (an origin, a shipping country,
a supplier, a licence, a sector…) and by how much: a `factor` that scales the current
value or a `value` that replaces it. `apply_shocks` checks every id against the document
first and reports every unknown one at once, with a JSON pointer to the shock's field.

Per-period fields (capacities, price indices) given as one scalar become a list when a
shock touches only some periods, so that the other periods keep their value.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from .errors import Problem, pointer
from .scenario import Licence

Document = dict[str, Any]


class SpecError(ValueError):
    """A what-if specification (shock, sweep, exclusion) was rejected; one `Problem` per rule."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


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
    and `plant` (whose costs have no per-period index) cannot be combined with it.
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
    | OriginShareShock,
    Field(discriminator="kind"),
]
SHOCK: TypeAdapter[Any] = TypeAdapter(Shock)
KINDS = (
    "capacity", "revoke_licence", "licence_quantity", "add_licence", "tariff", "freight",
    "demand", "price", "origin_share",
)  # fmt: skip


# -- reading shocks --------------------------------------------------------------------
def parse_shock(raw: Any, where: Sequence[object] = ()) -> Any:
    """A validated shock, or SpecError naming each bad field under `where`."""
    try:
        return SHOCK.validate_python(raw)
    except ValidationError as exc:
        raise SpecError(problems_of(exc, where)) from None


def parse_shocks(raw: Any, where: Sequence[object] = ()) -> list[Any]:
    if not isinstance(raw, list):
        raise SpecError([Problem(pointer(*where), raw, "must be a list of shocks")])
    shocks, problems = [], []
    for i, item in enumerate(raw):
        try:
            shocks.append(parse_shock(item, [*where, i]))
        except SpecError as exc:
            problems += exc.problems
    if problems:
        raise SpecError(problems)
    return shocks


def validation_problem(error: Any, where: Sequence[object] = ()) -> Problem:
    """A pydantic error as a Problem whose pointer starts at `where`."""
    loc = [part for part in error["loc"] if not _branch_label(part)]
    value = None if error["type"] == "missing" else error.get("input")
    if isinstance(value, dict | list):
        value = str(value)[:200]
    if error["type"] == "extra_forbidden":
        return Problem(
            pointer(*where, *loc), value, "unknown field (not part of the specification)"
        )
    if error["type"] == "value_error":  # a rule across fields: the message says it all
        return Problem(pointer(*where, *loc), None, error["msg"].removeprefix("Value error, "))
    return Problem(pointer(*where, *loc), value, error["msg"])


def problems_of(exc: ValidationError, where: Sequence[object] = ()) -> list[Problem]:
    """Each pointer once: the rules of a union's branches that all failed joined by "or"."""
    merged: dict[str, Problem] = {}
    for problem in (validation_problem(e, where) for e in exc.errors()):
        first = merged.get(problem.pointer)
        if first is None:
            merged[problem.pointer] = problem
        elif problem.rule not in first.rule:
            merged[problem.pointer] = Problem(
                first.pointer, first.value, f"{first.rule}, or {problem.rule}"
            )
    return list(merged.values())


_UNION_LABELS = {"float", "int", "str", "bool", "NamedLevel", "uniform", "triangular", "choice"}


def _branch_label(part: object) -> bool:
    """Pydantic names the branch of a union in an error's location; it is not a field."""
    return isinstance(part, str) and (
        part in KINDS
        or part in _UNION_LABELS
        or part.startswith(("function-", "constrained-"))
        or "[" in part
    )


# -- applying shocks ---------------------------------------------------------------------
def apply_shocks(doc: Document, shocks: Sequence[Any], where: Sequence[object] = ()) -> Document:
    """A new scenario document with every shock applied in order; `doc` is left as it was.

    Each shock's ids are checked against the document as the shocks before it left it
    (a licence added by one shock can be scaled by the next); SpecError lists every
    unknown id of every shock.
    """
    out = fresh_copy(doc)
    problems: list[Problem] = []
    for i, shock in enumerate(shocks):
        found = list(shock_problems(out, shock, [*where, i]))
        problems += found
        if not found:
            shock.apply(out)
    if problems:
        raise SpecError(problems)
    return out


def fresh_copy(doc: Document) -> Document:
    """A copy deep enough for shocks: every dict a shock may change is new (the document,
    its items, offers, policy and its caps). Shocks replace lists such as capacities
    instead of changing them in place, so those may be shared; a full deep copy costs a
    third of a hot-started member's time on a large scenario."""
    out = dict(doc)
    for field, items in doc.items():
        if isinstance(items, list):
            out[field] = [dict(item) if isinstance(item, dict) else item for item in items]
    for owner in (*out.get("suppliers", []), *out.get("plants", [])):
        owner["offers"] = [dict(offer) for offer in owner.get("offers", [])]
    if isinstance(doc.get("policy"), dict):
        out["policy"] = copy.deepcopy(doc["policy"])
    return out


def shock_problems(doc: Document, shock: Any, where: Sequence[object]) -> Iterator[Problem]:
    """Every id the shock names that the document does not hold."""
    for field, kind in shock.references.items():
        wanted = getattr(shock, field)
        known = _known(doc, kind)
        for i, ref in enumerate([wanted] if isinstance(wanted, str) else wanted or []):
            if ref not in known:
                at = (
                    pointer(*where, field) if isinstance(wanted, str) else pointer(*where, field, i)
                )
                yield Problem(at, ref, f"unknown {_singular(kind)}: not in the scenario's {kind}")
    if isinstance(shock, AddLicenceShock):
        yield from _new_licence_problems(doc, shock.licence, [*where, "licence"])


def _new_licence_problems(doc: Document, lic: Licence, where: list[object]) -> Iterator[Problem]:
    if lic.id in _known(doc, "licences"):
        yield Problem(pointer(*where, "id"), lic.id, "a licence with this id already exists")
    lists = (("suppliers", lic.suppliers), ("products", lic.products), ("periods", lic.periods))
    for field, refs in lists:
        for i, ref in enumerate(refs or []):
            if ref not in _known(doc, field):
                yield Problem(
                    pointer(*where, field, i),
                    ref,
                    f"unknown {_singular(field)}: not in the scenario's {field}",
                )


def _known(doc: Document, kind: str) -> set[str]:
    if kind == "periods":
        return set(doc.get("periods", []))
    return {item["id"] for item in doc.get(kind, [])}


def _singular(kind: str) -> str:
    return {"countries": "country", "periods": "period"}.get(kind, kind.rstrip("s"))


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
