"""`POST /v1/solve`: one scenario in, its plan out, nothing stored."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ..deps import PlanCacheDep, SettingsDep, SolvePoolDep, TenantDep
from ..errors import error_responses
from ..limits import size_limits, solve_options
from ..plan_cache import BYPASS, HEADER, HIT, MISS, request_key, wants_fresh
from ..schemas import Plan, Scenario, Valid
from ..solving import check, check_size
from ..workers import PoolBusy

router = APIRouter(prefix="/v1", tags=["solve"])


@router.post(
    "/solve",
    response_model=Plan | Valid,
    responses={
        200: {
            "description": 'The plan, whatever its status; {"valid": true} with validate_only.',
            "headers": {
                HEADER: {
                    "description": "`hit`: an identical earlier request's plan; `miss`: "
                    "solved now; `bypass`: solved now on `Cache-Control: no-cache`; `off`: "
                    "no plan cache on this server.",
                    "schema": {"type": "string", "enum": [HIT, MISS, BYPASS, "off"]},
                }
            },
        },
        **error_responses(401, 413, 422, 503),
    },
)
async def solve_scenario(
    request: Request,
    document: Annotated[Scenario, Body(description="A scenario document (MODEL.md §1).")],
    tenant: TenantDep,
    settings: SettingsDep,
    pool: SolvePoolDep,
    cache: PlanCacheDep,
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
    cache_control: Annotated[
        str | None,
        Header(description="`no-cache`: solve again rather than answer a kept plan."),
    ] = None,
) -> Response:
    """The plan of MODEL.md §4 (whatever its status), or 422 with every problem.

    An identical earlier request may be answered from the plan cache (see
    service/plan_cache.py); the `X-Plan-Cache` header says whether it was."""
    options = solve_options(settings, time_limit, mip_gap, "/query")
    if validate_only:
        await run_in_threadpool(check, document, size_limits(settings))
        return JSONResponse({"valid": True})
    key = ""
    if cache.enabled:
        key = request_key(tenant, await request.body(), options, explain)
        kept = None if wants_fresh(cache_control) else cache.get(key)
        if kept is not None:
            return Response(kept, media_type="application/json", headers={HEADER: HIT})
    check_size(document, size_limits(settings))
    try:
        plan = await pool.solve_checked(document, options, explain)
    except PoolBusy:
        raise HTTPException(
            503, "the solver process was lost; retry", {"Retry-After": "1"}
        ) from None
    answer = encode(plan)
    state = "off"
    if key:
        cache.put(key, plan.get("status"), answer)
        state = BYPASS if wants_fresh(cache_control) else MISS
    return Response(answer, media_type="application/json", headers={HEADER: state})


def encode(plan: dict[str, Any]) -> bytes:
    """The plan as JSONResponse would send it (compact, UTF-8, no NaN)."""
    text = json.dumps(plan, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8")
