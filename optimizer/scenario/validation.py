"""The domain pass of MODEL.md §1: rules that span fields of a well-shaped scenario.

Each check returns the problems it finds; `check_scenario` gathers them all so that
an analyst sees every mistake at once rather than one per attempt.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

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
    )
    return [problem for check in checks for problem in check(sc)]


def _duplicates(values: Iterable[str]) -> Iterator[tuple[int, str]]:
    seen: set[str] = set()
    for i, v in enumerate(values):
        if v in seen:
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


def _missing(ref: str, known: set[str], where: str, kind: str) -> Iterator[Problem]:
    if ref not in known:
        yield Problem(where, ref, f"must be the id of one of the scenario's {kind}")


def _country_references(sc: Scenario) -> Iterator[Problem]:
    countries = {c.id for c in sc.countries}
    for i, s in enumerate(sc.suppliers):
        yield from _missing(s.country, countries, pointer("suppliers", i, "country"), "countries")
        if s.origin is not None:
            yield from _missing(s.origin, countries, pointer("suppliers", i, "origin"), "countries")
    for i, k in enumerate(sc.plants):
        yield from _missing(k.country, countries, pointer("plants", i, "country"), "countries")
    for i, p in enumerate(sc.products):
        for origin in p.initial_inventory:
            where = pointer("products", i, "initial_inventory", origin)
            yield from _missing(origin, countries, where, "countries (an origin)")


def _offer_references(sc: Scenario) -> Iterator[Problem]:
    products = {p.id for p in sc.products}
    for field in ("suppliers", "plants"):
        for i, owner in enumerate(getattr(sc, field)):
            offered = [o.product for o in owner.offers]
            for j, o in enumerate(owner.offers):
                where = pointer(field, i, "offers", j, "product")
                yield from _missing(o.product, products, where, "products")
            for j, v in _duplicates(offered):
                where = pointer(field, i, "offers", j, "product")
                yield Problem(where, v, "at most one offer per product")


def _length(value: float | Sequence[float] | None, n: int, where: str) -> Iterator[Problem]:
    if isinstance(value, list) and len(value) != n:
        rule = f"a per-period list needs exactly one value per period ({n}), got {len(value)}"
        yield Problem(where, value, rule)


def _per_period_lengths(sc: Scenario) -> Iterator[Problem]:
    n = len(sc.periods)
    for i, s in enumerate(sc.suppliers):
        yield from _length(s.capacity, n, pointer("suppliers", i, "capacity"))
        yield from _length(s.price_index, n, pointer("suppliers", i, "price_index"))
    for i, k in enumerate(sc.plants):
        yield from _length(k.capacity, n, pointer("plants", i, "capacity"))
    yield from _length(sc.policy.budget, n, pointer("policy", "budget"))


def _licence_references(sc: Scenario) -> Iterator[Problem]:
    suppliers = {s.id for s in sc.suppliers}
    products = {p.id for p in sc.products}
    periods = set(sc.periods)
    for i, lic in enumerate(sc.licences):
        for j, s in enumerate(lic.suppliers):
            yield from _missing(s, suppliers, pointer("licences", i, "suppliers", j), "suppliers")
        for j, p in enumerate(lic.products or []):
            yield from _missing(p, products, pointer("licences", i, "products", j), "products")
        for j, t in enumerate(lic.periods or []):
            if t not in periods:
                yield Problem(
                    pointer("licences", i, "periods", j), t, "must be one of the scenario's periods"
                )


def _plant_rules(sc: Scenario) -> Iterator[Problem]:
    n = len(sc.periods)
    for i, k in enumerate(sc.plants):
        if not k.existing and k.earliest_build >= n:
            rule = f"earliest_build is a 0-based period index and must be below the number of periods ({n})"
            yield Problem(pointer("plants", i, "earliest_build"), k.earliest_build, rule)


def _demand_rows(sc: Scenario) -> Iterator[Problem]:
    products = {p.id for p in sc.products}
    sectors = {e.id for e in sc.sectors}
    periods = set(sc.periods)
    seen: set[tuple[str, str, str]] = set()
    for i, d in enumerate(sc.demand):
        yield from _missing(d.product, products, pointer("demand", i, "product"), "products")
        yield from _missing(d.sector, sectors, pointer("demand", i, "sector"), "sectors")
        if d.period not in periods:
            yield Problem(
                pointer("demand", i, "period"), d.period, "must be one of the scenario's periods"
            )
        key = (d.product, d.sector, d.period)
        if key in seen:
            rule = "at most one demand row per (product, sector, period)"
            yield Problem(pointer("demand", i), list(key), rule)
        seen.add(key)


def _policy_references(sc: Scenario) -> Iterator[Problem]:
    countries = {c.id for c in sc.countries}
    for origin in sc.policy.max_origin_share:
        where = pointer("policy", "max_origin_share", origin)
        yield from _missing(origin, countries, where, "countries (an origin)")
