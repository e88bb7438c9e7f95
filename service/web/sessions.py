"""Sign-in sessions of the web workspace, kept in the server process.

The cookie holds only an opaque random id (256 bits); the tenant, the form token and
the hash of the key signed in with stay here. The key itself is never kept, in the
cookie or here. A session ends on sign-out, after `IDLE_S` without a request, after
`LIFETIME_S` in all, when the server restarts, or within `KEY_CHECK_S` of its key being
revoked. Every session, signed in or not, has its own form token (CSRF): a form that
changes something carries it in a hidden field and is refused without it.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass, field

IDLE_S = 8 * 3600.0
LIFETIME_S = 24 * 3600.0
KEY_CHECK_S = 60.0  # as the API's remembered keys: a revoked key stops within a minute
MAX_SESSIONS = 10_000


@dataclass
class PageSession:
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    tenant: int | None = None  # None until signed in
    tenant_name: str = ""
    key_sha256: str | None = None  # None when signed in without keys (--no-auth)
    created: float = field(default_factory=time.monotonic)
    seen: float = field(default_factory=time.monotonic)
    key_checked: float = field(default_factory=time.monotonic)
    notice: str | None = None  # one line shown on the next page (e.g. "deleted …")

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf, str(token))

    def take_notice(self) -> str | None:
        notice, self.notice = self.notice, None
        return notice


class PageSessions:
    """Session id → session. Bounded: past `max_sessions` the longest idle goes first."""

    def __init__(self, max_sessions: int = MAX_SESSIONS):
        self._max = max_sessions
        self._sessions: dict[str, PageSession] = {}

    def new(self, session: PageSession) -> str:
        if len(self._sessions) >= self._max:
            self._expire()
            if len(self._sessions) >= self._max:
                oldest = min(self._sessions, key=lambda sid: self._sessions[sid].seen)
                del self._sessions[oldest]
        session_id = secrets.token_urlsafe(32)
        self._sessions[session_id] = session
        return session_id

    def get(self, session_id: str | None) -> PageSession | None:
        if not session_id:
            return None
        session = self._sessions.get(session_id)
        if session is None:
            return None
        now = time.monotonic()
        if now - session.seen > IDLE_S or now - session.created > LIFETIME_S:
            del self._sessions[session_id]
            return None
        session.seen = now
        return session

    def drop(self, session_id: str | None) -> None:
        if session_id:
            self._sessions.pop(session_id, None)

    def _expire(self) -> None:
        now = time.monotonic()
        for sid, s in list(self._sessions.items()):
            if now - s.seen > IDLE_S or now - s.created > LIFETIME_S:
                del self._sessions[sid]
