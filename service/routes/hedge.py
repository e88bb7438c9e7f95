"""`POST /v1/hedge`: a hedge document in (MODEL.md §6), its hedged plan out, nothing stored."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ..deps import SettingsDep, SolvePoolDep, SolveSharesDep, TenantDep
from ..errors import RequestProblems, error_responses
from ..limits import OffLoopRoute, size_limits, solve_options
from ..schemas import Hedge, HedgedPlan, Valid
from ..solving import (
    MAX_OUTCOMES,
    Problem,
    check_hedge,
    check_hedge_size,
    evaluation_problems,
    hedge_checked,
)

router = APIRouter(prefix="/v1", tags=["hedge"], route_class=OffLoopRoute)


@router.post(
    "/hedge",
    response_model=HedgedPlan | Valid,
    responses={
        200: {"description": 'The hedged plan, whatever its status; {"valid": true} with '
              "validate_only."},
        **error_responses(401, 413, 422, 429, 503),
    },
)  # fmt: skip
async def hedge(
    document: Annotated[
        Hedge,
        Body(
            description="A hedge document (MODEL.md §6): `base` a scenario document inline "
            "(a path, which `magnets hedge` reads, is refused here), the outcomes, `reveal`, "
            "`risk`."
        ),
    ],
    tenant: TenantDep,
    settings: SettingsDep,
    pool: SolvePoolDep,
    shares: SolveSharesDep,
    time_limit: Annotated[
        float | None,
        Query(gt=0, description="Seconds for each solve, at most the server's maximum."),
    ] = None,
    mip_gap: Annotated[float, Query(ge=0, le=1, description="Relative MIP gap.")] = 1e-6,
    outcome_plans: Annotated[
        bool, Query(description="Add each outcome's plan tables to its row (`plan`).")
    ] = False,
    validate_only: Annotated[
        bool, Query(description='Check the hedge document only: 200 {"valid": true} or 422.')
    ] = False,
    evaluate: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_OUTCOMES,
            description="Also evaluate the plan's here-and-now decisions on this many fresh "
            "outcomes, drawn from the sample's axes with `evaluate_seed` (`evaluation`); the "
            "outcomes must be given as a sample.",
        ),
    ] = None,
    evaluate_seed: Annotated[
        int | None,
        Query(
            ge=0,
            description="The fresh outcomes' seed, only with `evaluate`; default the "
            "sample's seed + 1.",
        ),
    ] = None,
) -> Response:
    """The hedged plan (whatever its status), or 422 with every problem of the document.

    The size caps are counted on the raw document first, for the base, each outcome and
    their sum (the hedged model holds one block per outcome); the document is then read,
    and solved, in a solver process within the tenant's share (429 over it, 503 when the
    line is full). The time limit applies to each solve: the hedged model and each solve
    behind the values that price it (wait-and-see, value of hedging, premium), and each
    fresh outcome's with `evaluate` (drawn there too: one that breaks the scenario rules
    is a 422)."""
    options = solve_options(settings, time_limit, mip_gap, "/query")
    if evaluate_seed is not None and evaluate is None:
        rule = "goes with evaluate: the seed of the fresh outcomes it draws"
        raise RequestProblems([Problem("/query/evaluate_seed", evaluate_seed, rule)])
    limits = size_limits(settings)
    await run_in_threadpool(check_hedge_size, document, limits)
    refused = await run_in_threadpool(
        evaluation_problems, document, limits, evaluate, "/query/evaluate"
    )
    if refused:
        raise RequestProblems(refused)
    if validate_only:  # as a hedge job is checked: also no NUL
        await shares.run(tenant, lambda: pool.call(check_hedge, document, limits))
        return JSONResponse({"valid": True})
    _, answer = await shares.run(
        tenant,
        lambda: pool.call(hedge_checked, document, options, outcome_plans, evaluate, evaluate_seed),
    )
    return Response(answer, media_type="application/json")
