"""Insight beyond one plan: `POST /v1/why` ("what if this source were gone?")."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from .. import queries
from ..deps import DatabaseDep, SettingsDep, SolvePoolDep, SolveSharesDep, TenantDep
from ..errors import RequestProblems, error_responses
from ..limits import OffLoopRoute, size_limits, solve_options
from ..schemas import WhyRequest, WhyResult
from ..solving import Problem, check_exclusion, run_why

router = APIRouter(prefix="/v1", tags=["insight"], route_class=OffLoopRoute)


@router.post("/why", response_model=WhyResult, responses=error_responses(401, 413, 422, 429, 503))
async def why_source(
    body: WhyRequest,
    tenant: TenantDep,
    db: DatabaseDep,
    settings: SettingsDep,
    pool: SolvePoolDep,
    shares: SolveSharesDep,
) -> JSONResponse:
    """Cost and shortage with and without one supplier, origin or plant (each of its
    capacities set to 0): two solves in a solver process, the second from the first's
    basis. 422 when the scenario or the excluded id is unknown."""
    options = solve_options(settings, body.options.time_limit, body.options.mip_gap, "/options")
    document = body.scenario
    if document is None:
        stored = await run_in_threadpool(
            queries.scenario_documents, db, tenant, [body.scenario_id or ""]
        )
        if not stored:
            raise RequestProblems([Problem("/scenario_id", body.scenario_id, "no such scenario")])
        document = next(iter(stored.values()))
    exclude = body.exclude.model_dump(exclude_none=True)
    await run_in_threadpool(check_exclusion, document, exclude, size_limits(settings))
    result = await shares.run(tenant, lambda: pool.call(run_why, document, exclude, options))
    return JSONResponse(result)
