"""Reading the report's inputs (plan, sweep, frontier, job plans, hedged plan) tolerantly;
see `render.py`."""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from optimizer.errors import Problem, pointer
from optimizer.scenario.parsing import parse_scenario
from optimizer.scenario.schema import Scenario

if TYPE_CHECKING:
    from optimizer.report.drawing import Chart


PLAN_TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # (text fields, numbers)
    "deliveries": (("supplier", "product", "period"), ("kg", "landed_cost", "cost")),
    "production": (("plant", "product", "period"), ("kg",)),
    "consumption": (("product", "origin", "sector", "period"), ("kg",)),
    "inventory": (("product", "origin", "period"), ("kg",)),
    "shortages": (("product", "sector", "period"), ("kg",)),
    "licences": (("licence",), ("used", "quantity")),
    "origin_share": (("period", "origin"), ("share",)),
    "contracts": (("supplier",), ("fixed_cost",)),
    "plants_built": (("plant", "period"), ()),
}


class ReportInputError(ValueError):
    """A report input was rejected; `problems` lists every field that is wrong."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class PlanContext:
    """What a plan alone does not say, taken from its scenario when one is given."""

    periods: tuple[str, ...]
    origins: tuple[str, ...]
    origin_caps: Mapping[str, float]  # policy.max_origin_share
    safety_stock: Mapping[str, float]  # min_inventory per product, kg
    currency: str
    scenario: Scenario | None = None  # for the order list's origins, penalties and limits


@dataclass(frozen=True)
class Member:
    """One scenario of a sweep."""

    name: str
    status: str
    objective: float | None
    terms: Mapping[str, float]
    shortage_kg: float
    base: bool  # the unshocked base scenario: a reference, not a draw


@dataclass(frozen=True)
class FrontierPoint:
    """One cap on an origin's share and the best plan under it."""

    cap: float | None
    status: str
    objective: float | None
    share: float | None
    shortage_kg: float


@dataclass(frozen=True)
class Sweep:
    name: str
    members: tuple[Member, ...]
    stats: Mapping[str, Any]

    @property
    def drawn(self) -> list[Member]:
        """The members the statistics speak of: solved, the base left out."""
        return [m for m in self.members if m.objective is not None and not m.base]


@dataclass(frozen=True)
class Frontier:
    origin: str
    points: tuple[FrontierPoint, ...]  # the frontier itself
    evaluated: tuple[FrontierPoint, ...]  # every cap tried (the points when not given)


@dataclass(frozen=True)
class HedgeOutcome:
    """One outcome of a hedged plan and what it costs under the plan."""

    name: str
    probability: float
    objective: float | None
    shortage_kg: float


HEDGE_VALUES = ("wait_and_see", "evpi", "value_of_hedging", "premium")
HERE_AND_NOW = ("deliveries", "production", "contracts", "plants_built")


@dataclass(frozen=True)
class HedgedPlan:
    """A hedged plan (MODEL.md §6): the shared decisions and each outcome's cost."""

    name: str
    status: str
    currency: str
    reveal: str
    alpha: float
    weight: float
    objective: float | None
    expected_cost: float | None
    cvar: float | None
    values: Mapping[str, float | None]  # HEDGE_VALUES
    here_and_now: Mapping[str, list[dict[str, Any]]]  # HERE_AND_NOW, plan table rows
    outcomes: tuple[HedgeOutcome, ...]
    evaluation: Mapping[str, Any] | None
    message: str | None

    @property
    def solved(self) -> list[HedgeOutcome]:
        return [o for o in self.outcomes if o.objective is not None]


@dataclass(frozen=True)
class Report:
    """A page and the charts drawn on it (the PNGs are made from the same charts)."""

    html: str
    charts: tuple[Chart, ...]


# ---------------------------------------------------------------- reading the inputs


def input_error(where: str, value: Any, rule: str) -> ReportInputError:
    shown = value if isinstance(value, str | int | float | bool) or value is None else None
    return ReportInputError([Problem(where, shown, rule)])


def _finite(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise input_error(where, value, "must be a finite number")
    return float(value)


def _optional(value: Any, where: str) -> float | None:
    """A number that is null where there is nothing to report (no solution)."""
    return None if value is None else _finite(value, where)


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise input_error(where, value, "must be an object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise input_error(where, value, "must be a list")
    return value


def _amounts(value: Any, where: str) -> dict[str, float]:
    """A mapping of names to finite numbers, e.g. cost terms or kg by sector."""
    return {str(k): _finite(v, where + pointer(k)) for k, v in _mapping(value, where).items()}


def _total_kg(value: Any, where: str) -> float:
    """`shortage_kg` as either a total or kg by sector."""
    if value is None:
        return 0.0
    if isinstance(value, Mapping):
        return sum(_amounts(value, where).values())
    return _finite(value, where)


def read_plan(doc: Any, where: str = "") -> dict[str, Any]:
    """The plan with its tables checked and missing tables made empty."""
    plan = dict(_mapping(doc, where or "/"))
    if not isinstance(plan.get("status"), str):
        raise input_error(f"{where}/status", plan.get("status"), "a plan needs a status string")
    plan["objective"] = _optional(plan.get("objective"), f"{where}/objective")
    plan["terms"] = _amounts(plan.get("terms") or {}, f"{where}/terms")
    for table, (texts, numbers) in PLAN_TABLES.items():
        rows = _list(plan.get(table) or [], f"{where}/{table}")
        plan[table] = [_row(r, f"{where}/{table}/{i}", texts, numbers) for i, r in enumerate(rows)]
    return plan


def _row(row: Any, where: str, texts: Sequence[str], numbers: Sequence[str]) -> dict[str, Any]:
    row = _mapping(row, where)
    out: dict[str, Any] = {}
    for name in texts:
        if name not in row or isinstance(row[name], list | dict) or row[name] is None:
            raise input_error(f"{where}/{name}", row.get(name), "must be an id or label")
        out[name] = str(row[name])
    for name in numbers:
        out[name] = _finite(row.get(name), f"{where}/{name}")
    return out


def read_sweep(doc: Any) -> Sweep:
    body = _mapping(doc, "/")
    members = [_member(m, i) for i, m in enumerate(_list(body.get("members"), "/members"))]
    stats = body.get("stats", body.get("statistics")) or {}
    return Sweep(str(body.get("name") or ""), tuple(members), _mapping(stats, "/stats"))


def _member(doc: Any, i: int) -> Member:
    """A member; its name under `name` or `member`; all-null `levels` mark the base."""
    where = f"/members/{i}"
    body = _mapping(doc, where)
    levels = body.get("levels")
    return Member(
        name=str(body.get("name") or body.get("member") or f"member {i + 1}"),
        status=str(body.get("status") or "unknown"),
        objective=_optional(body.get("objective"), f"{where}/objective"),
        terms=_amounts(body.get("terms") or {}, f"{where}/terms"),
        shortage_kg=_total_kg(body.get("shortage_kg"), f"{where}/shortage_kg"),
        base=isinstance(levels, Mapping)
        and bool(levels)
        and all(v is None for v in levels.values()),
    )


def read_frontier(doc: Any) -> Frontier:
    body = _mapping(doc, "/")
    points = _points(body.get("points"), "/points")
    tried = _points(body["evaluated"], "/evaluated") if "evaluated" in body else points
    return Frontier(str(body.get("origin") or ""), points, tried)


def _points(value: Any, where: str) -> tuple[FrontierPoint, ...]:
    points = []
    for i, point in enumerate(_list(value, where)):
        at, p = f"{where}/{i}", _mapping(point, f"{where}/{i}")
        points.append(
            FrontierPoint(
                cap=_optional(p.get("cap"), f"{at}/cap"),
                status=str(p.get("status") or "unknown"),
                objective=_optional(p.get("objective"), f"{at}/objective"),
                share=_optional(p.get("share"), f"{at}/share"),
                shortage_kg=_total_kg(p.get("shortage_kg"), f"{at}/shortage_kg"),
            )
        )
    return tuple(points)


def read_job_items(doc: Any) -> list[tuple[str, dict[str, Any]]]:
    """A job's `{"items": [{"scenario", "plan"}]}`, or a list of (name, plan) pairs."""
    items = _list(doc.get("items") if isinstance(doc, Mapping) else doc, "/items")
    out = []
    for i, item in enumerate(items):
        pair = (item.get("scenario"), item.get("plan")) if isinstance(item, Mapping) else item
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise input_error(
                f"/items/{i}", None, "must be {scenario, plan} or a (name, plan) pair"
            )
        out.append((str(pair[0] or f"scenario {i + 1}"), read_plan(pair[1], f"/items/{i}/plan")))
    return out


def read_hedge(doc: Any) -> HedgedPlan:
    """A hedged plan as `magnets hedge` writes it; missing optional fields are empty."""
    body = _mapping(doc, "/")
    if not isinstance(body.get("status"), str):
        raise input_error("/status", body.get("status"), "a hedged plan needs a status string")
    risk = _mapping(body.get("risk") or {}, "/risk")
    hn = _mapping(body.get("here_and_now") or {}, "/here_and_now")
    here_and_now = {}
    for table in HERE_AND_NOW:
        texts, numbers = PLAN_TABLES[table]
        rows = _list(hn.get(table) or [], f"/here_and_now/{table}")
        here_and_now[table] = [
            _row(r, f"/here_and_now/{table}/{i}", texts, numbers) for i, r in enumerate(rows)
        ]
    outcomes = []
    for i, item in enumerate(_list(body.get("outcomes") or [], "/outcomes")):
        at, o = f"/outcomes/{i}", _mapping(item, f"/outcomes/{i}")
        outcomes.append(
            HedgeOutcome(
                name=str(o.get("name") or f"outcome {i + 1}"),
                probability=_finite(o.get("probability"), f"{at}/probability"),
                objective=_optional(o.get("objective"), f"{at}/objective"),
                shortage_kg=_total_kg(o.get("shortage_kg"), f"{at}/shortage_kg"),
            )
        )
    evaluation = body.get("evaluation")
    if evaluation is not None:
        evaluation = _mapping(evaluation, "/evaluation")
        for key in ("objective", "in_sample_objective", "standard_error"):
            _optional(evaluation.get(key), f"/evaluation/{key}")
    return HedgedPlan(
        name=str(body.get("name") or ""),
        status=body["status"],
        currency=str(body.get("currency") or ""),
        reveal=str(body.get("reveal") or ""),
        alpha=_finite(risk.get("alpha", 0.9), "/risk/alpha"),
        weight=_finite(risk.get("weight", 0.0), "/risk/weight"),
        objective=_optional(body.get("objective"), "/objective"),
        expected_cost=_optional(body.get("expected_cost"), "/expected_cost"),
        cvar=_optional(body.get("cvar"), "/cvar"),
        values={k: _optional(body.get(k), f"/{k}") for k in HEDGE_VALUES},
        here_and_now=here_and_now,
        outcomes=tuple(outcomes),
        evaluation=evaluation,
        message=None if body.get("message") is None else str(body["message"]),
    )


def plan_context(plan: Mapping[str, Any], scenario_doc: Any = None) -> PlanContext:
    """Periods, origins, caps and safety stocks: from the scenario when given, else the plan."""
    periods, origins = _periods_seen(plan), _origins_seen(plan)
    if scenario_doc is None:
        return PlanContext(periods, origins, {}, {}, str(plan.get("currency") or ""))
    scenario = scenario_doc if isinstance(scenario_doc, Scenario) else parse_scenario(scenario_doc)
    if plan.get("scenario") not in (None, scenario.name):
        raise input_error(
            "/scenario", plan["scenario"], f"the plan is not of scenario {scenario.name!r}"
        )
    return PlanContext(
        periods=_merged(scenario.periods, periods),
        origins=_merged([c.id for c in scenario.countries], origins),
        origin_caps={o: cap for o, cap in scenario.policy.max_origin_share.items() if cap < 1},
        safety_stock={p.id: p.min_inventory for p in scenario.products if p.min_inventory > 0},
        currency=scenario.currency,
        scenario=scenario,
    )


def _origins_seen(plan: Mapping[str, Any]) -> tuple[str, ...]:
    tables = ("origin_share", "consumption", "inventory")
    return _merged((), (row["origin"] for t in tables for row in plan[t]))


def _periods_seen(plan: Mapping[str, Any]) -> tuple[str, ...]:
    """Periods in time order as far as the plan shows it. In every table the rows of one
    product, origin, sector... run forward in time, so consecutive periods there are in
    order; where nothing orders two periods, first appearance decides."""
    first: dict[str, int] = {}
    before: dict[str, set[str]] = defaultdict(set)
    for table in ("origin_share", "consumption", "inventory", "shortages"):
        last: dict[tuple[Any, ...], str] = {}
        for row in plan[table]:
            period = row["period"]
            first.setdefault(period, len(first))
            group = tuple(v for k, v in sorted(row.items()) if k not in ("period", "kg", "share"))
            if last.get(group, period) != period:
                before[period].add(last[group])
            last[group] = period
    return _in_order(first, before)


def _in_order(first: Mapping[str, int], before: Mapping[str, set[str]]) -> tuple[str, ...]:
    """Kahn's topological order, ties by first appearance; periods caught in a cycle (rows
    out of time order) follow in order of first appearance."""
    after: dict[str, list[str]] = defaultdict(list)
    waiting = {p: len(before.get(p, ())) for p in first}
    for period, earlier in before.items():
        for e in earlier:
            after[e].append(period)
    ready = [(first[p], p) for p, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    ordered: list[str] = []
    while ready:
        ordered.append(heapq.heappop(ready)[1])
        for later in after[ordered[-1]]:
            waiting[later] -= 1
            if waiting[later] == 0:
                heapq.heappush(ready, (first[later], later))
    return _merged(ordered, sorted(first, key=first.__getitem__))


def _merged(first: Iterable[str], more: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*first, *more]))


def percentiles(values: Sequence[float], qs: Sequence[float] = (5, 50, 95)) -> dict[float, float]:
    """Percentiles by linear interpolation between order statistics (numpy's default)."""
    ordered = sorted(values)
    out = {}
    for q in qs:
        rank = q / 100 * (len(ordered) - 1)
        low = math.floor(rank)
        high = min(low + 1, len(ordered) - 1)
        out[q] = ordered[low] + (rank - low) * (ordered[high] - ordered[low])
    return out
