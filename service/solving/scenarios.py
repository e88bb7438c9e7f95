"""One scenario document: its size caps, its rules and what the store cannot hold
(`check`), its solve (`run_solve`, `solve_checked`) and the why of one source
(`run_why`); plans made JSON-safe (`json_safe`)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from optimizer.errors import Problem, ScenarioError, pointer
from optimizer.model.plan import empty_plan
from optimizer.model.size_bounds import size_bounds
from optimizer.model.status import PlanStatus
from optimizer.options import SolveOptions
from optimizer.scenario.parsing import parse_scenario
from optimizer.solve import solve
from optimizer.whatif.shocks import SpecError
from optimizer.whatif.why import exclusion, why


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
        raise ScenarioError([under("/exclude", p) for p in exc.problems]) from None


def run_why(document: Any, exclude: dict[str, str], options: SolveOptions) -> dict[str, Any]:
    """The plan's cost and shortage with and without one source (optimizer.whatif.why); the
    request was checked with `check_exclusion` first."""
    result: dict[str, Any] = json_safe(why(document, **exclude, options=options))
    return result


def under(prefix: str, problem: Problem) -> Problem:
    return Problem(prefix + problem.pointer, problem.value, problem.rule)


def size_problems(document: Any, limits: SizeLimits) -> list[Problem]:
    """Counted on the raw document, before any model is built."""
    return [
        Problem(where, size, f"scenario too large for this service: {what} at most {cap:,}")
        for where, size, cap, what in size_checks(document, limits)
        if size > cap
    ]


def size_checks(document: Any, limits: SizeLimits) -> list[tuple[str, int, int, str]]:
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
