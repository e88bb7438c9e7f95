"""The web workspace: sign-in and the scenario library (plans: `pages_plans.py`).

Pages call the same store, queries and solving functions as the API and see exactly
what the tenant's key sees there; another tenant's scenario answers 404 as a missing
one does. Every page works as plain HTML forms.

    /                      → the library (or the sign-in page)
    /sign-in, /sign-out
    /scenarios             list and search; POST uploads a file
    /scenarios/template.xlsx
    /scenarios/{id}        the scenario and its levers; POST …/solve, …/variant,
                           …/duplicate, …/delete
Compare: `pages_compare.py`; jobs, batches, sweeps and frontiers: `pages_jobs.py`.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from .. import page_queries, queries, store
from ..errors import RequestProblems
from ..keys import key_hash
from ..limits import MAX_NESTING, size_limits, solve_options, too_deep
from ..solve_pool import PoolBusy, PoolFull, SolvePool
from ..solving import (
    Problem,
    ScenarioError,
    check,
    read_upload,
    template_workbook,
    variant_document,
)
from ..web.sessions import FORM_TOKEN, PageSession, new_form_token
from . import pages_compare, pages_jobs, pages_plans
from .pages_common import (
    NO_STORE,
    STATIC_PATH,
    CheckedForm,
    CheckedLongForm,
    PageError,
    SignedIn,
    Visit,
    clear_cookie,
    cookie_of,
    not_found,
    notify,
    problem_rows,
    read_form,
    render,
    sessions,
    set_cookie,
    settings_of,
)
from .pages_levers import (
    LeverProblems,
    changes_from_form,
    lever_form,
    lineage_of,
    lineage_view,
    variant_name,
)

router = APIRouter(include_in_schema=False)
# the plan pages' routes join this router's own list, so that the app (and its 405s and
# page policy, read from `router.routes`) sees one flat router of pages
for pages in (pages_plans, pages_jobs, pages_compare):
    router.routes.extend(pages.router.routes)
PAGE_SIZE = 50
LIBRARY = "/scenarios"
SAFE_NEXT = re.compile(r"^/(?![/\\])[A-Za-z0-9\-._~/?=&%]*$")
SOLVE_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
WORKBOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BUSY = "The server is busy solving; try again in a moment."


def page_paths() -> list[re.Pattern[str]]:
    """The paths served with the pages' policy: every page and /static; not the HTML
    report download, which keeps the API's (its styles are inline)."""
    return [
        route.path_regex
        for route in router.routes
        if isinstance(route, APIRoute) and route.path != pages_plans.REPORT_PATH
    ] + [re.compile(f"^{STATIC_PATH}/")]


def _see(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303, headers=NO_STORE)


# --- sign-in ----------------------------------------------------------------------------


@router.get("/")
def home() -> RedirectResponse:
    return _see(LIBRARY)


@router.get("/sign-in")
async def sign_in_page(request: Request, next: str = LIBRARY) -> Response:
    """The sign-in form, with a form token of its own (so no other site can sign a
    browser in). Without keys (`--no-auth`) the browser goes straight in."""
    target = next if SAFE_NEXT.match(next) else LIBRARY
    store_ = sessions(request)
    cookie = cookie_of(request)
    current = await run_in_threadpool(store_.get, cookie)
    if current is not None and current.tenant is not None:
        return _see(target)
    settings = settings_of(request)
    if not settings.auth:
        local = request.app.state.local_tenant
        if local is None:
            raise PageError(503, "Starting", "The database is not ready yet; reload shortly.")
        local_session = PageSession(tenant=int(local), tenant_name="local")
        session_id = await run_in_threadpool(store_.new, local_session)
        response: Response = _see(target)
    else:
        session_id = _form_token(cookie)
        response = render(request, "sign_in.html", None, csrf=session_id, next=target)
    set_cookie(request, response, session_id)
    return response


def _form_token(cookie: str | None) -> str:
    """The sign-in form's token, which is also the cookie until sign-in (the form is
    refused unless the two agree). Nothing is stored before sign-in, so asking for this
    page writes nothing, however often it is asked for."""
    if cookie is not None and FORM_TOKEN.fullmatch(cookie):
        return cookie
    return new_form_token()


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    """Check the key; on success a new session under a new id (the form's token is no
    session, so an id planted before sign-in is worth nothing after)."""
    cookie = cookie_of(request)
    anonymous = PageSession(csrf=cookie) if cookie and FORM_TOKEN.fullmatch(cookie) else None
    form = await read_form(request, anonymous)
    raw_next = str(form.get("next") or LIBRARY)
    target = raw_next if SAFE_NEXT.match(raw_next) else LIBRARY
    key = str(form.get("api_key") or "").strip()
    db = request.app.state.db
    tenant = await run_in_threadpool(queries.tenant_for_key, db, key) if key else None
    if tenant is None:
        assert anonymous is not None
        message = "That key is not valid. Ask your administrator for a key (magnets keys create)."
        return render(
            request, "sign_in.html", None, 401, csrf=anonymous.csrf, next=target, error=message
        )
    name = await run_in_threadpool(page_queries.tenant_name, db, tenant) or ""
    session = PageSession(tenant=tenant, tenant_name=name, key_sha256=key_hash(key))
    response = _see(target)
    set_cookie(request, response, await run_in_threadpool(sessions(request).new, session))
    return response


@router.post("/sign-out")
async def sign_out(request: Request, visit: SignedIn, form: CheckedForm) -> Response:
    await run_in_threadpool(sessions(request).drop, visit.session_id)
    response = _see("/sign-in")
    clear_cookie(response)
    return response


# --- the library ------------------------------------------------------------------------


@router.get(LIBRARY)
def library(
    request: Request,
    visit: SignedIn,
    q: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    return _library(request, visit, q, page)


def _library(
    request: Request,
    visit: Visit,
    search: str = "",
    page: int = 1,
    status: int = 200,
    **context: Any,
) -> Response:
    db = request.app.state.db
    rows, total = queries.list_scenarios(
        db, visit.tenant, PAGE_SIZE, (page - 1) * PAGE_SIZE, search, documents=True
    )
    solves = page_queries.solves_of(db, visit.tenant, [r["id"] for r in rows])
    listed = [_listed(row, solves.get(row["id"], [])) for row in rows]
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    settings = settings_of(request)
    return render(
        request, "library.html", visit, status, scenarios=listed, total=total, search=search,
        page=page, previous_page=page - 1 if page > 1 else None,
        next_page=page + 1 if page < pages else None, batch_token=secrets.token_urlsafe(24),
        time_limit=f"{settings.time_limit:g}", max_time_limit=f"{settings.max_time_limit:g}",
        **context,
    )  # fmt: skip


def _listed(row: dict[str, Any], solves: list[page_queries.SolveView]) -> dict[str, Any]:
    document = row["document"] if isinstance(row["document"], dict) else {}
    last = solves[0] if solves else None
    return {
        "id": row["id"],
        "name": lineage_of(row["name"]).label,
        "variant": lineage_of(row["name"]).parent is not None,
        "created_at": _when(row["created_at"]),
        "periods": _count(document, "periods"),
        "suppliers": _count(document, "suppliers"),
        "last_cost": _money(last.objective, document.get("currency")) if last else "",
        "last_status": _solve_status(last) if last else "not solved yet",
        "last_job": last.job_id if last else None,
    }


@router.post(LIBRARY)
async def upload(request: Request, visit: SignedIn, form: CheckedForm) -> Response:
    """Store an uploaded JSON, YAML or workbook scenario; show every problem otherwise
    (and store nothing)."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        problems = [Problem("", None, "choose a scenario file (JSON, YAML or .xlsx) to upload")]
        return _refused_upload(request, visit, problems, "")
    filename = upload.filename[:200]
    data = await upload.read()
    settings = settings_of(request)
    pool: SolvePool = request.app.state.solve_pool
    try:
        name, document = await pool.call(read_upload, filename, data, size_limits(settings))
        deep = too_deep(document, MAX_NESTING)
        if deep is not None:
            raise ScenarioError([Problem(deep, None, f"nested deeper than {MAX_NESTING} levels")])
    except ScenarioError as exc:
        return _refused_upload(request, visit, exc.problems, filename)
    except (PoolFull, PoolBusy):
        raise PageError(503, "Busy", BUSY) from None
    db = request.app.state.db
    row = await run_in_threadpool(store.add_scenario, db, visit.tenant, name, document)
    await notify(request, visit, f"Uploaded {filename} as “{name}”.")
    return _see(f"{LIBRARY}/{row['id']}")


def _refused_upload(
    request: Request, visit: Visit, problems: list[Problem], filename: str
) -> Response:
    return _library(request, visit, status=422, problems=problem_rows(problems), uploaded=filename)


@router.get(f"{LIBRARY}/template.xlsx")
async def template(request: Request, visit: SignedIn) -> Response:
    """The scenario workbook template (example rows and a README sheet)."""
    pool: SolvePool = request.app.state.solve_pool
    try:
        data = await pool.call(template_workbook)
    except (PoolFull, PoolBusy):
        raise PageError(503, "Busy", BUSY) from None
    disposition = 'attachment; filename="magnets-scenario-template.xlsx"'
    headers = {"Content-Disposition": disposition, **NO_STORE}
    return Response(data, media_type=WORKBOOK_TYPE, headers=headers)


# --- one scenario -----------------------------------------------------------------------


def _scenario(request: Request, visit: Visit, scenario_id: str) -> dict[str, Any]:
    row = queries.get_scenario(request.app.state.db, visit.tenant, scenario_id)
    if row is None:
        raise not_found("scenario")
    return row


@router.get(LIBRARY + "/{scenario_id}")
def scenario_page(request: Request, visit: SignedIn, scenario_id: str) -> Response:
    return _scenario_page(request, visit, _scenario(request, visit, scenario_id))


def _scenario_page(
    request: Request, visit: Visit, row: dict[str, Any], status: int = 200, **context: Any
) -> Response:
    document = row["document"]
    db = request.app.state.db
    solves = page_queries.solves_of(db, visit.tenant, [row["id"]], 10)
    currency = document.get("currency")
    settings = settings_of(request)
    entered = context.pop("entered", None)
    contents = [
        (label, _count(document, key))
        for label, key in (
            ("Periods", "periods"), ("Products", "products"), ("Sectors", "sectors"),
            ("Countries", "countries"), ("Suppliers", "suppliers"), ("Licences", "licences"),
            ("Plants", "plants"), ("Demand rows", "demand"),
        )
    ]  # fmt: skip
    return render(
        request, "scenario.html", visit, status,
        scenario={"id": row["id"], "name": lineage_of(row["name"]).label,
                  "created_at": _when(row["created_at"]),
                  "currency": currency or "", "periods": ", ".join(map(str, document.get("periods") or []))},
        contents=contents,
        solves=[{"job_id": s.job_id, "when": _when(s.created_at), "status": _solve_status(s),
                 "cost": _money(s.objective, currency)} for s in solves.get(row["id"], [])],
        time_limit=f"{settings.time_limit:g}", max_time_limit=f"{settings.max_time_limit:g}",
        solve_token=secrets.token_urlsafe(24),
        lineage=lineage_view(db, visit.tenant, row["name"], str(currency or "")),
        levers=lever_form(document, entered), **context,
    )  # fmt: skip


@router.get(LIBRARY + "/{scenario_id}/scenario.json")
def download_scenario(request: Request, visit: SignedIn, scenario_id: str) -> Response:
    row = _scenario(request, visit, scenario_id)
    body = json.dumps(row["document"], indent=1, ensure_ascii=False) + "\n"
    headers = {"Content-Disposition": 'attachment; filename="scenario.json"', **NO_STORE}
    return Response(body, media_type="application/json", headers=headers)


@router.post(LIBRARY + "/{scenario_id}/duplicate")
def duplicate(request: Request, visit: SignedIn, form: CheckedForm, scenario_id: str) -> Response:
    row = _scenario(request, visit, scenario_id)
    own = lineage_of(row["name"])
    copy_name = f"{own.label} (copy)"
    if own.parent is not None:  # a variant's copy is a variant of the same parent
        whole = variant_name(copy_name, own.parent, own.changes)
        copy_name = variant_name(copy_name[: len(copy_name) - max(0, len(whole) - 200)],
                                 own.parent, own.changes)  # fmt: skip
    document = dict(row["document"], name=copy_name[:200])
    settings = settings_of(request)
    try:
        name = check(document, size_limits(settings))
    except ScenarioError as exc:  # the rules changed since it was stored
        return _scenario_page(request, visit, row, 422, problems=problem_rows(exc.problems))
    copy = store.add_scenario(request.app.state.db, visit.tenant, name, document)
    sessions(request).notify(visit.session_id, f"Duplicated as “{lineage_of(name).label}”.")
    return _see(f"{LIBRARY}/{copy['id']}")


@router.post(LIBRARY + "/{scenario_id}/delete")
def delete(request: Request, visit: SignedIn, form: CheckedForm, scenario_id: str) -> Response:
    """Plans already solved keep their own copy of the scenario, as jobs do."""
    row = _scenario(request, visit, scenario_id)
    if not store.delete_scenario(request.app.state.db, visit.tenant, scenario_id):
        raise not_found("scenario")
    sessions(request).notify(visit.session_id, f"Deleted “{lineage_of(row['name']).label}”.")
    return _see(LIBRARY)


@router.post(LIBRARY + "/{scenario_id}/variant")
def make_variant(
    request: Request, visit: SignedIn, form: CheckedLongForm, scenario_id: str
) -> Response:
    """Save the levers' numbers as a new scenario, a variant of this one: the changes
    become what-if shocks applied through `solving`; its name records its parent and its
    changes (pages_levers.py). This scenario stays as it is."""
    row = _scenario(request, visit, scenario_id)
    try:
        change, _ = changes_from_form(row["document"], row["id"], form)
        document = variant_document(row["document"], change)
        name = check(document, size_limits(settings_of(request)))
    except (LeverProblems, ScenarioError) as exc:
        return _scenario_page(
            request, visit, row, 422, problems=problem_rows(exc.problems), entered=form
        )
    variant = store.add_scenario(request.app.state.db, visit.tenant, name, document)
    sessions(request).notify(visit.session_id, f"Saved the variant “{lineage_of(name).label}”.")
    return _see(f"{LIBRARY}/{variant['id']}")


@router.post(LIBRARY + "/{scenario_id}/solve")
def solve(request: Request, visit: SignedIn, form: CheckedForm, scenario_id: str) -> Response:
    """Queue the scenario as a one-item job (the job engine the API uses) and go to its
    plan page. The form's one-time token is the job's Idempotency-Key, so a form sent
    twice makes one job."""
    row = _scenario(request, visit, scenario_id)
    settings = settings_of(request)
    token = str(form.get("solve_token") or "")
    if not SOLVE_TOKEN.match(token):
        raise PageError(400, "Refused", "This form is incomplete; reload the page and try again.")
    try:
        time_limit = float(str(form.get("time_limit") or settings.time_limit))
        options = solve_options(settings, time_limit, 1e-6, "/time_limit")
    except ValueError:
        problem = Problem("/time_limit", form.get("time_limit"), "must be a number of seconds")
        return _scenario_page(request, visit, row, 422, problems=problem_rows([problem]))
    except RequestProblems as exc:
        return _scenario_page(request, visit, row, 422, problems=problem_rows(exc.problems))
    # explain: the plan page shows the marginal values, or an infeasible plan's diagnosis
    stored = {"time_limit": options.time_limit, "mip_gap": options.mip_gap, "explain": True}
    asked = hashlib.sha256(json.dumps([scenario_id, stored]).encode()).hexdigest()
    submission = store.JobSubmission(
        items=[(row["name"], row["document"])], options=stored,
        idempotency_key=page_queries.solve_key(scenario_id, token), request_sha256=asked,
    )  # fmt: skip
    try:
        job_id = pages_jobs.queue_job(request, visit, submission, "solves")
    except PageError as exc:
        if exc.status != 429:
            raise
        return _scenario_page(request, visit, row, 429, refusal=exc.message)
    return _see(pages_plans.plan_path(job_id, 0))


# --- small words ------------------------------------------------------------------------


def _count(document: dict[str, Any], key: str) -> int:
    value = document.get(key)
    return len(value) if isinstance(value, list) else 0


def _when(moment: Any) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else ""


def _money(amount: float | None, currency: Any) -> str:
    if amount is None:
        return ""
    return f"{amount:,.0f} {currency or ''}".strip()


def _solve_status(solve: page_queries.SolveView) -> str:
    return solve.status or solve.state
