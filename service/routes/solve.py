"""`POST /v1/solve`: one scenario in, its plan out, nothing stored."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Query
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ..deps import SettingsDep, SolvePoolDep, TenantDep
from ..errors import error_responses
from ..limits import size_limits, solve_options
from ..schemas import Plan, Scenario, Valid
from ..solving import check
from ..workers import PoolBusy

router = APIRouter(prefix="/v1", tags=["solve"])


@router.post(
    "/solve",
    response_model=Plan | Valid,
    responses={
        200: {"description": 'The plan, whatever its status; {"valid": true} with validate_only.'},
        **error_responses(401, 413, 422, 503),
    },
)
async def solve_scenario(
    document: Annotated[Scenario, Body(description="A scenario document (MODEL.md §1).")],
    _tenant: TenantDep,
    settings: SettingsDep,
    pool: SolvePoolDep,
    time_limit: Annotated[
        float | None, Query(gt=0, description="Seconds, at most the server's maximum.")
    ] = None,
    mip_gap: Annotated[float, Query(ge=0, le=1, description="Relative MIP gap.")] = 1e-6,
    validate_only: Annotated[
        bool, Query(description='Check the scenario only: 200 {"valid": true} or 422.')
    ] = False,
    explain: Annotated[
        bool,
        Query(
            description="Add `marginal_values` to the plan, or `diagnosis` for an "
            "infeasible scenario (API.md, Insight)."
        ),
    ] = False,
) -> JSONResponse:
    """The plan of MODEL.md §4 (whatever its status), or 422 with every problem."""
    options = solve_options(settings, time_limit, mip_gap, "/query")
    await run_in_threadpool(check, document, size_limits(settings))
    if validate_only:
        return JSONResponse({"valid": True})
    try:
        plan = await pool.solve(document, options, explain)
    except PoolBusy:
        raise HTTPException(
            503, "the solver process was lost; retry", {"Retry-After": "1"}
        ) from None
    return JSONResponse(plan)
