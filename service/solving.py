"""The service's one door into the optimizer: check a scenario document, solve it.

Everything else in `service/` handles HTTP, jobs and storage; only this module imports
`optimizer`, and the synchronous route and the job workers both call `run_solve`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from optimizer.errors import Problem, ScenarioError, pointer
from optimizer.loading import parse_scenario
from optimizer.options import SolveOptions
from optimizer.plan import empty_plan
from optimizer.solve import solve
from optimizer.status import PlanStatus

__all__ = [
    "Problem", "ScenarioError", "SizeLimits", "SolveOptions", "check", "pointer", "run_solve",
]  # fmt: skip


@dataclass(frozen=True)
class SizeLimits:
    """The largest scenario the service accepts (see Settings)."""

    suppliers_x_periods: int
    plants_x_periods: int
    demand_rows: int


def check(document: Any, limits: SizeLimits) -> str:
    """Refuse an oversized or invalid document (ScenarioError); return its name."""
    problems = size_problems(document, limits)
    if problems:
        raise ScenarioError(problems)
    return parse_scenario(document).name


def run_solve(document: Any, options: SolveOptions) -> dict[str, Any]:
    """Solve one scenario document; every outcome is a JSON-safe plan, never an exception."""
    try:
        scenario = parse_scenario(document)
    except ScenarioError as exc:  # checked on submission; reachable only if the rules changed
        return empty_plan(PlanStatus.ERROR, f"scenario rejected: {exc}")
    plan: dict[str, Any] = json_safe(solve(scenario, options))
    return plan


def size_problems(document: Any, limits: SizeLimits) -> list[Problem]:
    """Counted on the raw document, before any model is built."""
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
    return [
        Problem(where, size, f"scenario too large for this service: {what} at most {cap}")
        for where, size, cap, what in checks
        if size > cap
    ]


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
