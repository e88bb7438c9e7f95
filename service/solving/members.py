"""Sweeps and frontiers as jobs: the base stored once and each member as its shocks,
made into a scenario in the solver process (`member_document`) and solved hot from the
member before (`MemberRun`); a job's statistics, frontier and report over its plans."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optimizer.errors import Problem, ScenarioError
from optimizer.model.plan import empty_plan
from optimizer.model.status import PlanStatus
from optimizer.options import SolveOptions
from optimizer.report.render import render_job_report
from optimizer.scenario.parsing import parse_scenario
from optimizer.whatif.frontier import default_caps, frontier_point, non_dominated
from optimizer.whatif.hot_start import HotStartSolver
from optimizer.whatif.runs import Helpers
from optimizer.whatif.shocks import OriginShareShock, SpecError, apply_shocks, parse_shocks
from optimizer.whatif.sweep import (
    base_document,
    expand_members,
    parse_sweep_spec,
    shortage_by_sector,
    statistics,
)

from .hedges import HEDGE_CHANGE, run_hedge
from .scenarios import SizeLimits, check, json_safe, run_solve, under

# --- sweeps and frontiers as jobs: the base stored once, each member as its shocks -------------
Members = list[tuple[str, dict[str, Any]]]  # (member name, change: its shocks and its name)
FRONTIER_NAME = " share at most "  # item names "<origin> share at most <cap>"
BASE_MEMBER = "base"  # a sweep's unshocked member: not part of the distribution


def sweep_members(raw: Any, limits: SizeLimits, max_members: int) -> tuple[dict[str, Any], Members]:
    """The sweep's base document and, per member, its change (`member_document` makes
    the member's scenario from them, in the solver process); or ScenarioError with
    pointers under /sweep naming every problem of the spec or its base. The member count
    is checked before anything is expanded, and the base document is checked once: a
    member costs the request its shocks, not a copy of the scenario."""
    try:
        spec = parse_sweep_spec(raw)
        planned = planned_members(spec)
        if planned > max_members:
            rule = f"at most {max_members} scenarios in one job"
            raise ScenarioError([Problem("/sweep", planned, rule)])
        try:
            base = base_document(spec, allow_path=False)
            check(base, limits)
        except ScenarioError as exc:
            raise ScenarioError([under("/sweep/base", p) for p in exc.problems]) from None
        members = expand_members(spec, base)  # every axis checked against the base
    except SpecError as exc:
        raise ScenarioError([under("/sweep", p) for p in exc.problems]) from None
    return base, [
        (member.name[:200], _change(base, member.name, member.shocks)) for member in members
    ]


def planned_members(spec: Any) -> int:
    """How many members a sweep spec expands into, from the spec alone."""
    if spec.mode == "monte_carlo":
        members = int(spec.samples or 0)
    else:
        members = 1
        for axis in spec.axes:
            members *= len(axis.levels or [])
    return members + (1 if spec.include_base else 0)


def frontier_members(
    document: Any, origin: str, steps: int, limits: SizeLimits
) -> tuple[dict[str, Any], Members]:
    """The base document and one change per cap on `origin`'s share, from 1.0 down to 0
    in `steps` steps."""
    check(document, limits)
    base: dict[str, Any] = parse_scenario(document).model_dump(mode="json", exclude_none=True)
    if origin not in {c["id"] for c in base.get("countries", [])}:
        rule = "unknown origin: not in the scenario's countries"
        raise ScenarioError([Problem("/frontier/origin", origin, rule)])
    members = []
    for cap in default_caps(steps):
        shock = OriginShareShock(kind="origin_share", origin=origin, value=cap)
        name = f"{origin}{FRONTIER_NAME}{cap}"
        members.append((name, _change(base, name, [shock])))
    return base, members


def _change(base: dict[str, Any], name: str, shocks: Any) -> dict[str, Any]:
    return {
        "name": f"{base['name']} | {name}"[:200],
        "shocks": [shock.model_dump(mode="json", exclude_none=True) for shock in shocks],
    }


def member_document(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """A member's scenario: its shocks applied to the base, under its own name."""
    document = apply_shocks(base, parse_shocks(change["shocks"]))
    document["name"] = change["name"]
    return document


def run_member(
    base: dict[str, Any],
    change: dict[str, Any],
    options: SolveOptions,
    helpers: Helpers | None = None,
) -> dict[str, Any]:
    """`run_solve` of a member's scenario, made here in the solver process; a member
    the scenario rules refuse (a shock pushing an amount past its bound, say) gets a
    plan with status `error` and the rules it breaks. A hedge job's one item is
    `base` a hedge document and `change` {"hedge": {...}} (`hedge_change`): it is
    solved as one hedged plan (`run_hedge`, with `helpers`)."""
    if HEDGE_CHANGE in change:
        return run_hedge(base, options, **change[HEDGE_CHANGE], helpers=helpers)
    try:
        document = member_document(base, change)
    except (SpecError, ScenarioError) as exc:
        return empty_plan(PlanStatus.ERROR, f"scenario rejected: {exc}")
    return run_solve(document, options)


@dataclass(frozen=True)
class MemberPlan:
    """A member's plan and how its solve started: "hot" (from the previous member's
    basis), "cold" (the first of a run), "rebuilt" (the model changed shape), or None
    (refused by the scenario rules before any solve)."""

    plan: dict[str, Any]
    start: str | None


class MemberRun:
    """Members of one base solved one after another on one HiGHS object, each from the
    state the previous one left (optimizer.whatif.hot_start): the job's version of the
    command line's sweep. Kept by a solver process across the items it is handed."""

    def __init__(self, base: dict[str, Any], options: SolveOptions):
        self._base = base
        self._solver = HotStartSolver(options)

    def solve(self, change: dict[str, Any]) -> MemberPlan:
        """As `run_member` (a refused member gets an `error` plan), hot-started."""
        try:
            scenario = parse_scenario(member_document(self._base, change))
        except (SpecError, ScenarioError) as exc:
            return MemberPlan(empty_plan(PlanStatus.ERROR, f"scenario rejected: {exc}"), None)
        solved = self._solver.solve(scenario)
        return MemberPlan(json_safe(solved.plan), solved.start)


def run_members(
    base: dict[str, Any], changes: list[dict[str, Any]], options: SolveOptions
) -> list[MemberPlan]:
    """A run of a job's members in order, each hot-started from the one before."""
    run = MemberRun(base, options)
    return [run.solve(change) for change in changes]


def is_hedge_change(change: dict[str, Any] | None) -> bool:
    """A hedge job's item: one hedged plan, never part of a run of members."""
    return change is not None and HEDGE_CHANGE in change


def job_statistics(plans: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Mean, P5, P50, P95 of total cost and of each sector's shortage over the solved
    scenarios, as `magnets sweep` reports them; a sweep's `base` member is left out."""
    rows = [
        {
            "status": plan["status"],
            "objective": plan["objective"],
            "shortage_kg": (
                shortage_by_sector({"shortages": plan.get("shortages", [])})
                if plan["objective"] is not None
                else None
            ),
        }
        for name, plan in plans
        if name != BASE_MEMBER
    ]
    # a hedged plan has no tables of its own (its outcomes do): its cost counts, no sector
    sectors = sorted(
        {
            r["sector"]
            for _, plan in plans
            for r in plan.get("consumption", []) + plan.get("shortages", [])
        }
    )
    result: dict[str, Any] = json_safe(statistics(rows, tuple(sectors)))
    return result


def frontier_of(plans: list[tuple[str, dict[str, Any]]]) -> dict[str, Any] | None:
    """The frontier over a frontier job's solved caps; None for any other job."""
    caps = [(name.split(FRONTIER_NAME, 1), plan) for name, plan in plans if FRONTIER_NAME in name]
    if not caps:
        return None
    origin = caps[0][0][0]
    evaluated = [frontier_point(float(cap), plan, origin) for (_, cap), plan in caps]
    points = non_dominated(evaluated)
    result: dict[str, Any] = json_safe({"origin": origin, "points": points, "evaluated": evaluated})
    return result


def job_report(plans: list[tuple[str, dict[str, Any]]]) -> str:
    """A self-contained HTML page comparing the job's plans (optimizer.report.render)."""
    return render_job_report(plans)
