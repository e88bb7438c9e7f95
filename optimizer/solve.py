"""The one entry point the CLI, the service and batch jobs call: scenario in, plan out.

`solve_plan` returns the typed plan (`optimizer.model.plan_types.Plan`); `solve` returns
its JSON document (`Plan.to_document()`), a dict read as `plan["status"]`, and stays so
for this release.
"""

from __future__ import annotations

import time
from typing import Any

from optimizer.model import highs_backend as backend
from optimizer.model.build import build_model
from optimizer.model.plan import error_plan, model_size, outcome_plan
from optimizer.model.plan_types import Plan
from optimizer.options import SolveOptions
from optimizer.scenario.schema import Scenario

__all__ = ["model_size", "solve", "solve_plan"]


def solve_plan(
    scenario: Scenario, options: SolveOptions | None = None, explain: bool = False
) -> Plan:
    """Solve a validated scenario; every outcome, failures included, is a plan. `explain`
    adds `marginal_values` or `diagnosis` (API.md, Insight) from this very solve."""
    options = options or SolveOptions()
    started = time.perf_counter()
    try:
        model, ix = build_model(scenario)
        h = backend.new_highs(options)
        backend.pass_model(h, model)
        built = time.perf_counter()
        if options.time_limit is not None:
            backend.limit_time(h, options.time_limit - (built - started))
        outcome = backend.run(h, model.is_mip)
        solved = time.perf_counter()
    except Exception as exc:  # noqa: BLE001 — every outcome is a plan, never a stack trace
        return error_plan(exc, started)
    insight = (lambda: _explained(scenario, model, ix, outcome, options)) if explain else None
    return outcome_plan(model, ix, outcome, scenario, (started, built, solved), insight)


def _explained(*args: Any) -> Any:
    from optimizer.insight.explain import explain_outcome  # only when asked: saves ~10 ms a solve

    return explain_outcome(*args)


def solve(
    scenario: Scenario, options: SolveOptions | None = None, explain: bool = False
) -> dict[str, Any]:
    """`solve_plan`'s plan as its JSON document (MODEL.md §4): what `magnets solve` prints."""
    return solve_plan(scenario, options, explain).to_document()
