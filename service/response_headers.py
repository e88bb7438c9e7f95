"""Headers every answer carries, and an honest `Allow` on 405.

- `X-Content-Type-Options: nosniff`: a browser takes a JSON answer (which may echo a
  client's text) as JSON, never as a page.
- `Content-Security-Policy`: nothing loads from anywhere; the HTML report's inline styles
  and inline SVG are all a page of ours needs. The interactive API docs (`/docs`,
  `/redoc`) load their scripts from a CDN by FastAPI's design, so they are served
  without a policy; everything else has the strict one.
- The web workspace's pages (`routes/pages*.py`) and their files under /static get a
  policy of their own, `PAGE_POLICY`: the same, except that the one stylesheet and the
  one script load from the service itself ('self'), the page's script may fetch from
  it, and a chart may be an image from it or a data: URL. No inline script, no inline
  style (a chart's SVG keeps its styles inside its data: image), nothing from elsewhere.
- A method a path does not take answers 405 with `Allow` naming every method the path
  does take (Starlette names only those of the first route that matched the path).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
WITHOUT_POLICY = ("/docs", "/redoc")


class ResponseHeaders:
    """`routes`: (path pattern, methods) of every route, read once when the app is made;
    `pages`: the path patterns served with PAGE_POLICY."""

    def __init__(
        self,
        app: ASGIApp,
        routes: Sequence[tuple[re.Pattern[str], set[str]]],
        pages: Sequence[re.Pattern[str]] = (),
    ):
        self.app = app
        self.routes = routes
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        allowed = self._methods_of(scope["path"])
        if allowed and scope["method"] not in allowed:
            headers = {"Allow": ", ".join(sorted(allowed))}
            response = JSONResponse({"detail": "Method Not Allowed"}, 405, headers=headers)
            await response(scope, receive, self._with_headers(scope, send, self._policy(scope)))
            return
        await self.app(scope, receive, self._with_headers(scope, send, self._policy(scope)))

    def _policy(self, scope: Scope) -> str | None:
        path = scope["path"]
        if path.startswith(WITHOUT_POLICY):
            return None
        if any(pattern.match(path) for pattern in self.pages):
            return PAGE_POLICY
        return CONTENT_SECURITY_POLICY

    def _methods_of(self, path: str) -> set[str]:
        """Every method of the routes whose path matches; empty when none does (a 404)."""
        return {m for pattern, methods in self.routes if pattern.match(path) for m in methods}

    @staticmethod
    def _with_headers(scope: Scope, send: Send, policy: str | None) -> Send:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                if policy is not None:
                    headers["Content-Security-Policy"] = policy
            await send(message)

        return sending


def route_methods(routers: Iterable[APIRouter]) -> list[tuple[re.Pattern[str], set[str]]]:
    return [
        (route.path_regex, set(route.methods or ()))
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
    ]
