"""How one outcome of a hedge document is checked against its base (MODEL.md §6): its
scenario read with the scenario's own rules, every problem named under the outcome's
pointer (`outcome_scenario`), and then the rules that tie it to base (`tie_problems`):
the same ids in the same lists, only numbers different, the demand of periods before
`reveal` and the opening stock equal. Listed and sampled outcomes are checked alike.
"""

from collections.abc import Iterator
from typing import Any

from optimizer.errors import Problem, ScenarioError, pointer
from optimizer.scenario.parsing import parse_scenario
from optimizer.scenario.schema import Scenario
from optimizer.whatif.hedge_schema import Outcome
from optimizer.whatif.hedge_shocked import shocked_scenario

ID_LISTS = ("products", "sectors", "countries", "suppliers", "plants", "licences")


def outcome_scenario(
    doc: Any,
    where: list[object],
    problems: list[Problem],
    base: tuple[Scenario, dict[str, Any]] | None = None,
) -> Scenario | None:
    """The scenario of `doc`, its problems added under `where`; `base` (the validated
    base and its document) for a document made by shocks on it (`hedge_shocked.py`)."""
    try:
        return parse_scenario(doc) if base is None else shocked_scenario(doc, *base)
    except ScenarioError as exc:
        problems += [_under(p, where) for p in exc.problems]
        return None


def _under(problem: Problem, where: list[object]) -> Problem:
    return Problem(pointer(*where) + problem.pointer, problem.value, problem.rule)


def tie_problems(
    base: Scenario,
    like: dict[str, Any],
    outcome: Outcome,
    at: list[object],
    by_shocks: bool,
    reveal_at: int,
) -> list[Problem]:
    """`like` is what the outcome's structure is compared with: for an outcome made by
    shocks, base's own document, as the shocks were applied to it (the two differ where
    the shocks wrote, and nowhere else, so no dump of either is needed); for a written
    one, `base.model_dump()` (made once for all), compared with the outcome's dump,
    since two documents may spell one scenario differently."""
    sc = outcome.scenario
    problems = list(_id_problems(base, sc, at, by_shocks))
    if problems:  # the comparisons below align items by id
        return problems
    if sc.periods != base.periods:
        problems.append(
            Problem(pointer(*at, "periods"), sc.periods, "the periods must be base's, in order")
        )
        return problems
    got = outcome.document if by_shocks else sc.model_dump()
    problems += _structure_problems(like, got, at, by_shocks)
    # shocks that left the demand rows or the products as base's cannot have changed
    # early demand or opening stock: a comparison in C rather than two walks
    if not (by_shocks and got.get("demand") == like.get("demand")):
        problems += _early_demand_problems(base, sc, at, reveal_at, by_shocks)
    if not (by_shocks and got.get("products") == like.get("products")):
        problems += _initial_inventory_problems(base, sc, at)
    return problems


def _id_problems(
    base: Scenario, sc: Scenario, at: list[object], by_shocks: bool
) -> Iterator[Problem]:
    for field in ID_LISTS:
        have = {x.id for x in getattr(base, field)}
        got = {x.id for x in getattr(sc, field)}
        for id_ in sorted(got - have):
            rule = (
                f"the shocks add {field[:-1]} {id_!r}: every outcome holds base's ids; "
                f"give it in `base` (with quantity 0) and change only its numbers here"
                if by_shocks
                else f"{field[:-1]} {id_!r} is not in `base`: every outcome holds base's ids; "
                f"give it in `base` (with quantity 0)"
            )
            yield Problem(pointer(*at) if by_shocks else pointer(*at, field), id_, rule)
        for id_ in sorted(have - got):
            rule = (
                f"the shocks remove {field[:-1]} {id_!r}: every outcome holds base's ids; "
                f"keep it and set its quantity to 0 (e.g. revoke_licence without `remove`)"
                if by_shocks
                else f"{field[:-1]} {id_!r} of `base` is missing: every outcome holds base's "
                f"ids; give it with quantity 0"
            )
            yield Problem(pointer(*at) if by_shocks else pointer(*at, field), id_, rule)


def _numeric(value: Any) -> bool:
    """Numbers (and what holds only numbers: per-period lists, caps by origin, absent
    values) may differ between outcomes."""
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return True
    if isinstance(value, list):
        return all(_numeric(v) for v in value)
    if isinstance(value, dict):
        return all(_numeric(v) for v in value.values())
    return False


def _structure_problems(
    base: Any, got: Any, at: list[object], by_shocks: bool
) -> Iterator[Problem]:
    """Every non-numeric difference (a supplier's country, a licence's cover, a sector's
    tags, the products offered…); items of id lists and offers are matched by id/product.
    Equal parts are passed over at once: an outcome drawn from a sample differs from base
    in a few numbers, and comparing equal parts in C is far quicker than walking them."""
    if base == got or (_numeric(base) and _numeric(got)):
        return
    if isinstance(base, dict) and isinstance(got, dict):
        for key in [*base, *(k for k in got if k not in base)]:  # a shock may add a key
            if key in ("demand", "name", "initial_inventory"):
                continue  # the name may differ; demand and stock have their own rules
            yield from _structure_problems(base.get(key), got.get(key), [*at, key], by_shocks)
        return
    if isinstance(base, list) and isinstance(got, list) and base and isinstance(base[0], dict):
        key = "id" if "id" in base[0] else "product"
        mine = {x[key]: x for x in got}
        if set(mine) != {x[key] for x in base}:
            yield Problem(
                pointer(*at),
                sorted(mine),
                f"must list the same {key}s as base's, only numbers differ",
            )
            return
        for j, x in enumerate(base):
            yield from _structure_problems(x, mine[x[key]], [*at, j], by_shocks)
        return
    same = (
        sorted(base) == sorted(got)
        if isinstance(base, list) and isinstance(got, list)
        else base == got
    )
    if not same:
        yield Problem(
            pointer(*at),
            got,
            f"must equal base's ({base!r}): outcomes differ from base in numbers only",
        )


def _demand_by_key(sc: Scenario) -> dict[tuple[str, str, str], float]:
    return {(d.product, d.sector, d.period): d.quantity for d in sc.demand if d.quantity}


def _early_demand_problems(
    base: Scenario, sc: Scenario, at: list[object], reveal_at: int, by_shocks: bool
) -> Iterator[Problem]:
    early = set(base.periods[:reveal_at])
    want, got = _demand_by_key(base), _demand_by_key(sc)
    row = {(d.product, d.sector, d.period): j for j, d in enumerate(sc.demand)}
    for key in sorted(k for k in set(want) | set(got) if k[2] in early):
        if want.get(key, 0.0) != got.get(key, 0.0):
            p, e, t = key
            where = (
                pointer(*at) if by_shocks or key not in row else pointer(*at, "demand", row[key])
            )
            yield Problem(
                where,
                got.get(key, 0.0),
                f"demand of {p} for {e} in {t}, before reveal, must equal base's "
                f"({want.get(key, 0.0)}): the shared decisions balance against it",
            )


def _initial_inventory_problems(
    base: Scenario, sc: Scenario, at: list[object]
) -> Iterator[Problem]:
    mine = {p.id: (j, p) for j, p in enumerate(sc.products)}
    for b in base.products:
        j, product = mine[b.id]
        want = {k: v for k, v in b.initial_inventory.items() if v}
        got = {k: v for k, v in product.initial_inventory.items() if v}
        if want != got:
            yield Problem(
                pointer(*at, "products", j, "initial_inventory"),
                got,
                f"must equal base's opening stock ({want}): the shared decisions balance against it",
            )
