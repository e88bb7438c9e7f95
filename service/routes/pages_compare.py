"""Compare: two or more plans side by side, the page a team takes to a meeting. Totals and
the difference from the first plan, the cost terms, shortage kg by sector, one origin's
share of supply by period (China's by default) and the deliveries that differ most,
largest difference first; the cost terms drawn as `magnets report` draws a job.

    /compare?plan=<job id>:<n>&plan=…   the chosen plans, in that order (the first is the
                                        reference); &job=<id> adds every plan of a job
    POST /compare                       from the library: the last plan of each chosen
                                        scenario
"""

from __future__ import annotations

import re
from collections import OrderedDict, defaultdict
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from .. import page_queries
from ..solve_pool import PoolBusy, PoolFull, SolvePool
from ..solving import TERM_LABELS, TERMS, is_hedged_plan, job_charts, signed_term
from ..tables import ItemState
from .pages_common import NO_STORE, CheckedLongForm, PageError, SignedIn, Visit, not_found, render
from .pages_jobs import data_image
from .pages_levers import shown_name
from .pages_plans import plan_path

router = APIRouter(include_in_schema=False)
MAX_PLANS = 12
TOP_DELIVERIES = 15
CHART_CACHE = 16
REF = re.compile(r"^([0-9a-fA-F-]{1,36}):(\d{1,6})$")
DEFAULT_ORIGIN = "CN"


@router.get("/compare")
async def compare(
    request: Request,
    visit: SignedIn,
    plan: Annotated[list[str] | None, Query()] = None,
    job: Annotated[str, Query(max_length=64)] = "",
    origin: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    db = request.app.state.db
    refs = [_ref(r) for r in (plan or [])[: MAX_PLANS * 8]]
    if job:
        items = await run_in_threadpool(page_queries.job_positions, db, visit.tenant, job)
        if items is None:
            raise not_found("job")
        refs += [(job, n) for n in items]
    refs = list(dict.fromkeys(refs))
    if len(refs) < 2:
        message = "Pick two or more plans: tick them on a job's page, or scenarios in the library."
        raise PageError(422, "Nothing to compare", message)
    shown_note = ""
    if len(refs) > MAX_PLANS:
        shown_note = f"The first {MAX_PLANS} of {len(refs)} plans are shown."
        refs = refs[:MAX_PLANS]
    chosen = await run_in_threadpool(_items, request, visit, refs)
    view = comparison(chosen, origin)
    plans = [(c["name"], compared(c["item"].plan)) for c in chosen if c["item"].plan is not None]
    charts, charts_note = await _charts(request, tuple(refs), plans)
    return render(
        request, "compare.html", visit, shown_note=shown_note, charts=charts,
        charts_note=charts_note, refs=[f"{j}:{n}" for j, n in refs], **view,
    )  # fmt: skip


@router.post("/compare")
def compare_chosen(request: Request, visit: SignedIn, form: CheckedLongForm) -> Response:
    """The last solved plan of each scenario chosen in the library."""
    ids = list(dict.fromkeys(str(x) for x in form.getlist("scenario")))[: MAX_PLANS + 1]
    solves = page_queries.solves_of(request.app.state.db, visit.tenant, ids, 20)
    refs, missing = [], []
    for sid in ids:
        solved = [s for s in solves.get(sid, []) if s.state == ItemState.SOLVED]
        if solved:
            refs.append(f"{solved[0].job_id}:0")
        else:
            missing.append(sid)
    if missing:
        message = (
            f"{len(missing)} of the chosen scenarios have no plan yet: solve them first, "
            "or start a job of the chosen scenarios and compare its plans."
        )
        raise PageError(422, "Not solved yet", message)
    return RedirectResponse(
        "/compare?" + urlencode([("plan", r) for r in refs]), status_code=303, headers=NO_STORE
    )


def _ref(text: str) -> tuple[str, int]:
    found = REF.match(text)
    if found is None:
        raise not_found("plan")
    return found[1], int(found[2])


def _items(request: Request, visit: Visit, refs: list[tuple[str, int]]) -> list[dict[str, Any]]:
    db = request.app.state.db
    documents: dict[str, dict[int, dict[str, Any]]] = {}
    chosen = []
    for job_id, position in refs:
        item = page_queries.plan_item(db, visit.tenant, job_id, position)
        if item is None:
            raise not_found("plan")
        if job_id not in documents:
            documents[job_id] = page_queries.item_documents(db, visit.tenant, job_id)
        chosen.append({
            "item": item, "name": shown_name(item.scenario),
            "document": documents[job_id].get(position, {}), "path": plan_path(job_id, position),
        })  # fmt: skip
    return chosen


async def _charts(
    request: Request, key: tuple[Any, ...], plans: list[tuple[str, dict[str, Any]]]
) -> tuple[list[dict[str, str]], str]:
    state = request.app.state
    if not hasattr(state, "compare_charts"):
        state.compare_charts = OrderedDict()
    cache: OrderedDict[tuple[Any, ...], list[dict[str, str]]] = state.compare_charts
    if key not in cache:
        pool: SolvePool = state.solve_pool
        try:
            drawn = await pool.call(job_charts, "compare", plans)
        except (PoolFull, PoolBusy):
            return [], "The server is busy solving; reload the page for the chart."
        except Exception:  # noqa: BLE001 — the tables stand without the chart
            return [], "The chart could not be drawn; the tables stand."
        cache[key] = [data_image(c) for c in drawn]
        while len(cache) > CHART_CACHE:
            cache.popitem(last=False)
    cache.move_to_end(key)
    return cache[key], ""


# --- the comparison as tables ---------------------------------------------------------------


def compared(plan: dict[str, Any] | None) -> dict[str, Any]:
    """What a plan brings to a comparison. A hedged plan (MODEL.md §6) has no tables of
    its own, its outcomes have: it stands in as its expected plan, its total the expected
    cost, its cost terms and its shortage (`expected_shortage_kg`, no sector) weighted by
    the outcomes' probabilities; its deliveries and shares, which differ by outcome, are
    left out."""
    plan = plan or {}
    if not is_hedged_plan(plan) or plan.get("objective") is None:
        return plan
    outcomes = plan.get("outcomes") or []
    terms: dict[str, float] = defaultdict(float)
    for o in outcomes:
        for term, amount in (o.get("terms") or {}).items():
            terms[term] += float(o.get("probability") or 0.0) * float(amount or 0.0)
    shortage = sum(float(o.get("probability") or 0) * float(o.get("shortage_kg") or 0)
                   for o in outcomes)  # fmt: skip
    return {
        "status": plan.get("status"), "currency": plan.get("currency"), "hedged": True,
        "objective": plan.get("expected_cost"), "terms": dict(terms),
        "expected_shortage_kg": shortage, "outcomes": len(outcomes),
    }  # fmt: skip


def comparison(chosen: list[dict[str, Any]], origin: str = "") -> dict[str, Any]:
    """Every table of the page, worded; the first plan is the reference. A hedged plan
    is compared as its expected plan (`compared`)."""
    plans = [compared(c["item"].plan) for c in chosen]
    solved = [p.get("objective") is not None for p in plans]
    detailed = [ok and not p.get("hedged") for p, ok in zip(plans, solved, strict=True)]
    first = plans[0].get("objective")
    currency = next((str(p.get("currency")) for p in plans if p.get("currency")), "")
    columns = [
        {"name": c["name"], "path": c["path"],
         "status": (c["item"].plan or {}).get("status") or c["item"].state,
         "hedged": p.get("outcomes") if p.get("hedged") else None}
        for c, p in zip(chosen, plans, strict=True)
    ]  # fmt: skip
    totals = [_amount(p.get("objective")) for p in plans]
    deltas = [
        "" if i == 0 or first is None or p.get("objective") is None
        else _signed(float(p["objective"]) - float(first))
        for i, p in enumerate(plans)
    ]  # fmt: skip
    terms = sorted({t for p in plans for t in p.get("terms") or {}}, key=_term_order)
    term_rows = [
        {"label": TERM_LABELS.get(t, t),
         "cells": [_amount(signed_term(t, p["terms"][t])) if t in (p.get("terms") or {}) else ""
                   for p in plans]}
        for t in terms
    ]  # fmt: skip
    shortage = [_sums(p.get("shortages"), lambda r: r.get("sector")) for p in plans]
    sectors = _ordered([s.get("id") for c in chosen for s in c["document"].get("sectors") or []]
                       + [k for row in shortage for k in row])  # fmt: skip
    shortage_rows = [
        {"sector": s, "cells": [_kg(row.get(s, 0.0)) if ok else "" for row, ok in zip(shortage, detailed, strict=True)]}
        for s in sectors if any(row.get(s) for row in shortage)
    ]  # fmt: skip
    shortage_total = [
        _kg(p["expected_shortage_kg"]) if p.get("hedged") else _kg(sum(row.values())) if ok else ""
        for p, row, ok in zip(plans, shortage, solved, strict=True)
    ]  # fmt: skip
    origins = _ordered([r.get("origin") for p in plans for r in p.get("origin_share") or []])
    picked = origin if origin in origins else (DEFAULT_ORIGIN if DEFAULT_ORIGIN in origins else (origins[0] if origins else ""))  # fmt: skip
    shares = [
        {r.get("period"): float(r.get("share") or 0) for r in p.get("origin_share") or []
         if r.get("origin") == picked}
        for p in plans
    ]  # fmt: skip
    periods = _ordered([str(x) for c in chosen for x in c["document"].get("periods") or []]
                       + [str(r.get("period")) for p in plans for r in p.get("origin_share") or []])  # fmt: skip
    share_rows = [
        {"period": t, "cells": [_percent(row.get(t, 0.0)) if ok else "" for row, ok in zip(shares, detailed, strict=True)]}
        for t in periods if any(t in row for row in shares)
    ]  # fmt: skip
    return {
        "columns": columns, "currency": currency, "totals": totals, "deltas": deltas,
        "terms": term_rows, "shortages": shortage_rows, "shortage_total": shortage_total,
        "origin": picked, "origins": origins, "shares": share_rows,
        "deliveries": _delivery_rows(chosen, plans, detailed),
        "any_shortage": bool(shortage_rows) or any(p.get("expected_shortage_kg") for p in plans),
    }  # fmt: skip


def _delivery_rows(
    chosen: list[dict[str, Any]], plans: list[dict[str, Any]], solved: list[bool]
) -> list[dict[str, Any]]:
    """kg over the horizon by supplier and product, the rows whose plans differ most
    first (largest less smallest)."""
    origin_of: dict[Any, Any] = {}
    for c in chosen:
        for s in c["document"].get("suppliers") or []:
            if isinstance(s, dict):
                origin_of.setdefault(s.get("id"), s.get("origin") or s.get("country"))
    kg = [
        _sums(p.get("deliveries"), lambda r: (r.get("supplier"), r.get("product"))) for p in plans
    ]
    keys = _ordered([k for row in kg for k in row])
    rows = []
    for key in keys:
        values = [row.get(key, 0.0) for row, ok in zip(kg, solved, strict=True) if ok]
        spread = max(values) - min(values) if values else 0.0
        rows.append((spread, key))
    rows.sort(key=lambda r: -r[0])
    return [
        {"supplier": key[0], "origin": origin_of.get(key[0]) or "", "product": key[1],
         "cells": [_kg(row.get(key, 0.0)) if ok else "" for row, ok in zip(kg, solved, strict=True)],
         "spread": _kg(spread)}
        for spread, key in rows[:TOP_DELIVERIES] if spread > 0.5
    ]  # fmt: skip


def _sums(rows: Any, key: Any) -> dict[Any, float]:
    out: dict[Any, float] = defaultdict(float)
    for r in rows or []:
        out[key(r)] += float(r.get("kg") or 0.0)
    return out


def _ordered(values: list[Any]) -> list[Any]:
    return [v for v in dict.fromkeys(values) if v is not None]


def _term_order(term: str) -> tuple[int, str]:
    return (TERMS.index(term) if term in TERMS else len(TERMS), term)


def _amount(value: Any) -> str:
    if not isinstance(value, int | float):
        return ""
    return f"{value:,.0f}"


def _signed(value: float) -> str:
    return "±0" if abs(value) < 0.5 else f"{value:+,.0f}"


def _kg(value: float) -> str:
    return f"{value:,.0f}"


def _percent(value: float) -> str:
    return f"{100 * value:.1f} %"
