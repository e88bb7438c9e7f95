"""`POST /v1/solve`: one scenario in, its plan out, nothing stored."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ..deps import PlanCacheDep, SettingsDep, SolvePoolDep, SolveSharesDep, TenantDep
from ..errors import error_responses
from ..limits import OffLoopRoute, size_limits, solve_options
from ..plan_cache import (
    BYPASS,
    HEADER,
    HIT,
    MISS,
    OFF,
    SHARED,
    PlanCache,
    request_key,
    wants_fresh,
)  # fmt: skip
from ..schemas import Plan, Scenario, Valid
from ..settings import Settings
from ..solve_pool import SolvePool
from ..solve_shares import SolveShares
from ..solving import SolveOptions, check, check_size

router = APIRouter(prefix="/v1", tags=["solve"], route_class=OffLoopRoute)


@router.post(
    "/solve",
    response_model=Plan | Valid,
    responses={
        200: {
            "description": 'The plan, whatever its status; {"valid": true} with validate_only.',
            "headers": {
                HEADER: {
                    "description": "`hit`: an identical earlier request's plan; `shared`: "
                    "the answer of an identical request solved at the same time; `miss`: "
                    "solved now; `bypass`: solved now on `Cache-Control: no-cache`; `off`: "
                    "no plan cache on this server.",
                    "schema": {"type": "string", "enum": [HIT, SHARED, MISS, BYPASS, OFF]},
                }
            },
        },
        **error_responses(401, 413, 422, 429, 503),
    },
)
async def solve_scenario(
    request: Request,
    document: Annotated[Scenario, Body(description="A scenario document (MODEL.md §1).")],
    tenant: TenantDep,
    settings: SettingsDep,
    pool: SolvePoolDep,
    shares: SolveSharesDep,
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
    solving = _Solving(pool, shares, tenant, settings)
    if validate_only:
        await run_in_threadpool(check, document, size_limits(settings))
        return JSONResponse({"valid": True})
    if not cache.enabled:
        _, answer = await solving.solved(document, options, explain)
        return Response(answer, media_type="application/json", headers={HEADER: OFF})
    key = request_key(tenant, await request.body(), options, explain)
    fresh = wants_fresh(cache_control)
    if not fresh:
        kept = cache.get(key)
        if kept is not None:
            return Response(kept, media_type="application/json", headers={HEADER: HIT})
        shared = await _shared(cache, key)
        if shared is not None:
            return Response(shared, media_type="application/json", headers={HEADER: SHARED})
    return await _solved_once(cache, key, fresh, document, options, explain, solving)


async def _shared(cache: PlanCache, key: str) -> bytes | None:
    """The answer of an identical request being solved now, once it is ready; None when
    there is none, or it ended without an answer (the caller then solves)."""
    pending = cache.in_flight.get(key)
    if pending is None:
        return None
    try:
        return await asyncio.shield(pending)
    except asyncio.CancelledError:
        if pending.cancelled():  # the first request went away; this one is still here
            return None
        raise


async def _solved_once(
    cache: PlanCache, key: str, fresh: bool, document: Any, options: SolveOptions,
    explain: bool, solving: _Solving,
) -> Response:  # fmt: skip
    """Solve, letting identical requests that arrive meanwhile share the answer (and the
    outcome: a 422 or a 503 reaches them too)."""
    pending: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
    cache.in_flight.setdefault(key, pending)
    try:
        status, answer = await solving.solved(document, options, explain)
    except BaseException as exc:
        if isinstance(exc, Exception):
            pending.set_exception(exc)
            pending.exception()  # retrieved here: nobody may be waiting
        else:
            pending.cancel()
        raise
    finally:
        if cache.in_flight.get(key) is pending:
            del cache.in_flight[key]
    pending.set_result(answer)
    cache.put(key, status, answer)
    return Response(
        answer, media_type="application/json", headers={HEADER: BYPASS if fresh else MISS}
    )


@dataclass(frozen=True)
class _Solving:
    """What a solve for this request needs: the pool, the tenant's share of it, limits."""

    pool: SolvePool
    shares: SolveShares
    tenant: int
    settings: Settings

    async def solved(
        self, document: Any, options: SolveOptions, explain: bool
    ) -> tuple[Any, bytes]:
        """The plan's status and its encoded answer (429 over the tenant's share)."""
        check_size(document, size_limits(self.settings))
        return await self.shares.run(
            self.tenant, lambda: self.pool.solve_checked(document, options, explain)
        )
