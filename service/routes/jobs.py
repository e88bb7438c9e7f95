"""Batch jobs: `/v1/jobs`. Submission stores the job; the dispatcher solves it."""

from __future__ import annotations

import hashlib
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse

from .. import queries, store
from ..database import Database
from ..deps import DatabaseDep, DispatcherDep, SettingsDep, TenantDep
from ..errors import RequestProblems, error_responses
from ..limits import OffLoopRoute, size_limits, solve_options
from ..logging_setup import bind, log_event
from ..schemas import (
    FrontierList,
    JobAccepted,
    JobCreate,
    JobList,
    JobPublic,
    JobStatistics,
    PlanList,
    SummaryList,
)
from ..settings import Settings
from ..solving import (
    Problem,
    ScenarioError,
    SizeLimits,
    check,
    check_hedge,
    evaluation_problems,
    frontier_members,
    frontier_of,
    hedge_change,
    job_report,
    job_statistics,
    sweep_members,
)
from ..summary import summary_rows, to_csv
from ..tables import JobState
from .scenarios import MAX_OFFSET

log = logging.getLogger("magnets.jobs")
router = APIRouter(prefix="/v1/jobs", tags=["jobs"], route_class=OffLoopRoute)
NOT_FOUND = "no such job"
IdempotencyKey = Annotated[
    str | None,
    Header(min_length=1, max_length=200, description="Same key and body: the same job again."),
]


REPLAYED = {
    "Idempotent-Replayed": {
        "description": "true when this answers an earlier request with the same key and body",
        "schema": {"type": "string", "enum": ["true"]},
    }
}
JOB_READ_ERRORS = error_responses(401, 404, 422, 503)
# refusals are JSON even where the answer itself is not
JSON_ERRORS = {
    code: {
        **entry,
        "content": {
            "application/json": {
                "schema": {"$ref": f"#/components/schemas/{entry['model'].__name__}"}
            }
        },
    }
    for code, entry in JOB_READ_ERRORS.items()
}


@router.post(
    "",
    status_code=202,
    responses={202: {"headers": REPLAYED}, **error_responses(401, 409, 413, 422, 429, 503)},
)
def create_job(
    body: JobCreate,
    response: Response,
    tenant: TenantDep,
    db: DatabaseDep,
    settings: SettingsDep,
    dispatcher: DispatcherDep,
    request_sha256: BodySha256,
    idempotency_key: IdempotencyKey = None,
) -> JobAccepted:
    """Queue the scenarios (each checked first: 422 with every problem); 409 when the
    Idempotency-Key was used with another body; 429 when the tenant has too many jobs."""
    job_id = _replay(db, tenant, idempotency_key, request_sha256)
    replayed = job_id is not None
    if job_id is None:
        submission = store.JobSubmission(
            options=_options(body, settings),  # checked first: cheap
            items=_items(body, tenant, db, settings),
            idempotency_key=idempotency_key,
            request_sha256=request_sha256,
        )
        job_id, replayed = _submit(db, tenant, submission, settings)
    bind(job_id=job_id)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    else:
        log_event(log, "job.queued", job_id=job_id, tenant=tenant, scenarios=len(submission.items))
        dispatcher.wake()
    return JobAccepted(id=job_id, state=_job(db, tenant, job_id).state)


@router.get("", responses=error_responses(401, 422, 503))
def list_jobs(
    tenant: TenantDep,
    db: DatabaseDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    state: Annotated[JobState | None, Query(description="Only jobs in this state.")] = None,
) -> JobList:
    """The tenant's jobs, newest first, each as `GET /v1/jobs/{id}` answers it; `total`
    counts those that match `state`."""
    views, total = queries.list_jobs(db, tenant, limit, offset, state)
    return JobList(items=[JobPublic(**vars(view)) for view in views], total=total)


@router.get("/{job_id}", responses=JOB_READ_ERRORS)
def get_job(job_id: str, tenant: TenantDep, db: DatabaseDep) -> JobPublic:
    """State and progress: `solved` of `total` scenarios have a plan."""
    job = _job(db, tenant, job_id)
    return JobPublic(**vars(job))


@router.get("/{job_id}/plans", response_model=PlanList, responses=JOB_READ_ERRORS)
def get_plans(job_id: str, tenant: TenantDep, db: DatabaseDep) -> JSONResponse:
    """Every scenario in submission order, with its plan once solved (else null)."""
    items = _items_of(db, tenant, job_id)
    body = [
        {"scenario": i.scenario, "state": i.state, "plan": i.plan, "error": i.error} for i in items
    ]
    return JSONResponse({"items": body})


@router.get(
    "/{job_id}/summary",
    response_model=SummaryList,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **JOB_READ_ERRORS,
    },
)
def get_summary(
    job_id: str,
    tenant: TenantDep,
    db: DatabaseDep,
    accept: Annotated[str, Header()] = "application/json",
) -> Response:
    """One row per scenario (see service.summary); CSV with `Accept: text/csv`."""
    columns, rows = summary_rows(_items_of(db, tenant, job_id))
    if "text/csv" in accept:
        return PlainTextResponse(to_csv(columns, rows), media_type="text/csv")
    return JSONResponse({"columns": columns, "items": rows})


@router.get(
    "/{job_id}/report",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}, **JSON_ERRORS},
)
def get_report(job_id: str, tenant: TenantDep, db: DatabaseDep) -> HTMLResponse:
    """A self-contained HTML page: the scenarios with a plan so far, compared, then each
    plan with its charts (inline SVG)."""
    return HTMLResponse(job_report(_plans_of(db, tenant, job_id)))


@router.get("/{job_id}/statistics", response_model=JobStatistics, responses=JOB_READ_ERRORS)
def get_statistics(job_id: str, tenant: TenantDep, db: DatabaseDep) -> JSONResponse:
    """Mean, P5, P50, P95 of total cost and of each sector's shortage over the scenarios
    solved so far (a sweep job's unshocked `base` member left out, as `magnets sweep` does)."""
    return JSONResponse(job_statistics(_plans_of(db, tenant, job_id)))


@router.get("/{job_id}/frontier", response_model=FrontierList, responses=JOB_READ_ERRORS)
def get_frontier(job_id: str, tenant: TenantDep, db: DatabaseDep) -> JSONResponse:
    """A frontier job's points (cost against the origin's share) over the caps solved so
    far; 404 for a job that is not a frontier."""
    found = frontier_of(_plans_of(db, tenant, job_id))
    if found is None:
        raise HTTPException(404, "not a frontier job")
    return JSONResponse(found)


@router.delete("/{job_id}", status_code=202, responses=JOB_READ_ERRORS)
def cancel_job(
    job_id: str, tenant: TenantDep, db: DatabaseDep, dispatcher: DispatcherDep
) -> JobAccepted:
    """Cancel: no plan is stored afterwards and a running solve is stopped. A job that
    had already finished keeps its state."""
    if not store.cancel_job(db, tenant, job_id):
        raise HTTPException(404, NOT_FOUND)
    dispatcher.wake()
    state = _job(db, tenant, job_id).state
    log_event(log, "job.cancel_requested", job_id=job_id, tenant=tenant, state=state)
    return JobAccepted(id=job_id, state=state)


def _options(body: JobCreate, settings: Settings) -> dict[str, Any]:
    """The solver options stored with the job: the server's time limit when none is asked."""
    options = solve_options(settings, body.options.time_limit, body.options.mip_gap, "/options")
    return {"time_limit": options.time_limit, "mip_gap": options.mip_gap}


async def _body_sha256(request: Request) -> str:
    """The body's SHA-256 as sent: what an Idempotency-Key is bound to. A retry resends
    the same bytes; hashing them costs a tenth of re-encoding the parsed body."""
    return hashlib.sha256(await request.body()).hexdigest()


BodySha256 = Annotated[str, Depends(_body_sha256)]


def _replay(db: Database, tenant: int, key: str | None, request_sha256: str) -> str | None:
    try:
        return store.replayed_job(db, tenant, key, request_sha256)
    except store.IdempotencyConflict:
        raise HTTPException(409, "Idempotency-Key already used with another body") from None


def _submit(
    db: Database, tenant: int, submission: store.JobSubmission, settings: Settings
) -> tuple[str, bool]:
    try:
        return store.submit_job(db, tenant, submission, settings.max_running_jobs_per_tenant)
    except store.IdempotencyConflict:
        raise HTTPException(409, "Idempotency-Key already used with another body") from None
    except store.TooManyJobs:
        detail = f"at most {settings.max_running_jobs_per_tenant} queued or running jobs"
        headers = {"Retry-After": str(settings.retry_after_s)}
        raise HTTPException(429, detail, headers) from None


def _items(body: JobCreate, tenant: int, db: Database, settings: Settings) -> list[tuple[str, Any]]:
    """(name, document or store.Member) per scenario, or RequestProblems naming every bad
    one. A sweep or a frontier is checked here on its base document and stored as that
    document plus each member's shocks: the solver process makes each member's scenario.
    A hedge is checked whole (size caps summed over its outcomes, then its rules) and is
    one item, the hedge document with `hedge_change(...)`: solved as one hedged plan,
    evaluated on `evaluate` fresh outcomes when asked (drawn when it is solved)."""
    members: list[tuple[str, Any]] = []
    field = "scenarios" if body.scenarios is not None else "scenario_ids"
    limits = size_limits(settings)
    if body.sweep is not None:
        field = "sweep"
        base, changes = sweep_members(body.sweep, limits, settings.max_job_scenarios)
        members = [(name, store.Member(base, change)) for name, change in changes]
    elif body.frontier is not None:
        request = body.frontier
        field = "frontier"
        base, changes = frontier_members(request.scenario, request.origin, request.steps, limits)
        members = [(name, store.Member(base, change)) for name, change in changes]
    elif body.hedge is not None:  # one item: its plan is the hedged plan
        field = "hedge"
        refused = evaluation_problems(body.hedge, limits, body.evaluate, "/evaluate")
        name = _hedge_name(body.hedge, limits, refused)
        change = hedge_change(evaluate=body.evaluate, evaluate_seed=body.evaluate_seed)
        members = [(name, store.Member(body.hedge, change))]
    count = len(body.scenarios or body.scenario_ids or members)
    if count > settings.max_job_scenarios:
        rule = f"at most {settings.max_job_scenarios} scenarios in one job"
        raise RequestProblems([Problem(f"/{field}", count, rule)])
    if body.scenarios is not None:
        return _checked(body.scenarios, settings)
    if body.scenario_ids is not None:
        return _stored(body.scenario_ids, tenant, db)
    return members


def _hedge_name(document: dict[str, Any], limits: SizeLimits, refused: list[Problem]) -> str:
    """The hedged plan's name, or RequestProblems naming every problem: the document's
    under /hedge, then `refused` (the evaluation's, at the body's /evaluate)."""
    try:
        name = check_hedge(document, limits)
    except ScenarioError as exc:
        refused = [Problem(f"/hedge{p.pointer}", p.value, p.rule) for p in exc.problems] + refused
    if refused:
        raise RequestProblems(refused)
    return name


def _checked(documents: list[dict[str, Any]], settings: Settings) -> list[tuple[str, Any]]:
    items, problems = [], []
    for i, document in enumerate(documents):
        try:
            items.append((check(document, size_limits(settings)), document))
        except ScenarioError as exc:
            problems += [
                Problem(f"/scenarios/{i}{p.pointer}", p.value, p.rule) for p in exc.problems
            ]
    if problems:
        raise RequestProblems(problems)
    return items


def _stored(ids: list[str], tenant: int, db: Database) -> list[tuple[str, Any]]:
    # an id holding NUL names no scenario (ids are made by the service), and PostgreSQL's
    # text cannot hold it even in a query
    documents = queries.scenario_documents(db, tenant, [x for x in ids if "\0" not in x])
    missing = [
        Problem(f"/scenario_ids/{i}", x, "no such scenario")
        for i, x in enumerate(ids)
        if x not in documents
    ]
    if missing:
        raise RequestProblems(missing)
    # A scenario named twice is the same document object twice: stored once (store/submission.py).
    return [(documents[x]["name"], documents[x]) for x in ids]


def _job(db: Database, tenant: int, job_id: str) -> queries.JobView:
    job = queries.get_job(db, tenant, job_id)
    if job is None:
        raise HTTPException(404, NOT_FOUND)
    return job


def _items_of(db: Database, tenant: int, job_id: str) -> list[queries.ItemView]:
    items = queries.job_items_of(db, tenant, job_id)
    if items is None:
        raise HTTPException(404, NOT_FOUND)
    return items


def _plans_of(db: Database, tenant: int, job_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(scenario name, plan) of the items solved so far, in submission order."""
    return [(i.scenario, i.plan) for i in _items_of(db, tenant, job_id) if i.plan is not None]
