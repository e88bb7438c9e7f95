"""Jobs in the workspace: a batch of chosen scenarios, a sweep or a frontier, started
from a form and solved by the job engine the API uses; their live progress, cancelling,
the CSV summary (the API's summary code) and the results (a sweep's distribution, a
frontier's chart, drawn by `magnets report`'s code through `solving`).

    POST /jobs                         solve the scenarios chosen in the library as one job
    /jobs/{id}                         the job: progress, its plans, results, downloads
    /jobs/{id}/progress                solved / total as JSON, for the page's script
    POST /jobs/{id}/cancel
    /jobs/{id}/summary.csv             one row per scenario (service/summary.py)
    /scenarios/{id}/sweep              the sweep and frontier forms; POST …/sweep, …/frontier
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
from collections import OrderedDict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from .. import page_queries, queries, store
from ..errors import RequestProblems
from ..limits import size_limits, solve_options
from ..solve_pool import PoolBusy, PoolFull, SolvePool
from ..solving import (
    FRONTIER_NAME,
    Problem,
    ScenarioError,
    frontier_members,
    job_charts,
    job_statistics,
    read_spec_text,
    sweep_members,
)
from ..summary import summary_rows, to_csv
from ..tables import UNFINISHED_ITEM, UNFINISHED_JOB
from .pages_common import (
    NO_STORE,
    CheckedForm,
    CheckedLongForm,
    PageError,
    SignedIn,
    Visit,
    not_found,
    problem_rows,
    render,
    sessions,
    settings_of,
)
from .pages_levers import origins_of, shipping_countries, shown_name
from .plan_views import amount, percent

log = logging.getLogger("magnets.pages")
router = APIRouter(include_in_schema=False)
CHART_CACHE = 16  # finished jobs whose charts are kept drawn, per server process
SPEC_LENGTH = 20_000  # characters of a sweep spec typed on the page
BUSY = "The server is busy solving; try again in a moment."


def job_path(job_id: str) -> str:
    return f"/jobs/{job_id}"


def _see(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303, headers=NO_STORE)


# --- one job ---------------------------------------------------------------------------------


def job_kind(items: list[queries.ItemView], members: bool) -> str:
    """ "frontier", "sweep" or "scenarios" (a batch, or a job made through the API)."""
    if not members:
        return "scenarios"
    return "frontier" if any(FRONTIER_NAME in i.scenario for i in items) else "sweep"


@router.get("/jobs/{job_id}")
async def job_page(request: Request, visit: SignedIn, job_id: str) -> Response:
    db = request.app.state.db
    job = await run_in_threadpool(queries.get_job, db, visit.tenant, job_id)
    items = await run_in_threadpool(queries.job_items_of, db, visit.tenant, job_id)
    if items is None or job is None:
        raise not_found("job")
    members = await run_in_threadpool(page_queries.has_members, db, visit.tenant, job_id)
    kind = job_kind(items, members)
    waiting = job.state in UNFINISHED_JOB
    rows = [
        {"position": i.position, "scenario": shown_name(i.scenario), "state": i.state,
         "status": (i.plan or {}).get("status") or "", "has_plan": i.plan is not None,
         "objective": amount((i.plan or {}).get("objective"))}
        for i in items
    ]  # fmt: skip
    plans = [(i.scenario, i.plan) for i in items if i.plan is not None]
    context: dict[str, Any] = {
        "job": {"id": job_id, "state": job.state, "kind": kind, "solved": job.solved,
                "failed": job.failed, "total": job.total, "finished": _finished(items),
                "time_limit": amount(job.options.get("time_limit"))},
        "items": rows, "waiting": waiting, "progress_path": f"{job_path(job_id)}/progress",
        "charts": [], "charts_note": "",
    }  # fmt: skip
    if kind == "sweep" and plans:
        context["statistics"] = _statistics_view(job_statistics(plans))
    if kind == "frontier" and plans:
        context["frontier"] = _frontier_rows(plans)
    if kind != "scenarios" and plans and not waiting:
        context["charts"], context["charts_note"] = await _charts(request, job_id, kind, plans)
    return render(request, "job.html", visit, **context)


def _finished(items: list[queries.ItemView]) -> int:
    return sum(1 for i in items if i.state not in UNFINISHED_ITEM)


@router.get("/jobs/{job_id}/progress")
def job_progress(request: Request, visit: SignedIn, job_id: str) -> Response:
    """The job's progress as the API's GET /v1/jobs/{id} counts it (solved of total),
    for the page's script: the browser holds a session, not an API key."""
    job = queries.get_job(request.app.state.db, visit.tenant, job_id)
    if job is None:
        raise not_found("job")
    body = {"state": job.state, "solved": job.solved, "failed": job.failed, "total": job.total,
            "done": job.state not in UNFINISHED_JOB}  # fmt: skip
    return JSONResponse(body, headers=NO_STORE)


@router.post("/jobs/{job_id}/cancel")
def cancel(request: Request, visit: SignedIn, form: CheckedForm, job_id: str) -> Response:
    """As the API's DELETE /v1/jobs/{id}: no plan is stored afterwards and a running
    solve is stopped; a finished job keeps its state and its plans."""
    if not store.cancel_job(request.app.state.db, visit.tenant, job_id):
        raise not_found("job")
    request.app.state.dispatcher.wake()
    sessions(request).notify(visit.session_id, "Cancelled: the plans already solved are kept.")
    return _see(job_path(job_id))


@router.get("/jobs/{job_id}/summary.csv")
def summary_csv(request: Request, visit: SignedIn, job_id: str) -> Response:
    """The API's summary (GET /v1/jobs/{id}/summary with Accept: text/csv)."""
    items = queries.job_items_of(request.app.state.db, visit.tenant, job_id)
    if items is None:
        raise not_found("job")
    columns, rows = summary_rows(items)
    headers = {"Content-Disposition": 'attachment; filename="job-summary.csv"', **NO_STORE}
    return Response(to_csv(columns, rows), media_type="text/csv", headers=headers)


async def _charts(
    request: Request, job_id: str, kind: str, plans: list[tuple[str, dict[str, Any]]]
) -> tuple[list[dict[str, str]], str]:
    """A finished sweep's or frontier's charts as data: URLs, drawn in a solver process."""
    state = request.app.state
    if not hasattr(state, "job_charts"):
        state.job_charts = OrderedDict()
    cache: OrderedDict[str, list[dict[str, str]]] = state.job_charts
    if job_id not in cache:
        pool: SolvePool = state.solve_pool
        try:
            drawn = await pool.call(job_charts, kind, plans)
        except (PoolFull, PoolBusy):
            return [], "The server is busy solving; reload the page for the charts."
        except Exception:  # noqa: BLE001 — the tables stand without the charts
            log.exception("charts of job %s could not be drawn", job_id)
            return [], "The charts of this job could not be drawn; the tables stand."
        cache[job_id] = [data_image(c) for c in drawn]
        while len(cache) > CHART_CACHE:
            cache.popitem(last=False)
    cache.move_to_end(job_id)
    return cache[job_id], ""


def data_image(chart: dict[str, str]) -> dict[str, str]:
    """A chart as the page shows it: its SVG as a data: URL, so that its own styles stay
    inside the image and the page's policy needs no inline style."""
    encoded = base64.b64encode(chart["svg"].encode()).decode()
    return {"id": chart["id"], "title": chart["title"], "caption": chart["caption"],
            "src": "data:image/svg+xml;base64," + encoded}  # fmt: skip


def _statistics_view(stats: dict[str, Any]) -> dict[str, Any]:
    spread = ("mean", "p5", "p50", "p95")
    rows = [{"what": "Total cost", "cells": [amount(stats["total_cost"].get(k)) for k in spread]}]
    rows += [
        {"what": f"Shortage, {sector} (kg)", "cells": [amount(s.get(k)) for k in spread]}
        for sector, s in sorted(stats.get("shortage_kg", {}).items())
    ]
    statuses = ", ".join(f"{n} {status}" for status, n in sorted(stats["statuses"].items()))
    return {"members": stats["members"], "solved": stats["solved"], "statuses": statuses,
            "rows": rows}  # fmt: skip


def _frontier_rows(plans: list[tuple[str, dict[str, Any]]]) -> list[dict[str, str]]:
    rows = []
    for name, plan in plans:
        if FRONTIER_NAME not in name:
            continue
        origin, cap = name.split(FRONTIER_NAME, 1)
        share = max(
            (float(r.get("share") or 0) for r in plan.get("origin_share") or []
             if r.get("origin") == origin), default=0.0,
        )  # fmt: skip
        solved = plan.get("objective") is not None
        rows.append({
            "cap": percent(float(cap)), "status": str(plan.get("status") or ""),
            "objective": amount(plan.get("objective")),
            "share": percent(share) if solved else "",
            "shortage": amount(sum(float(r.get("kg") or 0) for r in plan.get("shortages") or []))
            if solved else "",
        })  # fmt: skip
    return rows


# --- starting jobs ----------------------------------------------------------------------------


@router.post("/jobs")
def start_batch(request: Request, visit: SignedIn, form: CheckedLongForm) -> Response:
    """Solve the scenarios chosen in the library as one job. The form's one-time token
    is the job's Idempotency-Key (`workspace-batch:<token>`): sent twice, one job."""
    ids = list(dict.fromkeys(str(x) for x in form.getlist("scenario")))
    if not ids:
        raise PageError(422, "Nothing chosen", "Tick at least one scenario, then start the job.")
    settings = settings_of(request)
    if len(ids) > settings.max_job_scenarios:
        message = f"At most {settings.max_job_scenarios} scenarios in one job; tick fewer."
        raise PageError(422, "Too many scenarios", message)
    documents = queries.scenario_documents(request.app.state.db, visit.tenant, ids)
    if any(x not in documents for x in ids):
        raise not_found("scenario")
    try:
        options = _options(request, form)
    except RequestProblems as exc:
        message = "; ".join(f"{p.rule} ({p.value})" for p in exc.problems)
        raise PageError(422, "Refused", f"Time limit: {message}.") from None
    items = [(str(documents[x].get("name") or x), documents[x]) for x in ids]
    token = _form_token(form, "batch_token")
    asked = hashlib.sha256(json.dumps(["batch", ids, options]).encode()).hexdigest()
    return _submit(request, visit, items, options, page_queries.BATCH_KEY + token, asked)


@router.get("/scenarios/{scenario_id}/sweep")
def sweep_page(request: Request, visit: SignedIn, scenario_id: str) -> Response:
    return _sweep_page(request, visit, _scenario(request, visit, scenario_id))


@router.post("/scenarios/{scenario_id}/sweep")
async def start_sweep(
    request: Request, visit: SignedIn, form: CheckedForm, scenario_id: str
) -> Response:
    """A sweep over this scenario: the spec as `magnets sweep` reads it (docs/sweeps.md),
    its base this scenario. Checked as the API checks it; every problem is listed."""
    row = await run_in_threadpool(_scenario, request, visit, scenario_id)
    settings = settings_of(request)
    text = str(form.get("spec") or "")
    try:
        options = _options(request, form)
        if len(text) > SPEC_LENGTH:
            rule = f"at most {SPEC_LENGTH:,} characters"
            raise ScenarioError([Problem("/sweep", len(text), rule)])
        pool: SolvePool = request.app.state.solve_pool
        spec = await pool.call(read_spec_text, text)
        if not isinstance(spec, dict):
            raise ScenarioError([Problem("/sweep", None, "must be a mapping of the spec's fields")])
        spec = {**spec, "base": row["document"]}
        base, changes = await run_in_threadpool(
            sweep_members, spec, size_limits(settings), settings.max_job_scenarios
        )
    except (ScenarioError, RequestProblems) as exc:
        return _sweep_page(request, visit, row, 422, problems=problem_rows(exc.problems), spec=text)
    except (PoolFull, PoolBusy):
        raise PageError(503, "Busy", BUSY) from None
    items = [(name, store.Member(base, change)) for name, change in changes]
    asked = hashlib.sha256(json.dumps(["sweep", scenario_id, text, options]).encode()).hexdigest()
    key = page_queries.BATCH_KEY + _form_token(form, "batch_token")
    return await run_in_threadpool(_submit, request, visit, items, options, key, asked)


@router.post("/scenarios/{scenario_id}/frontier")
def start_frontier(
    request: Request, visit: SignedIn, form: CheckedForm, scenario_id: str
) -> Response:
    """The cost of capping one origin's share of supply, from 100 % down to 0 in
    `steps` caps, as the API's frontier job."""
    row = _scenario(request, visit, scenario_id)
    settings = settings_of(request)
    origin = str(form.get("origin") or "")
    try:
        options = _options(request, form)
        steps = _whole(form.get("steps"), "/frontier/steps", 1, 101)
        base, changes = frontier_members(row["document"], origin, steps, size_limits(settings))
    except (ScenarioError, RequestProblems) as exc:
        return _sweep_page(request, visit, row, 422, problems=problem_rows(exc.problems))
    items = [(name, store.Member(base, change)) for name, change in changes]
    asked = hashlib.sha256(
        json.dumps(["frontier", scenario_id, origin, steps, options]).encode()
    ).hexdigest()
    key = page_queries.BATCH_KEY + _form_token(form, "batch_token")
    return _submit(request, visit, items, options, key, asked)


def _sweep_page(
    request: Request, visit: Visit, row: dict[str, Any], status: int = 200, **context: Any
) -> Response:
    document = row["document"]
    settings = settings_of(request)
    context.setdefault("spec", example_spec(document))
    return render(
        request, "sweep.html", visit, status,
        scenario={"id": row["id"], "name": shown_name(row["name"])},
        origins=origins_of(document), batch_token=secrets.token_urlsafe(24),
        time_limit=f"{settings.time_limit:g}", max_time_limit=f"{settings.max_time_limit:g}",
        max_members=settings.max_job_scenarios, **context,
    )  # fmt: skip


def example_spec(document: dict[str, Any]) -> str:
    """A grid to start from, in this scenario's own ids: the main origin's supply halted
    for none, one or two periods, crossed with two tariffs on its shipments."""
    origins, countries = origins_of(document), shipping_countries(document)
    periods = [str(p) for p in document.get("periods") or []]
    if not origins or not periods:
        return "mode: grid\naxes: []\n"
    origin = "CN" if "CN" in origins else origins[0]
    country = origin if origin in countries else (countries[0] if countries else origin)
    tariff = next(
        (float(c.get("tariff") or 0) for c in document.get("countries") or []
         if isinstance(c, dict) and c.get("id") == country), 0.0,
    )  # fmt: skip
    first, two = json.dumps(periods[:1]), json.dumps(periods[:2])
    return (
        f"name: {origin.lower()}-halt-x-tariff\n"
        "mode: grid\n"
        "axes:\n"
        f"  - name: {origin.lower()}_halt\n"
        "    levels:\n"
        "      - {name: none, shocks: []}\n"
        f"      - name: one period\n"
        f"        shocks: [{{kind: capacity, origin: {origin}, factor: 0, periods: {first}}}]\n"
        f"      - name: two periods\n"
        f"        shocks: [{{kind: capacity, origin: {origin}, factor: 0, periods: {two}}}]\n"
        f"  - name: {country.lower()}_tariff\n"
        f"    shock: {{kind: tariff, country: {country}}}\n"
        "    parameter: value\n"
        f"    levels: [{tariff:g}, 0.25]\n"
    )


# --- shared steps ------------------------------------------------------------------------------


def _scenario(request: Request, visit: Visit, scenario_id: str) -> dict[str, Any]:
    row = queries.get_scenario(request.app.state.db, visit.tenant, scenario_id)
    if row is None:
        raise not_found("scenario")
    return row


def _options(request: Request, form: FormData) -> dict[str, Any]:
    """The solver options stored with the job, as the API's; RequestProblems otherwise."""
    settings = settings_of(request)
    raw = str(form.get("time_limit") or settings.time_limit)
    try:
        time_limit = float(raw)
    except ValueError:
        raise RequestProblems(
            [Problem("/time_limit", raw, "must be a number of seconds")]
        ) from None
    options = solve_options(settings, time_limit, 1e-6, "")
    return {"time_limit": options.time_limit, "mip_gap": options.mip_gap}


def _whole(raw: Any, where: str, least: int, most: int) -> int:
    try:
        value = int(str(raw))
    except ValueError:
        value = least - 1
    if not least <= value <= most:
        raise RequestProblems([Problem(where, raw, f"a whole number from {least} to {most}")])
    return value


def _form_token(form: FormData, field: str) -> str:
    token = str(form.get(field) or "")
    if not (16 <= len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum()):
        raise PageError(400, "Refused", "This form is incomplete; reload the page and try again.")
    return token


def _submit(
    request: Request,
    visit: Visit,
    items: list[tuple[str, Any]],
    options: dict[str, Any],
    key: str,
    asked: str,
) -> Response:
    submission = store.JobSubmission(
        items=items, options=options, idempotency_key=key, request_sha256=asked
    )
    return _see(job_path(queue_job(request, visit, submission, "jobs")))


def queue_job(request: Request, visit: Visit, submission: store.JobSubmission, what: str) -> str:
    """Store a job sent from a page and wake the dispatcher; its id. A form sent again
    with other values answers 409; a tenant with too many `what` waiting or running,
    429 with the cap in words."""
    settings = settings_of(request)
    cap = settings.max_running_jobs_per_tenant
    try:
        job_id, _ = store.submit_job(request.app.state.db, visit.tenant, submission, cap)
    except store.IdempotencyConflict:
        raise PageError(409, "Refused", "This form was already sent with other values.") from None
    except store.TooManyJobs:
        message = f"At most {cap} {what} may wait or run at once; try again when one has finished."
        raise PageError(429, "Too many jobs", message) from None
    request.app.state.dispatcher.wake()
    return job_id
