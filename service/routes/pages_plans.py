"""Plan pages: one job item's plan, its charts (drawn by `magnets report`'s code, in a
solver process) and its downloads. The job's own page is in `pages_jobs.py`, the
comparison of plans in `pages_compare.py`.

    /jobs/{id}/plans/{n}               the plan (or "solving…" until it is stored); a hedge
                                       job's hedged plan (MODEL.md §6) on a page of its own
    /jobs/{id}/plans/{n}/progress      the item's state as JSON, for the page's script
    /jobs/{id}/plans/{n}/plan.json     the plan (MODEL.md §4)
    /jobs/{id}/plans/{n}/report.html   the self-contained HTML report
    /jobs/{id}/plans/{n}/plan.xlsx     the plan workbook (summary with orders, one sheet a table)
"""

from __future__ import annotations

import base64
import json
import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from .. import page_queries, queries
from ..solve_pool import PoolBusy, PoolFull, SolvePool
from ..solving import is_hedged_plan, plan_charts, plan_report, plan_workbook
from ..tables import UNFINISHED_ITEM
from .pages_common import NO_STORE, PageError, SignedIn, Visit, not_found, render
from .pages_levers import shown_name
from .plan_views import amount, hedge_view, plan_view

log = logging.getLogger("magnets.pages")
router = APIRouter(include_in_schema=False)
# the report page carries its own inline styles: it keeps the API's policy, not the pages'
REPORT_PATH = "/jobs/{job_id}/plans/{position}/report.html"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHART_CACHE = 16  # plans whose charts are kept drawn, per server process


def plan_path(job_id: str, position: int) -> str:
    return f"/jobs/{job_id}/plans/{position}"


def _document(request: Request, visit: Visit, item: page_queries.PlanItem) -> dict[str, Any]:
    """The stored scenario a workspace solve came from (its caps, stocks and supplier
    origins label the plan); else the job's own copy of the document (a batch, a job
    made through the API, a scenario since deleted; a sweep member's base)."""
    db = request.app.state.db
    row = queries.get_scenario(db, visit.tenant, item.scenario_id) if item.scenario_id else None
    if row is not None and isinstance(row["document"], dict):
        document: dict[str, Any] = row["document"]
        return document
    return page_queries.item_documents(db, visit.tenant, item.job_id).get(item.position, {})


def _item(request: Request, visit: Visit, job_id: str, position: str) -> page_queries.PlanItem:
    if not position.isdigit() or len(position) > 9:
        raise not_found("plan")
    item = page_queries.plan_item(request.app.state.db, visit.tenant, job_id, int(position))
    if item is None:
        raise not_found("plan")
    return item


@router.get("/jobs/{job_id}/plans/{position}")
async def plan_page(request: Request, visit: SignedIn, job_id: str, position: str) -> Response:
    item = _item(request, visit, job_id, position)
    context: dict[str, Any] = {
        "item": {"job_id": job_id, "position": item.position,
                 "scenario": shown_name(item.scenario),
                 "state": item.state, "error": item.error, "siblings": item.items,
                 "time_limit": amount(item.options.get("time_limit"))},
        "waiting": item.state in UNFINISHED_ITEM,
        "has_plan": item.plan is not None,
        "progress_path": plan_path(job_id, item.position) + "/progress",
    }  # fmt: skip
    hedged = is_hedged_plan(item.plan)
    if item.plan is not None:
        document = await run_in_threadpool(_document, request, visit, item)
        view = hedge_view if hedged else plan_view
        context |= view(item.plan, document)
        context["charts"], context["charts_note"] = await _charts(request, item, document)
    return render(request, "hedge_plan.html" if hedged else "plan.html", visit, **context)


@router.get("/jobs/{job_id}/plans/{position}/progress")
def progress(request: Request, visit: SignedIn, job_id: str, position: str) -> Response:
    item = _item(request, visit, job_id, position)
    done = item.state not in UNFINISHED_ITEM
    return JSONResponse({"state": item.state, "done": done}, headers=NO_STORE)


@router.get("/jobs/{job_id}/plans/{position}/plan.json")
def plan_json(request: Request, visit: SignedIn, job_id: str, position: str) -> Response:
    item = _item(request, visit, job_id, position)
    if item.plan is None:
        raise not_found("plan")
    body = json.dumps(item.plan, indent=1, ensure_ascii=False) + "\n"
    headers = {"Content-Disposition": 'attachment; filename="plan.json"', **NO_STORE}
    return Response(body, media_type="application/json", headers=headers)


@router.get(REPORT_PATH)
async def report(request: Request, visit: SignedIn, job_id: str, position: str) -> Response:
    page = await _drawn(request, visit, job_id, position, plan_report)
    headers = {"Content-Disposition": 'attachment; filename="plan-report.html"', **NO_STORE}
    return Response(page, media_type="text/html; charset=utf-8", headers=headers)


@router.get("/jobs/{job_id}/plans/{position}/plan.xlsx")
async def workbook(request: Request, visit: SignedIn, job_id: str, position: str) -> Response:
    """The plan workbook, written in a solver process (openpyxl stays out of the server)."""
    data = await _drawn(request, visit, job_id, position, plan_workbook)
    headers = {"Content-Disposition": 'attachment; filename="plan.xlsx"', **NO_STORE}
    return Response(data, media_type=XLSX, headers=headers)


async def _drawn(
    request: Request, visit: Visit, job_id: str, position: str, draw: Callable[..., Any]
) -> Any:
    """`draw(plan, document)` of a stored plan, run in a solver process (503 when busy)."""
    item = _item(request, visit, job_id, position)
    if item.plan is None:
        raise not_found("plan")
    pool: SolvePool = request.app.state.solve_pool
    try:
        document = await run_in_threadpool(_document, request, visit, item)
        return await pool.call(draw, item.plan, document or None)
    except (PoolFull, PoolBusy):
        raise PageError(503, "Busy", "The server is busy solving; try again shortly.") from None


async def _charts(
    request: Request, item: page_queries.PlanItem, document: dict[str, Any]
) -> tuple[list[dict[str, str]], str]:
    """The plan's charts, each an SVG image as a data: URL (so that its own styles stay
    inside the image and the page's policy needs no inline style)."""
    cache: OrderedDict[tuple[str, int], list[dict[str, str]]] = _chart_cache(request)
    key = (item.job_id, item.position)
    if key not in cache:
        pool: SolvePool = request.app.state.solve_pool
        try:
            drawn = await pool.call(plan_charts, item.plan, document or None)
        except (PoolFull, PoolBusy):
            return [], "The server is busy solving; reload the page for the charts."
        except Exception:  # noqa: BLE001 — the plan's tables stand without its charts
            log.exception("charts of job %s item %s could not be drawn", *key)
            return [], "The charts of this plan could not be drawn; the tables below stand."
        cache[key] = [
            {"id": c["id"], "title": c["title"], "caption": c["caption"],
             "src": "data:image/svg+xml;base64," + base64.b64encode(c["svg"].encode()).decode()}
            for c in drawn
        ]  # fmt: skip
        while len(cache) > CHART_CACHE:
            cache.popitem(last=False)
    cache.move_to_end(key)
    return cache[key], ""


def _chart_cache(request: Request) -> OrderedDict[tuple[str, int], list[dict[str, str]]]:
    state = request.app.state
    if not hasattr(state, "plan_charts"):
        state.plan_charts = OrderedDict()
    cache: OrderedDict[tuple[str, int], list[dict[str, str]]] = state.plan_charts
    return cache
