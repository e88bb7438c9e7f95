"""Sign-in sessions of the web workspace, kept in the database (`page_sessions`).

The cookie holds only an opaque random id (256 bits); the database keeps its SHA-256,
the tenant, the form token and the hash of the key signed in with. The key itself is
never kept, in the cookie or here. Being in the database, a session is known to every
node of the service and outlives a restart. A session ends on sign-out, after `IDLE_S`
without a request, after `LIFETIME_S` in all, or within `KEY_CHECK_S` of its key being
revoked. Every session, signed in or not, has its own form token (CSRF): a form that
changes something carries it in a hidden field and is refused without it.

Only signed-in sessions are stored. Before sign-in the cookie holds the sign-in form's
token itself (`new_form_token`), and the form is refused unless the two agree: asking
for the sign-in page, which anybody may, writes nothing.

Every method talks to the database: call them off the event loop.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select, update

from ..database import Database
from ..tables import page_sessions

IDLE_S = 8 * 3600.0
LIFETIME_S = 24 * 3600.0
KEY_CHECK_S = 60.0  # as the API's remembered keys: a revoked key stops within a minute
# `seen` is written at most this often per session: a page view then costs one read,
# and idle expiry is at most this much late.
SEEN_WRITE_S = 60.0


FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # what new_form_token makes


def new_form_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


@dataclass
class PageSession:
    csrf: str = field(default_factory=new_form_token)
    tenant: int | None = None  # None until signed in
    tenant_name: str = ""
    key_sha256: str | None = None  # None when signed in without keys (--no-auth)
    created: float = field(default_factory=time.time)
    seen: float = field(default_factory=time.time)
    key_checked: float = field(default_factory=time.time)
    notice: str | None = None  # one line shown on the next page (e.g. "deleted …")

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf, str(token))

    def take_notice(self) -> str | None:
        notice, self.notice = self.notice, None
        return notice


def _id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class PageSessions:
    """Session id → session, in the database."""

    def __init__(self, db: Database):
        self._db = db

    def new(self, session: PageSession) -> str:
        """Store a signed-in session under a new random id, and return the id (the
        cookie)."""
        assert session.tenant is not None, "only signed-in sessions are stored"
        session_id = new_form_token()
        with self._db.write() as conn:
            _forget_expired(conn, time.time())
            conn.execute(insert(page_sessions).values(id_sha256=_id_hash(session_id),
                                                      **_row(session)))  # fmt: skip
        return session_id

    def get(self, session_id: str | None) -> PageSession | None:
        """The live session of this id, or None."""
        if not session_id:
            return None
        key = _id_hash(session_id)
        with self._db.read() as conn:
            row = conn.execute(
                select(page_sessions).where(page_sessions.c.id_sha256 == key)
            ).first()
        if row is None:
            return None
        session = _session(row._mapping)
        now = time.time()
        if _expired(session, now):
            self.drop(session_id)
            return None
        if now - session.seen > SEEN_WRITE_S:
            session.seen = now
            self._update(key, {"seen_s": now})
        return session

    def drop(self, session_id: str | None) -> None:
        if session_id:
            with self._db.write() as conn:
                conn.execute(delete(page_sessions).where(
                    page_sessions.c.id_sha256 == _id_hash(session_id)))  # fmt: skip

    def notify(self, session_id: str, notice: str) -> None:
        """One line for the next page this session is shown."""
        self._update(_id_hash(session_id), {"notice": notice})

    def notice_shown(self, session_id: str, notice: str) -> None:
        """Forget the notice a page has shown (not one given since)."""
        with self._db.write() as conn:
            conn.execute(update(page_sessions).where(
                page_sessions.c.id_sha256 == _id_hash(session_id),
                page_sessions.c.notice == notice,
            ).values(notice=None))  # fmt: skip

    def key_checked(self, session_id: str, session: PageSession) -> None:
        session.key_checked = time.time()
        self._update(_id_hash(session_id), {"key_checked_s": session.key_checked})

    def _update(self, key: str, values: dict[str, Any]) -> None:
        with self._db.write() as conn:
            conn.execute(update(page_sessions).where(page_sessions.c.id_sha256 == key)
                         .values(**values))  # fmt: skip


def _expired(session: PageSession, now: float) -> bool:
    return now - session.seen > IDLE_S + SEEN_WRITE_S or now - session.created > LIFETIME_S


def _forget_expired(conn: Connection, now: float) -> None:
    """Sessions past their time, whoever's: the table keeps only live ones."""
    c = page_sessions.c
    conn.execute(delete(page_sessions).where(or_(
        c.seen_s < now - IDLE_S - SEEN_WRITE_S, c.created_s < now - LIFETIME_S,
    )))  # fmt: skip


def _row(session: PageSession) -> dict[str, Any]:
    return {
        "tenant_id": session.tenant,
        "tenant_name": session.tenant_name,
        "csrf": session.csrf,
        "key_sha256": session.key_sha256,
        "created_s": session.created,
        "seen_s": session.seen,
        "key_checked_s": session.key_checked,
        "notice": session.notice,
    }


def _session(row: Any) -> PageSession:
    return PageSession(
        csrf=row["csrf"],
        tenant=row["tenant_id"],
        tenant_name=row["tenant_name"],
        key_sha256=row["key_sha256"],
        created=row["created_s"],
        seen=row["seen_s"],
        key_checked=row["key_checked_s"],
        notice=row["notice"],
    )
