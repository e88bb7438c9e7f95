"""Solves the Pyomo reference model (`pyomo_model.py`) with HiGHS through Pyomo.

Used to cross-check the array-built production path and to measure how much of a
solve is spent outside the solver: `build_s` is the Pyomo model construction,
`solve_s` the HiGHS run time as Pyomo's HiGHS interface reports it, and `total_s`
everything, so `total_s - solve_s` is the modelling layer's own work.
"""

from __future__ import annotations

import time
from typing import Any

import pyomo.environ as pyo
from pyomo.contrib.solver.common.factory import SolverFactory
from pyomo.contrib.solver.common.results import Results, TerminationCondition

from optimizer.model.pyomo_model import build_pyomo_model
from optimizer.model.status import PlanStatus
from optimizer.options import SolveOptions
from optimizer.scenario.schema import Scenario

_TC = TerminationCondition
FROM_PYOMO: dict[TerminationCondition, PlanStatus] = {
    _TC.convergenceCriteriaSatisfied: PlanStatus.OPTIMAL,
    _TC.provenInfeasible: PlanStatus.INFEASIBLE,
    _TC.unbounded: PlanStatus.UNBOUNDED,
    _TC.maxTimeLimit: PlanStatus.TIME_LIMIT,
    _TC.iterationLimit: PlanStatus.TIME_LIMIT,
    _TC.interrupted: PlanStatus.TIME_LIMIT,
}
# Pyomo's own HiGHS interface is 'highs' in the new solver factory; the legacy
# `pyo.SolverFactory('appsi_highs')` drives the same highspy but is being retired.
SOLVER = "highs"


def solve_pyomo(scenario: Scenario, options: SolveOptions | None = None) -> dict[str, Any]:
    """Build and solve the reference model; status and objective as in a plan (MODEL.md §4)."""
    options = options or SolveOptions()
    started = time.perf_counter()
    try:
        model = build_pyomo_model(scenario)
        built = time.perf_counter()
        status, objective, highs_s = _run(model, options)
    except (RuntimeError, MemoryError, ValueError) as exc:  # an answer, never a stack trace
        elapsed = time.perf_counter() - started
        return _answer(PlanStatus.ERROR, None, None, None, elapsed) | {"message": str(exc)}
    return _answer(status, objective, built - started, highs_s, time.perf_counter() - started)


def _answer(
    status: PlanStatus,
    objective: float | None,
    build_s: float | None,
    solve_s: float | None,
    total_s: float,
) -> dict[str, Any]:
    return {
        "status": str(status),
        "objective": objective,
        "build_s": build_s,
        "solve_s": solve_s,
        "total_s": total_s,
    }


def _run(model: pyo.ConcreteModel, options: SolveOptions) -> tuple[PlanStatus, float | None, float]:
    if model.nvariables() == 0:
        return (*_nothing_to_decide(model), 0.0)
    results = _solve_once(model, options, {})
    highs_s = results.timing_info.highs_time
    if results.termination_condition == _TC.infeasibleOrUnbounded:
        # Presolve can tell only 'infeasible or unbounded'; a run without it decides which.
        results = _solve_once(model, options, {"presolve": "off"})
        highs_s += results.timing_info.highs_time
    status = FROM_PYOMO.get(results.termination_condition, PlanStatus.ERROR)
    if results.termination_condition == _TC.infeasibleOrUnbounded:
        status = PlanStatus.INFEASIBLE
    objective = results.incumbent_objective
    if status not in (PlanStatus.OPTIMAL, PlanStatus.TIME_LIMIT) or objective is None:
        objective = None
        status = PlanStatus.ERROR if status == PlanStatus.OPTIMAL else status
    return status, objective, highs_s


def _nothing_to_decide(model: pyo.ConcreteModel) -> tuple[PlanStatus, float | None]:
    """HiGHS answers a model without columns with 'empty', not a status; decide it here."""
    rows = model.component_data_objects(pyo.Constraint, active=True)
    if any(min(row.lslack(), row.uslack()) < 0 for row in rows):
        return PlanStatus.INFEASIBLE, None
    return PlanStatus.OPTIMAL, float(pyo.value(model.total_cost))


def _solve_once(model: pyo.ConcreteModel, options: SolveOptions, extra: dict) -> Results:
    solver = SolverFactory(SOLVER)
    if not solver.available():
        raise RuntimeError("Pyomo cannot find highspy, the HiGHS interface")
    return solver.solve(
        model,
        tee=options.verbose,
        time_limit=options.time_limit,
        threads=options.threads,
        rel_gap=options.mip_gap,
        solver_options=extra,
        load_solutions=False,  # only the objective is needed; values stay on the solver
        raise_exception_on_nonoptimal_result=False,
    )
