"""One vocabulary for plan status, and the table that maps HiGHS's codes onto it."""

from __future__ import annotations

from enum import StrEnum

import highspy


class PlanStatus(StrEnum):
    OPTIMAL = "optimal"
    TIME_LIMIT = "time_limit"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    ERROR = "error"


_MS = highspy.HighsModelStatus
FROM_HIGHS: dict[object, PlanStatus] = {
    _MS.kOptimal: PlanStatus.OPTIMAL,
    _MS.kModelEmpty: PlanStatus.OPTIMAL,
    _MS.kInfeasible: PlanStatus.INFEASIBLE,
    _MS.kUnbounded: PlanStatus.UNBOUNDED,
    _MS.kTimeLimit: PlanStatus.TIME_LIMIT,
    _MS.kIterationLimit: PlanStatus.TIME_LIMIT,
    _MS.kSolutionLimit: PlanStatus.TIME_LIMIT,
    _MS.kInterrupt: PlanStatus.TIME_LIMIT,
}


def plan_status(model_status: object) -> PlanStatus:
    """Codes without a mapping (load, presolve, solve errors…) read as `error`."""
    return FROM_HIGHS.get(model_status, PlanStatus.ERROR)
