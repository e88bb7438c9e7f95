"""The workspace's sessions live in the database (service/web/sessions.py): two
`magnets serve` nodes on one database know the same sessions, a restart signs nobody
out, and the table stays bounded and holds nothing that lets anybody in."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update

from service.database import Database
from service.store import ensure_tenant
from service.tables import page_sessions
from service.web import sessions as web_sessions
from service.web.sessions import PageSession, PageSessions, new_form_token
from tests.service.conftest import (
    database_url,
    mint_key,
    service_env,
    start_service,
    stop_service,
)
from tests.service.test_workspace import token_of


def _sign_in(url: str, key: str) -> tuple[str, str]:
    """Sign in at one node; (the session cookie, the form token)."""
    with browser_at(url) as client:
        form = client.get("/sign-in")
        answer = client.post("/sign-in", data={"csrf_token": token_of(form), "api_key": key,
                                               "next": "/scenarios"})  # fmt: skip
        assert answer.status_code == 303, answer.text
        cookie = client.cookies["magnets_session"]
        return cookie, token_of(client.get("/scenarios"))


def browser_at(url: str) -> httpx.Client:
    """A browser without redirects, at one node (as test_workspace's `browser`)."""
    return httpx.Client(base_url=url, timeout=60, follow_redirects=False)


def test_a_session_made_on_one_node_works_on_the_other_and_outlives_a_restart(
    backend: str, tmp_path: Path
) -> None:
    env = service_env(database_url(backend, tmp_path), workers=1)
    key = mint_key("alpha", env)
    one, one_url = start_service(env, tmp_path / "one.log")
    two, two_url = start_service(env, tmp_path / "two.log")
    try:
        cookie, token = _sign_in(one_url, key)
        with browser_at(two_url) as client:
            client.cookies.set("magnets_session", cookie)
            page = client.get("/scenarios")
            assert page.status_code == 200 and "alpha" in page.text
            assert token_of(page) == token  # the same session: its form token too
        stop_service(one)
        one, one_url = start_service(env, tmp_path / "one-again.log")
        with browser_at(one_url) as client:
            client.cookies.set("magnets_session", cookie)
            assert client.get("/scenarios").status_code == 200
            # signing out on one node ends the session on the other
            out = client.post("/sign-out", data={"csrf_token": token})
            assert out.status_code == 303
        with browser_at(two_url) as client:
            client.cookies.set("magnets_session", cookie)
            answer = client.get("/scenarios")
            assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in")
    finally:
        stop_service(one)
        stop_service(two)


@pytest.fixture
def store(db: Database) -> PageSessions:
    return PageSessions(db)


def _signed_in(db: Database) -> PageSession:
    tenant = ensure_tenant(db, "alpha")
    return PageSession(tenant=tenant, tenant_name="alpha", key_sha256="0" * 64)


def _count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.scalar(select(func.count()).select_from(page_sessions)) or 0)


def test_the_table_keeps_a_hash_of_the_id_not_the_id(db: Database, store: PageSessions) -> None:
    session_id = store.new(_signed_in(db))
    with db.read() as conn:
        stored = [r.id_sha256 for r in conn.execute(select(page_sessions.c.id_sha256))]
    assert session_id not in stored and len(stored) == 1
    found = store.get(session_id)
    assert found is not None and found.tenant_name == "alpha"
    assert store.get(stored[0]) is None  # the hash is no cookie


def test_an_idle_or_too_old_session_ends(db: Database, store: PageSessions) -> None:
    idle, old, live = (store.new(_signed_in(db)) for _ in range(3))
    now = time.time()
    late = web_sessions.IDLE_S + web_sessions.SEEN_WRITE_S + 1
    with db.write() as conn:
        for session_id, values in ((idle, {"seen_s": now - late}),
                                   (old, {"created_s": now - web_sessions.LIFETIME_S - 1})):  # fmt: skip
            conn.execute(update(page_sessions).where(
                page_sessions.c.id_sha256 == web_sessions._id_hash(session_id)).values(**values))  # fmt: skip
    assert store.get(idle) is None and store.get(old) is None
    assert store.get(live) is not None
    assert _count(db) == 1  # the ended ones are gone from the table


def test_asking_for_the_sign_in_page_stores_nothing(backend: str, tmp_path: Path) -> None:
    """Anybody may ask for it: before sign-in the cookie is the form's token, kept
    nowhere, and the form is refused unless the two agree."""
    url = database_url(backend, tmp_path)
    env = service_env(url, workers=1)
    key = mint_key("alpha", env)
    process, service_url = start_service(env, tmp_path / "server.log")
    try:
        for _ in range(20):
            with browser_at(service_url) as client:
                form = client.get("/sign-in")
                assert form.status_code == 200
                assert client.cookies["magnets_session"] == token_of(form)
        db = Database(url)
        assert _count(db) == 0
        with browser_at(service_url) as client:
            token = token_of(client.get("/sign-in"))
            client.cookies.set("magnets_session", new_form_token())  # another browser's cookie
            refused = client.post("/sign-in", data={"csrf_token": token, "api_key": key})
            assert refused.status_code == 403
        _sign_in(service_url, key)
        assert _count(db) == 1
        db.dispose()
    finally:
        stop_service(process)


def test_a_notice_is_shown_once_and_a_newer_one_survives(db: Database, store: PageSessions) -> None:
    session_id = store.new(_signed_in(db))
    store.notify(session_id, "Deleted “a”.")
    found = store.get(session_id)
    assert found is not None and found.notice == "Deleted “a”."
    store.notify(session_id, "Deleted “b”.")  # given while the first was on its way
    store.notice_shown(session_id, "Deleted “a”.")
    found = store.get(session_id)
    assert found is not None and found.notice == "Deleted “b”."
    store.notice_shown(session_id, "Deleted “b”.")
    found = store.get(session_id)
    assert found is not None and found.notice is None
