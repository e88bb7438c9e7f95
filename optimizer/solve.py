"""The one entry point the CLI, the service and batch jobs call: scenario in, plan out."""

from __future__ import annotations

import time
from typing import Any

from optimizer.insight.explain import explain_outcome
from optimizer.model import highs_backend as backend
from optimizer.model.build import build_model
from optimizer.model.plan import empty_plan, solution_plan
from optimizer.model.status import PlanStatus
from optimizer.options import SolveOptions
from optimizer.scenario.schema import Scenario


def solve(
    scenario: Scenario, options: SolveOptions | None = None, explain: bool = False
) -> dict[str, Any]:
    """Solve a validated scenario; every outcome, failures included, is a plan. `explain`
    adds `marginal_values` or `diagnosis` (API.md, Insight) from this very solve."""
    options = options or SolveOptions()
    started = time.perf_counter()
    try:
        model, ix = build_model(scenario)
        h = backend.new_highs(options)
        backend.pass_model(h, model)
        built = time.perf_counter()
        outcome = backend.run(h, model.is_mip)
        solved = time.perf_counter()
    except Exception as exc:  # noqa: BLE001 — every outcome is a plan, never a stack trace
        plan = empty_plan(PlanStatus.ERROR, f"{type(exc).__name__}: {exc}")
        plan["timings"] = {
            "build_s": None,
            "solve_s": None,
            "total_s": time.perf_counter() - started,
        }
        return plan
    if outcome.x is None:
        plan = empty_plan(outcome.status, outcome.message)
    else:
        plan = solution_plan(model, ix, outcome.x, outcome.status)
        plan["mip_gap"] = outcome.mip_gap
    explaining = time.perf_counter()
    if explain:
        plan.update(explain_outcome(scenario, model, ix, outcome, options))
    plan["timings"] = {
        "build_s": built - started,
        "solve_s": solved - built,
        "total_s": time.perf_counter() - started,
    }
    if explain:
        plan["timings"]["explain_s"] = plan["timings"]["total_s"] - (explaining - started)
    plan["model"] = model_size(model)
    plan["scenario"] = scenario.name
    plan["currency"] = scenario.currency
    return plan


def model_size(model: Any) -> dict[str, int | bool]:
    _, _, _, integer = model.column_arrays()
    nonzeros = sum(int((b.vals != 0).sum()) for b in model.constraints.values())
    return {
        "columns": model.num_cols,
        "rows": model.num_rows,
        "nonzeros": nonzeros,
        "binaries": int(integer.sum()),
        "milp": model.is_mip,
    }
