"""The hedge document of MODEL.md §6: a base scenario, the outcomes that may follow it
with their probabilities, the period from which decisions may differ, and the risk
measure.

`parse_hedge` checks the shape (pydantic, unknown fields refused), the base scenario
and every outcome's document with the scenario's own rules, and then the rules that tie
outcomes to base: the same ids in the same lists, only numbers different, the demand of
periods before `reveal` and the opening stock equal. A rejected document raises
`ScenarioError` with every problem (pointer, value, rule), as a scenario does.

`outcomes` may instead be a seeded Monte Carlo sample of shock axes, drawn as a sweep
spec draws its members (`{"sample": {"n", "seed", "axes"}}`): n equally likely outcomes
`mc-001`, `mc-002`, …; `draw_outcomes` draws fresh ones with another seed, to evaluate
a plan out of sample.
"""

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    model_validator,
)

from optimizer.errors import Problem, ScenarioError, pointer
from optimizer.gc_pause import gc_paused
from optimizer.scenario.parsing import decode, parse_scenario
from optimizer.scenario.schema import Scenario
from optimizer.whatif.hedge_shocked import shocked_scenario
from optimizer.whatif.shocks import SpecError, apply_shocks, parse_shocks, problems_of
from optimizer.whatif.sweep_spec import Axis, expand_members, parse_sweep_spec

MAX_OUTCOMES = 10_000
PROBABILITY_TOLERANCE = 1e-9
ID_LISTS = ("products", "sectors", "countries", "suppliers", "plants", "licences")

Name = Annotated[str, Field(min_length=1, max_length=200, strict=True)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OutcomeSpec(_Strict):
    name: Name = Field(description="Outcome name, unique in the document.")
    probability: float = Field(gt=0, le=1, allow_inf_nan=False, strict=True)
    shocks: list[Any] | None = Field(
        None, description="What-if shocks applied to `base` (the kinds sweeps use)."
    )
    scenario: dict[str, Any] | None = Field(None, description="A whole scenario document.")

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.shocks is None) == (self.scenario is None):
            raise ValueError("give exactly one of `shocks` and `scenario`")
        return self


class Sample(_Strict):
    n: int = Field(ge=1, le=MAX_OUTCOMES, strict=True, description="Outcomes drawn.")
    seed: int = Field(0, ge=0, strict=True, description="Seeds numpy's generator.")
    axes: list[Axis] = Field(
        min_length=1, description="As a sweep spec's Monte Carlo axes: a shock template each."
    )


class SampledOutcomes(_Strict):
    sample: Sample = Field(description="n equally likely outcomes drawn from the axes.")


def _outcomes_tag(value: Any) -> str:
    return "sampled" if isinstance(value, dict) else "listed"


class Risk(_Strict):
    alpha: float = Field(0.9, ge=0, lt=1, allow_inf_nan=False, strict=True)
    weight: float = Field(0.0, ge=0, le=1, allow_inf_nan=False, strict=True)


class HedgeSpec(_Strict):
    name: Name = Field(description="Name of the hedged plan.")
    base: dict[str, Any] = Field(description="A scenario document (MODEL.md §1).")
    reveal: Annotated[str, Field(strict=True)] | None = Field(
        None, description="First period whose decisions may differ by outcome; default first."
    )
    outcomes: Annotated[
        Annotated[list[OutcomeSpec], Field(min_length=1, max_length=MAX_OUTCOMES), Tag("listed")]
        | Annotated[SampledOutcomes, Tag("sampled")],
        Discriminator(_outcomes_tag),
    ]
    risk: Risk = Field(default_factory=Risk)


@dataclass(frozen=True)
class Outcome:
    name: str
    probability: float
    scenario: Scenario
    document: dict[str, Any]  # the scenario document (base with its shocks, or as given)
    levels: dict[str, Any] | None = None  # a sampled outcome's draw, by axis


@dataclass(frozen=True)
class Hedge:
    """A validated hedge document: `reveal_at` is the position of `reveal` in the periods."""

    name: str
    base: Scenario
    base_document: dict[str, Any]
    reveal: str
    reveal_at: int
    outcomes: tuple[Outcome, ...]
    alpha: float
    weight: float
    sample: Sample | None = None  # the outcomes' sample, when they are one

    @property
    def probabilities(self) -> list[float]:
        return [o.probability for o in self.outcomes]


def load_hedge(path: str | Path) -> Hedge:
    """Read a hedge document (.json, or .yaml/.yml). Its `base` may be a path to a
    scenario file (JSON or YAML), taken relative to the hedge file's folder."""
    path = Path(path)
    raw = _read(path, "", "cannot read hedge file")
    if isinstance(raw, dict) and isinstance(raw.get("base"), str):
        raw = {**raw, "base": _read(path.parent / raw["base"], "/base", "cannot read base")}
    return parse_hedge(raw)


def _read(path: Path, where: str, words: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(where, str(path), f"{words}: {exc}")]) from None
    try:
        return decode(text, yaml_syntax=path.suffix.lower() in (".yaml", ".yml"))
    except ScenarioError as exc:
        problems = [Problem(where + p.pointer, p.value, p.rule) for p in exc.problems]
        raise ScenarioError(problems) from None


def parse_hedge(document: Any) -> Hedge:
    """A validated hedge, or ScenarioError with every problem of the document."""
    with gc_paused():  # hundreds of outcome documents: see optimizer/gc_pause.py
        return _parse_hedge(document)


def _parse_hedge(document: Any) -> Hedge:
    if not isinstance(document, dict):
        raise ScenarioError([Problem("", None, "a hedge document must be an object")])
    try:
        spec = HedgeSpec.model_validate(document)
    except ValidationError as exc:
        raise ScenarioError([_untagged(p) for p in problems_of(exc)]) from None
    problems: list[Problem] = []
    base = _scenario(spec.base, ["base"], problems)
    if base is None:
        raise ScenarioError(problems)
    reveal = spec.reveal if spec.reveal is not None else base.periods[0]
    if reveal not in base.periods:
        problems.append(Problem("/reveal", reveal, "not a period label of `base`"))
    reveal_at = base.periods.index(reveal) if reveal in base.periods else None
    sample = spec.outcomes.sample if isinstance(spec.outcomes, SampledOutcomes) else None
    if sample is None:
        assert isinstance(spec.outcomes, list)
        listed = spec.outcomes
        problems += _name_and_probability_problems(listed)
        outcomes = _listed(base, spec.base, listed, reveal_at, problems)
    else:
        outcomes = _sampled(base, spec.base, sample, sample.n, sample.seed, reveal_at, problems)
    if problems:
        raise ScenarioError(problems)
    assert reveal_at is not None
    return Hedge(
        spec.name,
        base,
        spec.base,
        reveal,
        reveal_at,
        tuple(outcomes),
        spec.risk.alpha,
        spec.risk.weight,
        sample,
    )


def draw_outcomes(hedge: Hedge, n: int, seed: int) -> tuple[Outcome, ...]:
    """n fresh outcomes of a sampled hedge's axes, drawn with `seed`, each checked as the
    hedge's own are (ScenarioError otherwise)."""
    if hedge.sample is None:
        raise ScenarioError(
            [Problem("/outcomes", None, "fresh outcomes need outcomes given as a sample")]
        )
    problems: list[Problem] = []
    sample = Sample(n=n, seed=seed, axes=hedge.sample.axes)
    found = _sampled(hedge.base, hedge.base_document, sample, n, seed, hedge.reveal_at, problems)
    if problems:
        raise ScenarioError(problems)
    return tuple(found)


def _untagged(problem: Problem) -> Problem:
    """Pydantic names the branch of `outcomes` it tried; the pointer does not."""
    for tag in ("/listed", "/sampled"):
        if problem.pointer.startswith("/outcomes" + tag):
            return Problem(
                "/outcomes" + problem.pointer[len("/outcomes" + tag) :],
                problem.value,
                problem.rule,
            )
    return problem


def _listed(
    base: Scenario,
    base_doc: dict[str, Any],
    items: list[OutcomeSpec],
    reveal_at: int | None,
    problems: list[Problem],
) -> list[Outcome]:
    outcomes = []
    base_dump = base.model_dump()
    for i, item in enumerate(items):
        outcome = _outcome(base, base_doc, item, i, problems)
        if outcome is not None:
            outcomes.append(outcome)
            if reveal_at is not None:
                at: list[object] = [
                    "outcomes",
                    i,
                    "shocks" if item.shocks is not None else "scenario",
                ]
                by_shocks = item.shocks is not None
                like = base_doc if by_shocks else base_dump
                problems += _tie_problems(base, like, outcome, at, by_shocks, reveal_at)
    return outcomes


def _sampled(
    base: Scenario,
    base_doc: dict[str, Any],
    sample: Sample,
    n: int,
    seed: int,
    reveal_at: int | None,
    problems: list[Problem],
) -> list[Outcome]:
    """n outcomes drawn as a sweep spec's Monte Carlo members; a problem of an axis is
    named under /outcomes/sample, of a draw under /outcomes/sample/draws/<k>."""
    where = "/outcomes/sample"
    try:
        spec = parse_sweep_spec(
            {
                "base": base_doc,
                "mode": "monte_carlo",
                "axes": [a.model_dump(exclude_none=True) for a in sample.axes],
                "samples": n,
                "seed": seed,
                "include_base": False,
            }
        )
        members = expand_members(spec, base_doc)
    except SpecError as exc:
        # each extreme of a distribution is checked: one problem may show twice
        named = [Problem(where + p.pointer, p.value, p.rule) for p in exc.problems]
        problems += [p for i, p in enumerate(named) if p not in named[:i]]
        return []
    outcomes = []
    for k, member in enumerate(members):
        at: list[object] = ["outcomes", "sample", "draws", k]
        try:
            doc = apply_shocks(base_doc, member.shocks, at)
        except SpecError as exc:
            problems += exc.problems
            continue
        found: list[Problem] = []
        sc = _scenario(doc, at, found, (base, base_doc))
        problems += [
            Problem(p.pointer, p.value, f"{member.name} {member.levels}: {p.rule}") for p in found
        ]
        if sc is None:
            continue
        outcome = Outcome(member.name, 1.0 / n, sc, doc, dict(member.levels))
        outcomes.append(outcome)
        if reveal_at is not None:
            tied = _tie_problems(base, base_doc, outcome, at, True, reveal_at)
            problems += [
                Problem(p.pointer, p.value, f"{member.name} {member.levels}: {p.rule}")
                for p in tied
            ]
        if len(problems) > 20:  # one bad axis shows in most draws: enough to see why
            break
    return outcomes


def _scenario(
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


def _name_and_probability_problems(items: list[OutcomeSpec]) -> Iterator[Problem]:
    first: dict[str, int] = {}
    for i, o in enumerate(items):
        if o.name in first:
            yield Problem(
                pointer("outcomes", i, "name"),
                o.name,
                f"outcome names must be unique: also /outcomes/{first[o.name]}/name",
            )
        first.setdefault(o.name, i)
    total = math.fsum(o.probability for o in items)
    if abs(total - 1) > PROBABILITY_TOLERANCE:
        yield Problem("/outcomes", total, "the probabilities must sum to 1 (within 1e-9)")


def _outcome(
    base: Scenario, base_doc: dict[str, Any], item: OutcomeSpec, i: int, problems: list[Problem]
) -> Outcome | None:
    if item.scenario is not None:
        sc = _scenario(item.scenario, ["outcomes", i, "scenario"], problems)
        return None if sc is None else Outcome(item.name, item.probability, sc, item.scenario)
    where = ["outcomes", i, "shocks"]
    try:
        doc = apply_shocks(base_doc, parse_shocks(item.shocks, where), where)
    except SpecError as exc:
        problems += exc.problems
        return None
    found: list[Problem] = []
    sc = _scenario(doc, ["outcomes", i, "shocks"], found, (base, base_doc))
    problems += [
        Problem(p.pointer, p.value, f"after the shocks, the scenario at {p.pointer}: {p.rule}")
        for p in found
    ]
    return None if sc is None else Outcome(item.name, item.probability, sc, doc)


# -- the rules that tie an outcome to base --------------------------------------------------
def _tie_problems(
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
