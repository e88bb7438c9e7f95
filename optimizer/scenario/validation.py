"""The domain pass of MODEL.md §1: rules that span fields of a scenario.

Each check returns the problems it finds; `check_scenario` gathers them all so that
an analyst sees every mistake at once rather than one per attempt. The rules run on a
validated `Scenario` or, when the schema refused parts of the document, on
`readable_view` of it: the same fields, with what the schema refused read as `UNREAD`,
which every rule skips (docs/model-notes.md, "Validation order").
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from types import NoneType, SimpleNamespace, UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from optimizer.errors import Problem, pointer
from optimizer.scenario.schema import Scenario

ID_LISTS = ("products", "sectors", "countries", "suppliers", "licences", "plants")


def check_scenario(sc: Scenario) -> list[Problem]:
    checks = (
        _unique_ids,
        _unique_periods,
        _country_references,
        _offer_references,
        _per_period_lengths,
        _licence_references,
        _plant_rules,
        _demand_rows,
        _policy_references,
        _discount_rules,
        _rule_references,
    )
    return [problem for check in checks for problem in check(sc)]


def _duplicates(values: Iterable[str]) -> Iterator[tuple[int, str]]:
    seen: set[str] = set()
    for i, v in enumerate(values):
        if v in seen and v is not UNREAD:
            yield i, v
        seen.add(v)


def _unique_ids(sc: Scenario) -> Iterator[Problem]:
    for field in ID_LISTS:
        items = getattr(sc, field)
        for i, v in _duplicates(item.id for item in items):
            yield Problem(pointer(field, i, "id"), v, f"ids must be unique within {field}")


def _unique_periods(sc: Scenario) -> Iterator[Problem]:
    for i, v in _duplicates(sc.periods):
        yield Problem(pointer("periods", i), v, "period labels must be unique")


def _missing(ref: str, known: set[str], kind: str, *where: object) -> Iterator[Problem]:
    # An unread reference, or an unread id it might have named, is not reported. The
    # pointer is made only for a problem: these run once per reference.
    if ref not in known and ref is not UNREAD and UNREAD not in known:
        yield Problem(pointer(*where), ref, f"must be the id of one of the scenario's {kind}")


def _not_a_period(label: str, periods: set[str], *where: object) -> Iterator[Problem]:
    if label not in periods and label is not UNREAD and UNREAD not in periods:
        yield Problem(pointer(*where), label, "must be one of the scenario's periods")


def _country_references(sc: Scenario) -> Iterator[Problem]:
    countries = {c.id for c in sc.countries}
    for i, s in enumerate(sc.suppliers):
        yield from _missing(s.country, countries, "countries", "suppliers", i, "country")
        if s.origin is not None:
            yield from _missing(s.origin, countries, "countries", "suppliers", i, "origin")
    for i, k in enumerate(sc.plants):
        yield from _missing(k.country, countries, "countries", "plants", i, "country")
    for i, p in enumerate(sc.products):
        for origin in p.initial_inventory:
            kind = "countries (an origin)"
            yield from _missing(origin, countries, kind, "products", i, "initial_inventory", origin)


def _offer_references(sc: Scenario) -> Iterator[Problem]:
    products = {p.id for p in sc.products}
    for field in ("suppliers", "plants"):
        for i, owner in enumerate(getattr(sc, field)):
            offered = [o.product for o in owner.offers]
            for j, o in enumerate(owner.offers):
                yield from _missing(
                    o.product, products, "products", field, i, "offers", j, "product"
                )
            for j, v in _duplicates(offered):
                where = pointer(field, i, "offers", j, "product")
                yield Problem(where, v, "at most one offer per product")


def _length(value: float | Sequence[float] | None, n: int, *where: object) -> Iterator[Problem]:
    if isinstance(value, list) and len(value) != n:
        rule = f"a per-period list needs exactly one value per period ({n}), got {len(value)}"
        yield Problem(pointer(*where), value, rule)


def _per_period_lengths(sc: Scenario) -> Iterator[Problem]:
    if sc.periods is UNREAD:  # no count to hold the lists to
        return
    n = len(sc.periods)
    for i, s in enumerate(sc.suppliers):
        yield from _length(s.capacity, n, "suppliers", i, "capacity")
        yield from _length(s.price_index, n, "suppliers", i, "price_index")
    for i, k in enumerate(sc.plants):
        yield from _length(k.capacity, n, "plants", i, "capacity")
    yield from _length(sc.policy.budget, n, "policy", "budget")


def _licence_references(sc: Scenario) -> Iterator[Problem]:
    suppliers = {s.id for s in sc.suppliers}
    products = {p.id for p in sc.products}
    periods = set(sc.periods)
    for i, lic in enumerate(sc.licences):
        for j, s in enumerate(lic.suppliers):
            yield from _missing(s, suppliers, "suppliers", "licences", i, "suppliers", j)
        for j, p in enumerate(lic.products or []):
            yield from _missing(p, products, "products", "licences", i, "products", j)
        for j, t in enumerate(lic.periods or []):
            yield from _not_a_period(t, periods, "licences", i, "periods", j)


def _plant_rules(sc: Scenario) -> Iterator[Problem]:
    if sc.periods is UNREAD:
        return
    n = len(sc.periods)
    for i, k in enumerate(sc.plants):
        if k.existing is False and k.earliest_build is not UNREAD and k.earliest_build >= n:
            rule = f"earliest_build is a 0-based period index and must be below the number of periods ({n})"
            yield Problem(pointer("plants", i, "earliest_build"), k.earliest_build, rule)


def _demand_rows(sc: Scenario) -> Iterator[Problem]:
    products = {p.id for p in sc.products}
    sectors = {e.id for e in sc.sectors}
    periods = set(sc.periods)
    seen: set[tuple[str, str, str]] = set()
    for i, d in enumerate(sc.demand):
        yield from _missing(d.product, products, "products", "demand", i, "product")
        yield from _missing(d.sector, sectors, "sectors", "demand", i, "sector")
        yield from _not_a_period(d.period, periods, "demand", i, "period")
        key = (d.product, d.sector, d.period)
        if key in seen and UNREAD not in key:
            rule = "at most one demand row per (product, sector, period)"
            yield Problem(pointer("demand", i), list(key), rule)
        seen.add(key)


def _policy_references(sc: Scenario) -> Iterator[Problem]:
    countries = {c.id for c in sc.countries}
    for origin in sc.policy.max_origin_share:
        where = ("policy", "max_origin_share", origin)
        yield from _missing(origin, countries, "countries (an origin)", *where)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _discount_rules(sc: Scenario) -> Iterator[Problem]:
    """MODEL.md §7: brackets by strictly increasing min_kg, at strictly decreasing prices
    below the offer's; a value that could not be read is compared with nothing."""
    for i, s in enumerate(sc.suppliers):
        for j, offer in enumerate(s.offers):
            yield from _brackets(offer.price, offer.discounts, ("suppliers", i, "offers", j))


def _brackets(price: Any, discounts: Any, where: tuple[object, ...]) -> Iterator[Problem]:
    last_kg, last_price = None, price if _number(price) else None
    for k, d in enumerate(discounts or []):
        at = (*where, "discounts", k)
        if _number(d.min_kg) and last_kg is not None and d.min_kg <= last_kg:
            rule = f"min_kg must increase strictly from bracket to bracket (previous {last_kg:g})"
            yield Problem(pointer(*at, "min_kg"), d.min_kg, rule)
        if _number(d.price) and last_price is not None and d.price >= last_price:
            rule = (
                f"a discounted price must be below the offer's price ({last_price:g})"
                if k == 0
                else f"prices must decrease strictly from bracket to bracket (previous {last_price:g})"
            )
            yield Problem(pointer(*at, "price"), d.price, rule)
        last_kg = d.min_kg if _number(d.min_kg) else None
        last_price = d.price if _number(d.price) else None


def _rule_references(sc: Scenario) -> Iterator[Problem]:
    """policy.max_suppliers names products; origin_share_penalty names capped origins."""
    products = {p.id for p in sc.products}
    countries = {c.id for c in sc.countries}
    for product in sc.policy.max_suppliers:
        yield from _missing(product, products, "products", "policy", "max_suppliers", product)
    caps = sc.policy.max_origin_share
    for origin in sc.policy.origin_share_penalty:
        where = ("policy", "origin_share_penalty", origin)
        unknown = list(_missing(origin, countries, "countries (an origin)", *where))
        yield from unknown
        if not unknown and origin in countries and origin not in caps and UNREAD not in caps:
            rule = "a penalty applies to an origin's max_origin_share: give the origin a cap"
            yield Problem(pointer(*where), origin, rule)


# ---------------------------------------------------------------------------- tolerant reading


class _Unread:
    """A value the schema refused (or a workbook cell that could not be read): rules skip it.

    A field of it is itself and iterating over it gives itself once, so an unread entry
    or list reads, wherever a rule looks, as one unknown value: its ids make every
    reference to that list unverifiable rather than wrongly unknown.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> _Unread:
        return self

    def __iter__(self) -> Iterator[_Unread]:
        yield self

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNREAD"


UNREAD: Any = _Unread()


def readable_view(document: dict[str, Any], unread: Collection[str]) -> Any:
    """The document as `check_scenario` reads a Scenario, with `unread` pointers as UNREAD.

    Absent fields take the schema's defaults; `unread` holds the pointers of every value
    the schema refused (a value under one of them is unread too).
    """
    return _Reading(set(unread)).entry(Scenario, document, "")


@dataclass(frozen=True)
class _Field:
    name: str
    info: FieldInfo
    nested: type[BaseModel] | None  # the model the field holds, if any
    listed: bool  # a list of them


@cache
def _fields(model: type[BaseModel]) -> tuple[_Field, ...]:
    out = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if get_origin(annotation) in (Union, UnionType):  # an optional entry: X | None
            present = [a for a in get_args(annotation) if a is not NoneType]
            annotation = present[0] if len(present) == 1 else annotation
        listed = get_origin(annotation) is list
        inner = get_args(annotation)[0] if listed else annotation
        nested = inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None
        out.append(_Field(name, info, nested, listed and nested is not None))
    return tuple(out)


class _Reading:
    def __init__(self, unread: set[str]):
        self.unread = unread
        # Every value holding an unread one: below any other, everything is read.
        self.holders = {p[:i] for p in unread for i, c in enumerate(p) if c == "/"}

    def entry(self, model: type[BaseModel], raw: Any, at: str) -> Any:
        if at in self.unread or not isinstance(raw, dict):
            return UNREAD
        fields = {}
        for f in _fields(model):
            where = f"{at}/{f.name}"  # field names need no escaping
            if where in self.unread:
                fields[f.name] = UNREAD
            elif f.name in raw:
                fields[f.name] = self.value(f, raw[f.name], where)
            elif f.info.is_required():
                fields[f.name] = UNREAD
            else:
                fields[f.name] = f.info.get_default(call_default_factory=True)
        return SimpleNamespace(**fields)

    def value(self, f: _Field, raw: Any, at: str) -> Any:
        if f.nested is not None and not f.listed:
            return None if raw is None else self.entry(f.nested, raw, at)
        if f.nested is not None:
            if not isinstance(raw, list):
                return UNREAD
            return [self.entry(f.nested, v, f"{at}/{i}") for i, v in enumerate(raw)]
        if isinstance(raw, list) and at in self.holders:
            return [UNREAD if f"{at}/{i}" in self.unread else v for i, v in enumerate(raw)]
        if isinstance(raw, dict):  # keyed by origin: a key that is not text is unread
            return {k if isinstance(k, str) else UNREAD: v for k, v in raw.items()}
        return raw
