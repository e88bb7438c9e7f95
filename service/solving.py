"""The service's one door into the optimizer: check a scenario document, solve it.

Everything else in `service/` handles HTTP, jobs and storage; only this module imports
`optimizer`, and the synchronous route and the job workers both call `run_solve`.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optimizer.errors import Problem, ScenarioError, pointer
from optimizer.model.plan import empty_plan
from optimizer.model.plan_types import (
    TERMS,
    Contract,
    Delivery,
    Plan,
    PlantBuilt,
    Production,
    Terms,
)
from optimizer.model.size_bounds import size_bounds
from optimizer.model.status import PlanStatus
from optimizer.options import SolveOptions, SolverLimits
from optimizer.report.explained import diagnosis_heading, diagnosis_lines, top_limits
from optimizer.report.render import render_hedge_report, render_job_report, render_plan_report
from optimizer.report.terms import TERM_LABELS, signed
from optimizer.scenario.parsing import SURROGATE_RULE, decode, parse_scenario
from optimizer.scenario.schema import Scenario as ScenarioSchema
from optimizer.solve import solve
from optimizer.spreadsheet_text import inert
from optimizer.whatif.frontier import default_caps, frontier_point, non_dominated
from optimizer.whatif.hedge_document import MAX_OUTCOMES, Hedge, draw_outcomes, parse_hedge
from optimizer.whatif.hedge_document import HedgeSpec as HedgeSchema
from optimizer.whatif.hedge_values import hedged_plan
from optimizer.whatif.hot_start import HotStartSolver
from optimizer.whatif.runs import IN_PROCESS, Executor, Helpers, own_cluster
from optimizer.whatif.shocks import OriginShareShock, SpecError, apply_shocks, parse_shocks
from optimizer.whatif.sweep import (
    base_document,
    expand_members,
    parse_sweep_spec,
    shortage_by_sector,
    statistics,
)
from optimizer.whatif.why import exclusion, why

__all__ = [
    "Problem", "ScenarioError", "SizeLimits", "SolveOptions", "check", "check_size", "pointer",
    "run_solve", "solve_checked",
    "check_exclusion", "run_why", "sweep_members", "frontier_members", "run_member",
    "MemberPlan", "MemberRun", "run_members", "is_hedge_change",
    "member_document", "job_statistics",
    "frontier_of", "job_report", "PlanStatus", "ScenarioSchema", "Plan", "TERMS", "SolverLimits", "SURROGATE_RULE", "inert",
    "read_upload", "template_workbook", "plan_charts", "plan_report", "TERM_LABELS", "signed_term",
    "variant_document", "job_charts", "plan_insight", "plan_workbook", "BASE_MEMBER", "FRONTIER_NAME", "read_spec_text",
    "HedgeSchema", "check_hedge", "check_hedge_size", "hedge_checked", "hedge_change",
    "run_hedge", "evaluation_size_problems", "MAX_OUTCOMES", "EVALUATE_RULE", "Delivery", "Production", "Contract", "PlantBuilt", "Terms",
]  # fmt: skip


@dataclass(frozen=True)
class SizeLimits:
    """The largest scenario the service accepts (see Settings)."""

    suppliers_x_periods: int
    plants_x_periods: int
    demand_rows: int
    model_cells: int  # the largest array building the model may make (size_bounds)


def check(document: Any, limits: SizeLimits) -> str:
    """Refuse an oversized, invalid or unstorable document (ScenarioError); return its
    name. Every document the service stores passes here first."""
    check_size(document, limits)
    name = parse_scenario(document).name
    # JSON writes NUL as \\u0000: a quick look at the text first (a tenth of the walk's
    # cost), the walk only to name where one is.
    problems = unstorable(document) if "\\u0000" in json.dumps(document) else []
    if problems:  # the text can also hold a backslash followed by "u0000": not a NUL
        raise ScenarioError(problems)
    return name


NUL_RULE = "must not contain the NUL character (\\u0000)"


def unstorable(value: Any, at: str = "") -> list[Problem]:
    """NUL characters, in keys or string values: PostgreSQL's text cannot hold them (a
    scenario's name is stored as text), and no id or name needs one."""
    if isinstance(value, str):
        return [Problem(at, value, NUL_RULE)] if "\0" in value else []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            where = pointer_join(at, key)
            if "\0" in key:
                found.append(Problem(where, key, NUL_RULE))
            found += unstorable(item, where)
        return found
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in unstorable(item, pointer_join(at, i))]
    return []


def pointer_join(at: str, part: object) -> str:
    return at + pointer(part)


def check_size(document: Any, limits: SizeLimits) -> None:
    """Refuse an oversized document (ScenarioError): cheap, on the raw document."""
    problems = size_problems(document, limits)
    if problems:
        raise ScenarioError(problems)


def solve_checked(
    document: Any, options: SolveOptions, explain: bool = False
) -> tuple[str | None, bytes]:
    """The plan's status and the plan as JSON, for a document not checked yet (its size
    was): an invalid one raises ScenarioError, as `check` would. The document is read
    and the plan encoded here, in the solver process, sparing the server both."""
    plan = json_safe(solve(parse_scenario(document), options, explain=explain))
    text = json.dumps(plan, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return plan.get("status"), text.encode("utf-8")


def run_solve(document: Any, options: SolveOptions, explain: bool = False) -> dict[str, Any]:
    """Solve one scenario document; every outcome is a JSON-safe plan, never an exception.
    `explain` adds `marginal_values` or `diagnosis` (API.md, Insight)."""
    try:
        scenario = parse_scenario(document)
    except ScenarioError as exc:  # checked on submission; reachable only if the rules changed
        return empty_plan(PlanStatus.ERROR, f"scenario rejected: {exc}")
    plan: dict[str, Any] = json_safe(solve(scenario, options, explain=explain))
    return plan


def check_exclusion(document: Any, exclude: dict[str, str], limits: SizeLimits) -> None:
    """Refuse (ScenarioError, pointers under /exclude) a source the scenario lacks."""
    check(document, limits)
    base = parse_scenario(document).model_dump(mode="json", exclude_none=True)
    try:
        exclusion(base, exclude.get("supplier"), exclude.get("origin"), exclude.get("plant"))
    except SpecError as exc:
        raise ScenarioError([_under("/exclude", p) for p in exc.problems]) from None


def run_why(document: Any, exclude: dict[str, str], options: SolveOptions) -> dict[str, Any]:
    """The plan's cost and shortage with and without one source (optimizer.whatif.why); the
    request was checked with `check_exclusion` first."""
    result: dict[str, Any] = json_safe(why(document, **exclude, options=options))
    return result


def _under(prefix: str, problem: Problem) -> Problem:
    return Problem(prefix + problem.pointer, problem.value, problem.rule)


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
            raise ScenarioError([_under("/sweep/base", p) for p in exc.problems]) from None
        members = expand_members(spec, base)  # every axis checked against the base
    except SpecError as exc:
        raise ScenarioError([_under("/sweep", p) for p in exc.problems]) from None
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


# --- hedged plans (MODEL.md §6): `POST /v1/hedge` and the hedge job ------------------------
HEDGE_CHANGE = "hedge"  # a hedge job item's change: {"hedge": run_hedge's keyword arguments}
DASK_SCHEDULER_VARIABLE = "MAGNETS_DASK_SCHEDULER"  # Settings.dask_scheduler, as inherited
BASE_PATH_RULE = (
    "a path is read only by `magnets hedge`, beside the hedge file; give the base "
    "scenario document inline"
)


def check_hedge_size(document: Any, limits: SizeLimits) -> None:
    """Refuse a hedge too large to build (ScenarioError), counted on the raw document
    before anything is parsed or built (see hedge_size_problems)."""
    problems = hedge_size_problems(document, limits)
    if problems:
        raise ScenarioError(problems)


def evaluation_size_problems(
    document: Any, limits: SizeLimits, evaluate: int | None, at: str
) -> list[Problem]:
    """An out-of-sample evaluation's `evaluate` fresh outcomes, each solved alone at the
    size of the hedge's base: together as much work as a hedge of that many outcomes, so
    their sum is held to the caps a hedge's outcomes are (pointer `at`, where the request
    gave `evaluate`). Counted on the raw document, as hedge_size_problems is."""
    base = document.get("base") if isinstance(document, dict) else None
    if evaluate is None or not isinstance(base, dict):
        return []
    return [
        Problem(
            at,
            evaluate,
            f"evaluation too large for this service: {what} summed over its {evaluate:,} "
            f"fresh outcomes (each solved at the base's size) at most {cap:,}",
        )
        for _, size, cap, what in _size_checks(base, limits)
        if size * evaluate > cap
    ]


def hedge_size_problems(document: Any, limits: SizeLimits) -> list[Problem]:
    """The base and each outcome given as a whole scenario against the scenario caps
    (pointers under /base and /outcomes/<i>/scenario); then, as the extensive form holds
    one block per outcome, each the size of that outcome's document (base's, for one
    given as shocks or drawn from a sample), every cap against the sum over the outcomes
    (pointer /outcomes). A `base` given as a path is refused: the service reads no files."""
    if not isinstance(document, dict):
        return []  # the schema check names this one
    base = document.get("base")
    if isinstance(base, str):
        return [Problem("/base", base, BASE_PATH_RULE)]
    problems = [_under("/base", p) for p in size_problems(base, limits)]
    blocks: list[tuple[Any, int]] = []  # (document, outcome blocks of its size)
    outcomes = document.get("outcomes")
    if isinstance(outcomes, list):
        shocked = 0
        for i, item in enumerate(outcomes):
            scenario = item.get("scenario") if isinstance(item, dict) else None
            if isinstance(scenario, dict):
                where = pointer("outcomes", i, "scenario")
                problems += [_under(where, p) for p in size_problems(scenario, limits)]
                blocks.append((scenario, 1))
            else:
                shocked += 1
        blocks.append((base, shocked))
    elif isinstance(outcomes, dict):
        blocks.append((base, _sample_size(outcomes)))
    if problems:
        return problems
    count = sum(n for _, n in blocks)
    totals: dict[tuple[str, int], int] = {}
    for block, n in blocks:
        for _, size, cap, what in _size_checks(block, limits) if n else []:
            totals[what, cap] = totals.get((what, cap), 0) + size * n
    return [
        Problem(
            "/outcomes",
            total,
            f"hedge too large for this service: {what} summed over its {count:,} outcomes "
            f"(the hedged model holds one block per outcome) at most {cap:,}",
        )
        for (what, cap), total in totals.items()
        if total > cap
    ]


def _sample_size(outcomes: dict[str, Any]) -> int:
    """The outcomes a sample draws (n), as far as the schema will allow it."""
    sample = outcomes.get("sample")
    n = sample.get("n") if isinstance(sample, dict) else None
    return min(max(n, 0), MAX_OUTCOMES) if isinstance(n, int) and not isinstance(n, bool) else 0


def check_hedge(document: Any, limits: SizeLimits, evaluate: int | None = None) -> str:
    """Refuse an oversized, invalid or unstorable hedge document (ScenarioError, every
    problem), or `evaluate` fresh outcomes asked of one whose outcomes are not a sample;
    return the hedged plan's name. What a hedge job is checked with."""
    check_hedge_size(document, limits)
    hedge = parse_hedge(document)
    problems = unstorable(document) if "\\u0000" in json.dumps(document) else []
    problems += evaluation_problems(hedge, evaluate)
    if problems:
        raise ScenarioError(problems)
    return hedge.name


EVALUATE_RULE = "fresh outcomes need the outcomes given as a sample (outcomes: {sample})"


def evaluation_problems(hedge: Hedge, evaluate: int | None) -> list[Problem]:
    """An out-of-sample evaluation asked of a hedge whose outcomes are listed: fresh
    outcomes are drawn from a sample's axes, which a list does not have."""
    if evaluate is None or hedge.sample is not None:
        return []
    return [Problem("/evaluate", evaluate, EVALUATE_RULE)]


def hedge_executor(helpers: Helpers | None = None) -> Executor:
    """Where a hedge's outcomes solved alone go (docs/model-notes.md, "Hedged plans"): the
    Dask cluster the hedge itself runs on (a hedge job on the cluster), else the one
    MAGNETS_DASK_SCHEDULER names (the service's setting, which its solver processes
    inherit; while it cannot be reached, as if it were not set), else the service's other
    solver processes as they fall idle (`helpers`: a hedge job's worker, see
    service/run_sharing.py), else this solver process, hot-started one after another.
    Never a pool of its own: a job worker is a daemon process, which may not start any,
    and the solver processes already are the service's share of the machine's cores."""
    own = own_cluster()
    if own:
        return Executor(dask=own)
    here = Executor(helpers=helpers) if helpers is not None else IN_PROCESS
    named = os.environ.get(DASK_SCHEDULER_VARIABLE)
    # the named cluster down: solved here all the same, after the connection's time-out
    return Executor(dask=named, helpers=helpers, here_if_unreachable=True) if named else here


def fresh_outcomes(hedge: Hedge, evaluate: int | None, seed: int | None) -> tuple[Any, int | None]:
    """The `evaluate` fresh outcomes to evaluate the plan on, drawn with `seed` (default:
    the sample's seed + 1, as `magnets hedge --evaluate`), and that seed; none without
    `evaluate`. ScenarioError when a draw breaks the scenario rules."""
    if evaluate is None:
        return (), None
    problems = evaluation_problems(hedge, evaluate)
    if problems:
        raise ScenarioError(problems)
    assert hedge.sample is not None
    drawn_with = hedge.sample.seed + 1 if seed is None else seed
    return draw_outcomes(hedge, evaluate, drawn_with), drawn_with


def hedge_checked(
    document: Any,
    options: SolveOptions,
    outcome_plans: bool = False,
    evaluate: int | None = None,
    evaluate_seed: int | None = None,
) -> tuple[str | None, bytes]:
    """The hedged plan's status and the plan as JSON, for a hedge document whose size was
    checked (an invalid one raises ScenarioError), read and solved in the solver process
    as `solve_checked` does a scenario; with `evaluate`, its here-and-now decisions are
    also evaluated on that many fresh outcomes (`fresh_outcomes`)."""
    hedge = parse_hedge(document)
    fresh, seed = fresh_outcomes(hedge, evaluate, evaluate_seed)
    found = hedged_plan(hedge, options, outcome_plans, fresh, seed, executor=hedge_executor())
    plan = json_safe(found)
    text = json.dumps(plan, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return plan.get("status"), text.encode("utf-8")


def hedge_change(
    outcome_plans: bool = False, evaluate: int | None = None, evaluate_seed: int | None = None
) -> dict[str, Any]:
    """The change that makes a job item of a hedge document (see run_member)."""
    asked: dict[str, Any] = {"outcome_plans": outcome_plans}
    if evaluate is not None:
        asked["evaluate"] = evaluate
        asked["evaluate_seed"] = evaluate_seed
    return {HEDGE_CHANGE: asked}


def run_hedge(
    document: Any,
    options: SolveOptions,
    outcome_plans: bool = False,
    evaluate: int | None = None,
    evaluate_seed: int | None = None,
    helpers: Helpers | None = None,
) -> dict[str, Any]:
    """A hedge job item's plan: the hedged plan of MODEL.md §6, JSON-safe, evaluated on
    `evaluate` fresh outcomes when asked; every outcome is a plan, never an exception.
    `helpers`: the service's solver processes that take some of its outcomes solved
    alone (hedge_executor)."""
    try:
        hedge = parse_hedge(document)
        fresh, seed = fresh_outcomes(hedge, evaluate, evaluate_seed)
    except ScenarioError as exc:  # checked on submission, but for a fresh draw's rules
        name = document.get("name") if isinstance(document, dict) else None
        return {"status": str(PlanStatus.ERROR), "message": f"hedge rejected: {exc}",
                "objective": None, "name": str(name or ""), "timings": {"total_s": 0.0}}  # fmt: skip
    executor = hedge_executor(helpers)
    found = hedged_plan(hedge, options, outcome_plans, fresh, seed, executor=executor)
    plan: dict[str, Any] = json_safe(found)
    return plan


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


def size_problems(document: Any, limits: SizeLimits) -> list[Problem]:
    """Counted on the raw document, before any model is built."""
    return [
        Problem(where, size, f"scenario too large for this service: {what} at most {cap:,}")
        for where, size, cap, what in _size_checks(document, limits)
        if size > cap
    ]


def _size_checks(document: Any, limits: SizeLimits) -> list[tuple[str, int, int, str]]:
    """(pointer, size, cap, what it counts) of each of the document's size caps."""
    if not isinstance(document, dict):
        return []  # the schema check names this one
    periods = _count(document, "periods")
    checks = [
        ("/suppliers", _count(document, "suppliers") * periods, limits.suppliers_x_periods,
         "suppliers times periods"),
        ("/plants", _count(document, "plants") * periods, limits.plants_x_periods,
         "plants times periods"),
        ("/demand", _count(document, "demand"), limits.demand_rows, "demand rows"),
    ]  # fmt: skip
    checks += [(b.pointer, b.cells, limits.model_cells, b.what) for b in size_bounds(document)]
    return checks


def _count(document: dict[str, Any], key: str) -> int:
    value = document.get(key)
    return len(value) if isinstance(value, list) else 0


def json_safe(value: Any) -> Any:
    """Non-finite floats (e.g. an unbounded MIP gap) become null, as strict JSON requires."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


# --- the web workspace: uploaded files, the workbook template, a plan's charts --------------
WORKBOOK_SUFFIX = ".xlsx"
YAML_SUFFIXES = (".yaml", ".yml")


def read_upload(filename: str, data: bytes, limits: SizeLimits) -> tuple[str, dict[str, Any]]:
    """The name and document of an uploaded scenario file: an Excel workbook (by its
    suffix, or a zip's first bytes), YAML (by its suffix) or JSON. ScenarioError names
    every problem; a workbook's name its sheet and cell. Run in a solver process: a
    hostile workbook or YAML document meets that process's memory limit, not the server."""
    try:
        if Path(filename).suffix.lower() == WORKBOOK_SUFFIX or data[:2] == b"PK":
            document = _workbook_document(filename, data)
        else:
            try:
                text = data.decode("utf-8-sig")  # spreadsheet tools often prepend a BOM
            except UnicodeDecodeError:
                rule = "not UTF-8 text: upload JSON, YAML or an Excel workbook (.xlsx)"
                raise ScenarioError([Problem("", filename, rule)]) from None
            yaml_syntax = Path(filename).suffix.lower() in YAML_SUFFIXES
            document = decode(text, yaml_syntax=yaml_syntax)
        return check(document, limits), document
    except RecursionError:
        raise ScenarioError([Problem("", filename, "nested too deeply to read")]) from None


def _workbook_document(filename: str, data: bytes) -> dict[str, Any]:
    from optimizer.scenario.workbook_read import validated  # openpyxl: only for workbooks

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"upload{WORKBOOK_SUFFIX}"
        path.write_bytes(data)
        try:
            document: dict[str, Any] = validated(path)[0]  # as written, omissions kept
        except ScenarioError as exc:  # name the file as uploaded, not the temporary copy
            shown = [
                Problem(p.pointer, filename, p.rule) if p.value == str(path) else p
                for p in exc.problems
            ]
            raise ScenarioError(shown) from None
    return document


def template_workbook() -> bytes:
    """The scenario workbook template (`magnets workbook template`) as bytes."""
    from optimizer.scenario.workbook import write_template

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"template{WORKBOOK_SUFFIX}"
        write_template(path)
        return path.read_bytes()


def is_hedged_plan(plan: Any) -> bool:
    """Whether a stored plan is a hedged plan (MODEL.md §6, a hedge job's one item): told
    by its `here_and_now`, as `magnets report` tells it."""
    return isinstance(plan, dict) and "here_and_now" in plan


def plan_charts(plan: dict[str, Any], document: Any) -> list[dict[str, str]]:
    """The plan's charts as `magnets report` draws them, each as {"id", "title",
    "caption", "svg"}; none for a plan without a solution (a hedged plan's: the cost
    across its outcomes). Run in a solver process, so that the server never loads
    matplotlib."""
    from optimizer.report.charts import plan_charts as draw
    from optimizer.report.drawing import svg_markup
    from optimizer.report.hedge_charts import hedge_charts
    from optimizer.report.inputs import plan_context, read_hedge, read_plan

    if is_hedged_plan(plan):
        charts = hedge_charts(read_hedge(plan))
    elif (read := read_plan(plan))["objective"] is None:
        return []
    else:
        try:
            context = plan_context(read, document)
        except ValueError:  # a scenario that no longer reads, or not the plan's: the plan alone
            context = plan_context(read)
        charts = draw(read, context)
    return [
        {"id": c.id, "title": c.title, "caption": c.caption, "svg": svg_markup(c)}
        for c in charts.values()
    ]


def plan_report(plan: dict[str, Any], document: Any) -> str:
    """The plan's self-contained HTML report (`magnets report PLAN --scenario ...`; a
    hedged plan's needs no scenario)."""
    if is_hedged_plan(plan):
        return render_hedge_report(plan)
    try:
        return render_plan_report(plan, document)
    except ValueError:  # as in plan_charts
        return render_plan_report(plan)


def plan_insight(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan's explain in `magnets report`'s words (optimizer/report/explained.py):
    "limits", the ten marginal values largest in size, each {"limit", "worth"}; and for
    an infeasible plan "diagnosis", its heading and one sentence per conflicting limit.
    Both empty for a plan solved without explain. Light: no solver process needed."""
    currency = str(plan.get("currency") or "")
    lines = diagnosis_lines(plan)
    return {
        "limits": [
            {"limit": f"one more {v.what(currency)}", "worth": v.worth(currency)}
            for v in top_limits(plan)
        ],
        "diagnosis": {"heading": diagnosis_heading(plan), "lines": lines} if lines else None,
    }


def plan_workbook(plan: dict[str, Any], document: Any) -> bytes:
    """The plan as an Excel workbook (`magnets report`'s plan workbook: the summary with
    the order list, one sheet per table), labelled by its scenario when that still reads.
    A hedged plan's workbook holds its summary, its orders of now and its outcomes
    (optimizer/report/hedge_workbook.py), labelled by its base's supplier origins.
    Run in a solver process: the server never loads openpyxl."""
    from optimizer.report.plan_workbook import write_plan_workbook

    if is_hedged_plan(plan):
        return _hedge_workbook(plan, document)
    try:
        scenario = parse_scenario(document) if document else None
    except (ScenarioError, ValueError):  # as in plan_charts: the plan alone
        scenario = None
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"plan{WORKBOOK_SUFFIX}"
        write_plan_workbook(plan, path, scenario)
        return path.read_bytes()


def _hedge_workbook(plan: dict[str, Any], document: Any) -> bytes:
    from optimizer.report.hedge_workbook import write_hedge_workbook

    base = document.get("base") if isinstance(document, dict) else None
    suppliers = base.get("suppliers") if isinstance(base, dict) else None
    origins = {
        str(s["id"]): str(s.get("origin") or s.get("country") or "")
        for s in suppliers or [] if isinstance(s, dict) and "id" in s
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"plan{WORKBOOK_SUFFIX}"
        write_hedge_workbook(plan, path, origins)
        return path.read_bytes()


def signed_term(term: str, amount: float) -> float:
    """A cost term as it adds up to the objective (the earned subsidy subtracted)."""
    return signed(term, amount)


# --- the web workspace: variants of a stored scenario, a job's charts ----------------------


def variant_document(document: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """A variant of a stored scenario: `change["shocks"]` (the what-if kinds of
    optimizer.whatif, as in a sweep) applied to the parent's document in order, then
    `change["budget"]` when given (the policy's spend cap per period: no shock kind sets
    it; None removes it), under `change["name"]`. ScenarioError names each unknown id
    under /shocks/<i>; the caller checks the variant with `check` before storing it."""
    try:
        shocks = parse_shocks(change.get("shocks", []), ["shocks"])
        out = apply_shocks(document, shocks, ["shocks"])
    except SpecError as exc:
        raise ScenarioError(exc.problems) from None
    if "budget" in change:
        policy = dict(out.get("policy") or {})
        if change["budget"] is None:
            policy.pop("budget", None)
        else:
            policy["budget"] = change["budget"]
        out["policy"] = policy
    out["name"] = change["name"]
    return out


def read_spec_text(text: str) -> Any:
    """A sweep spec typed on a page, JSON or YAML (YAML reads JSON too); ScenarioError
    names a syntax error. Run in a solver process, as an uploaded YAML file is."""
    try:
        return decode(text, yaml_syntax=True)
    except RecursionError:
        raise ScenarioError([Problem("", None, "nested too deeply to read")]) from None


def job_charts(kind: str, plans: list[tuple[str, dict[str, Any]]]) -> list[dict[str, str]]:
    """Charts of several plans as `magnets report` draws them, each {"id", "title",
    "caption", "svg"}: for a sweep job the distribution of total cost (its `base` member
    marked, not counted), for a frontier job the frontier, for any other set of plans
    their cost terms side by side. Run in a solver process (matplotlib)."""
    from optimizer.report.charts import comparison_chart, frontier_charts, sweep_charts
    from optimizer.report.drawing import svg_markup
    from optimizer.report.inputs import read_frontier, read_job_items, read_sweep

    if kind == "sweep":
        members = [
            {"name": name, "status": plan.get("status"), "objective": plan.get("objective"),
             "terms": plan.get("terms") or {},
             "shortage_kg": sum(float(r.get("kg") or 0.0) for r in plan.get("shortages") or []),
             "levels": {"base": None} if name == BASE_MEMBER else {}}
            for name, plan in plans
        ]  # fmt: skip
        charts = list(sweep_charts(read_sweep({"name": "sweep", "members": members})).values())
    elif kind == "frontier":
        found = frontier_of(plans)
        charts = list(frontier_charts(read_frontier(found)).values()) if found else []
    else:
        chart = comparison_chart(read_job_items(plans))
        charts = [chart] if chart is not None else []
    return [
        {"id": c.id, "title": c.title, "caption": c.caption, "svg": svg_markup(c)} for c in charts
    ]
