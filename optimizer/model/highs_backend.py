"""Hands a `LinearModel` to HiGHS as arrays, runs it, and reads the outcome back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import highspy
import numpy as np

from optimizer.model.lp import LinearModel
from optimizer.model.status import PlanStatus, plan_status
from optimizer.options import SolveOptions


@dataclass(frozen=True)
class SolverOutcome:
    status: PlanStatus
    x: np.ndarray | None  # column values when a solution exists
    mip_gap: float | None
    message: str
    row_duals: np.ndarray | None = None


# With nothing left after building, HiGHS still gets a moment: it then reports the time
# limit (with no solution) rather than refusing a zero limit.
MIN_SOLVE_S = 1e-3


def new_highs(options: SolveOptions) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", options.verbose)
    # Feasibility jump, HiGHS's first MIP heuristic, hunts integer-feasible points by moving
    # integer variables; our MILPs are continuous flows with a few on/off decisions (fixed
    # costs, minimum orders, builds) that branch and bound settles at or near the root. Off,
    # the optima are the same and MILPs solve 20-25 % faster on the shipped instances, 7-12 %
    # on generated ones of 7k-19k columns (docs/model-notes.md, "HiGHS options").
    h.setOptionValue("mip_heuristic_run_feasibility_jump", False)
    h.setOptionValue("mip_rel_gap", options.mip_gap)
    if options.time_limit is not None:
        h.setOptionValue("time_limit", float(options.time_limit))
    if options.threads is not None:
        h.setOptionValue("threads", int(options.threads))
    return h


def limit_time(h: highspy.Highs, seconds: float) -> None:
    """What is left of the time limit once the model is built: the limit bounds build and
    solve together, so a slow build cannot stretch a solve past it."""
    h.setOptionValue("time_limit", max(float(seconds), MIN_SOLVE_S))


def pass_model(h: highspy.Highs, m: LinearModel) -> None:
    """Pass the whole model in one call: arrays straight from numpy, no per-entry Python."""
    cost, lower, upper, integer = m.column_arrays()
    row_lower, row_upper = m.row_bounds()
    start, index, value = m.matrix()
    integrality = integer.astype(np.int32)
    status = h.passModel(
        m.num_cols, m.num_rows, len(value), int(highspy.MatrixFormat.kRowwise),
        int(highspy.ObjSense.kMinimize), 0.0,
        cost, lower, upper, row_lower, row_upper,
        start[:-1], index, value, integrality,
    )  # fmt: skip
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS rejected the model")


def run(h: highspy.Highs, is_mip: bool) -> SolverOutcome:
    if h.getNumCol() == 0:
        return _without_columns(h, is_mip)
    h.run()
    model_status = h.getModelStatus()
    status = plan_status(model_status)
    if model_status == highspy.HighsModelStatus.kUnboundedOrInfeasible:
        status = _infeasible_or_unbounded(h)
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if status in (PlanStatus.OPTIMAL, PlanStatus.TIME_LIMIT) and has_solution:
        solution = h.getSolution()
        x = np.asarray(solution.col_value, dtype=float)
        duals = None if is_mip else np.asarray(solution.row_dual, dtype=float)
        gap = float(info.mip_gap) if is_mip else None
        return SolverOutcome(status, x, gap, h.modelStatusToString(model_status), duals)
    if status == PlanStatus.OPTIMAL:  # optimal without a primal solution should not happen
        status = PlanStatus.ERROR
    return SolverOutcome(status, None, None, h.modelStatusToString(model_status))


def _without_columns(h: highspy.Highs, is_mip: bool) -> SolverOutcome:
    """Nothing to decide (no supply, no demand): HiGHS reports an empty model without a
    solution, but the plan is the empty one, unless a row such as a safety stock asks
    for more than nothing."""
    lp = h.getLp()
    lower, upper = np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)
    if np.all(lower <= 0) and np.all(upper >= 0):
        return SolverOutcome(
            PlanStatus.OPTIMAL, np.zeros(0), 0.0 if is_mip else None, "empty model"
        )
    return SolverOutcome(PlanStatus.INFEASIBLE, None, None, "a requirement with nothing to meet it")


def _infeasible_or_unbounded(h: highspy.Highs) -> PlanStatus:
    """Presolve can tell only 'infeasible or unbounded'; a run without it decides which."""
    h.setOptionValue("presolve", "off")
    h.run()
    h.setOptionValue("presolve", "choose")
    decided = plan_status(h.getModelStatus())
    return (
        decided
        if decided in (PlanStatus.INFEASIBLE, PlanStatus.UNBOUNDED)
        else PlanStatus.INFEASIBLE
    )


def write_model(
    h: highspy.Highs, m: LinearModel, path: str | Path, names: tuple[list[str], list[str]]
) -> None:
    """Write the model with domain names; the suffix picks the format (.mps, .lp)."""
    lp = h.getLp()
    lp.col_names_, lp.row_names_ = names
    h.passModel(lp)  # the same arrays and integrality, now with names
    if h.writeModel(str(path)) == highspy.HighsStatus.kError:
        raise OSError(f"HiGHS could not write {path}")
