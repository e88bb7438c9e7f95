"""What every workspace page shares: the templates, the sign-in session read from its
cookie, the form token check, and the page answers for refusals.

Pages are plain HTML forms (they work with JavaScript off); a little script served
from /static adds live progress. A signed-out request is sent to the sign-in page; a
form that changes something must carry the session's form token (`csrf_token`).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from sqlalchemy.exc import SQLAlchemyError
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from .. import queries
from ..settings import Settings
from ..web.sessions import KEY_CHECK_S, PageSession, PageSessions

WEB = Path(__file__).resolve().parent.parent / "web"
STATIC_PATH = "/static"
COOKIE = "magnets_session"
# Over https the cookie takes the __Host- prefix: the browser then insists on Secure,
# path / and no Domain, so no other host can plant or read it.
SECURE_COOKIE = "__Host-magnets_session"
MAX_FORM_FIELDS = 20
# a scenario's levers (one field per sector, licence, country and period) and a job's
# chosen scenarios: bounded as Starlette bounds any form
MAX_LONG_FORM_FIELDS = 1000
NO_STORE = {"Cache-Control": "no-store"}  # a tenant's pages are never kept by a cache

templates = Jinja2Templates(
    env=Environment(loader=FileSystemLoader(WEB / "templates"), autoescape=True)
)


class PageError(Exception):
    """A page's refusal: rendered as a page with `status`, or a redirect to `location`."""

    def __init__(self, status: int, title: str, message: str = "", location: str | None = None):
        super().__init__(title)
        self.status, self.title, self.message, self.location = status, title, message, location


def install(app: FastAPI) -> None:
    """The static files and the refusal pages."""
    app.mount(STATIC_PATH, StaticFiles(directory=WEB / "static"), name="static")
    app.add_exception_handler(PageError, _on_page_error)


async def _on_page_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageError)
    if exc.location is not None:
        return RedirectResponse(exc.location, status_code=303, headers=NO_STORE)
    try:
        visit = await _visit_or_none(request)
    except SQLAlchemyError:  # the refusal is shown all the same, without the session
        visit = None
    return render(request, "error.html", visit, exc.status, title=exc.title, message=exc.message)


@dataclass
class Visit:
    """The signed-in session of a request."""

    session_id: str
    session: PageSession

    @property
    def tenant(self) -> int:
        assert self.session.tenant is not None
        return self.session.tenant


def sessions(request: Request) -> PageSessions:
    """The sessions, in the service's database; call them off the event loop."""
    if not getattr(request.app.state, "storage_ready", False):
        raise PageError(503, "Starting", "The database is not ready yet; reload shortly.")
    return PageSessions(request.app.state.db)


async def notify(request: Request, visit: Visit, notice: str) -> None:
    """One line for the next page the planner sees (after the redirect)."""
    await run_in_threadpool(sessions(request).notify, visit.session_id, notice)


def cookie_of(request: Request) -> str | None:
    return request.cookies.get(SECURE_COOKIE) or request.cookies.get(COOKIE)


def set_cookie(request: Request, response: Response, session_id: str) -> None:
    """HttpOnly (no script reads it), SameSite=Lax (no other site's form or script sends
    it; a link followed from another site does), Secure with the __Host- prefix when
    the request came over https; no expiry, so it ends with the browser."""
    secure = request.url.scheme == "https"
    name = SECURE_COOKIE if secure else COOKIE
    response.set_cookie(name, session_id, httponly=True, samesite="lax", secure=secure, path="/")


def clear_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    response.delete_cookie(SECURE_COOKIE, path="/", httponly=True, samesite="lax", secure=True)


async def _visit_or_none(request: Request) -> Visit | None:
    """The request's signed-in session."""
    session_id = cookie_of(request)
    if session_id is None:
        return None
    session = await run_in_threadpool(sessions(request).get, session_id)
    if session is None or session.tenant is None:
        return None
    return Visit(session_id, session)


def sign_in_location(request: Request) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/sign-in?next=" + quote(here, safe="/")


async def _signed_in(request: Request) -> Visit:
    """The request's signed-in session, or a redirect to the sign-in page. A session
    whose key has been revoked ends within KEY_CHECK_S."""
    visit = await _visit_or_none(request)
    if visit is None:
        raise PageError(303, "Sign in", location=sign_in_location(request))
    session = visit.session
    if session.key_sha256 is not None and time.time() - session.key_checked > KEY_CHECK_S:
        db = request.app.state.db
        tenant = await run_in_threadpool(queries.tenant_for_key_hash, db, session.key_sha256)
        if tenant != session.tenant:
            await run_in_threadpool(sessions(request).drop, visit.session_id)
            raise PageError(303, "Sign in", location=sign_in_location(request))
        await run_in_threadpool(sessions(request).key_checked, visit.session_id, session)
    return visit


SignedIn = Annotated[Visit, Depends(_signed_in)]


async def read_form(
    request: Request, session: PageSession | None, max_fields: int = MAX_FORM_FIELDS
) -> FormData:
    """The posted form, refused (403) without this session's form token or when the
    browser says it was sent from another site."""
    origin = request.headers.get("origin")
    if origin not in (None, "null") and origin != _own_origin(request):
        raise PageError(403, "Refused", "This form was sent from another site.")
    try:
        form = await request.form(max_files=1, max_fields=max_fields)
    except Exception:  # noqa: BLE001 — a malformed body is as good as no token
        form = FormData()
    token = form.get("csrf_token")
    if session is None or not isinstance(token, str) or not session.csrf_ok(token):
        raise PageError(
            403,
            "Refused",
            "This form has expired or did not come from this workspace. "
            "Go back, reload the page and send it again.",
        )
    return form


def _own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', '')}"


async def _checked_form(request: Request, visit: SignedIn) -> FormData:
    return await read_form(request, visit.session)


CheckedForm = Annotated[FormData, Depends(_checked_form)]


async def _checked_long_form(request: Request, visit: SignedIn) -> FormData:
    return await read_form(request, visit.session, MAX_LONG_FORM_FIELDS)


CheckedLongForm = Annotated[FormData, Depends(_checked_long_form)]


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def render(
    request: Request, template: str, visit: Visit | None, status: int = 200, **context: Any
) -> HTMLResponse:
    """A page; every page gets the tenant's name, the form token and a pending notice."""
    session = visit.session if visit else None
    notice = session.take_notice() if session else None
    context |= {
        "tenant_name": session.tenant_name if session else None,
        "csrf": session.csrf if session else context.get("csrf", ""),
        "notice": notice,
        "auth": settings_of(request).auth,
    }
    shown = None
    if visit is not None and notice is not None:  # forgotten once the page is sent
        shown = BackgroundTask(sessions(request).notice_shown, visit.session_id, notice)
    response = templates.TemplateResponse(
        request, template, context, status_code=status, background=shown
    )
    response.headers.update(NO_STORE)
    return response


def not_found(what: str) -> PageError:
    """Missing, and another tenant's, read the same."""
    return PageError(404, "Not found", f"There is no such {what} in this workspace.")


def shown_value(value: Any) -> str:
    """A problem's value as a planner reads it: short, JSON-like, '—' when there is none."""
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "…"


WORKBOOK_PLACE = re.compile(r"^(sheet '[^']*'(?:, (?:cell [A-Z]+\d+|row \d+))?): (.*)$", re.DOTALL)


def problem_rows(problems: list[Any]) -> list[dict[str, str]]:
    """Each problem as where (a workbook's sheet and cell, else the field's path), the
    value found and the rule it breaks."""
    rows = []
    for p in problems:
        place = WORKBOOK_PLACE.match(p.rule)
        field = " › ".join(part.replace("~1", "/").replace("~0", "~")
                           for part in p.pointer.split("/")[1:]) or "the whole file"  # fmt: skip
        rows.append(
            {
                "where": place.group(1) if place else field,
                "field": field,
                "value": shown_value(p.value),
                "rule": place.group(2) if place else p.rule,
            }
        )
    return rows
