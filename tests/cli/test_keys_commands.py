"""`magnets keys list` and `magnets keys revoke`, run as a shell would; a revoked key
against a real server; a database made before keys could be revoked."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy
from sqlalchemy import DateTime, bindparam, text

from service import queries, store
from service.database import Database
from service.keys import display_prefix, key_hash, new_key
from tests.service.conftest import (
    database_url,
    magnets,
    mint_key,
    service_env,
    start_service,
    stop_service,
)

# The two tables as the first releases made them: api_keys without `revoked_at`.
OLD_TABLES = {
    "sqlite": (
        "CREATE TABLE tenants (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL "
        "UNIQUE, created_at DATETIME NOT NULL)",
        "CREATE TABLE api_keys (id INTEGER NOT NULL PRIMARY KEY, tenant_id INTEGER NOT NULL "
        "REFERENCES tenants (id) ON DELETE CASCADE, prefix VARCHAR(16) NOT NULL, "
        "key_sha256 VARCHAR(64) NOT NULL UNIQUE, created_at DATETIME NOT NULL)",
    ),
    "postgresql": (
        "CREATE TABLE tenants (id SERIAL PRIMARY KEY, name VARCHAR(100) NOT NULL UNIQUE, "
        "created_at TIMESTAMP WITH TIME ZONE NOT NULL)",
        "CREATE TABLE api_keys (id SERIAL PRIMARY KEY, tenant_id INTEGER NOT NULL "
        "REFERENCES tenants (id) ON DELETE CASCADE, prefix VARCHAR(16) NOT NULL, "
        "key_sha256 VARCHAR(64) NOT NULL UNIQUE, "
        "created_at TIMESTAMP WITH TIME ZONE NOT NULL)",
    ),
}
OLD_KEY_CREATED = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def _env(backend: str, tmp_path: Path) -> dict[str, str]:
    return service_env(database_url(backend, tmp_path), workers=1)


def _listing(env: dict[str, str], *extra: str) -> list[list[str]]:
    done = magnets("keys", "list", *extra, env=env)
    assert done.returncode == 0, done.stderr
    return [line.split() for line in done.stdout.splitlines()]


def _status(url: str, key: str) -> int:
    return httpx.get(f"{url}/v1/scenarios", headers={"X-API-Key": key}, timeout=30).status_code


def test_list_shows_prefixes_by_tenant_then_age_and_never_a_key(
    backend: str, tmp_path: Path
) -> None:
    env = _env(backend, tmp_path)
    beta, first, second = (mint_key(t, env) for t in ("beta", "acme", "acme"))
    done = magnets("keys", "list", env=env)
    assert done.returncode == 0, done.stderr
    for key in (beta, first, second):
        assert key not in done.stdout
        assert key[12:20] not in done.stdout  # nor any of the key past its prefix
    rows = [line.split() for line in done.stdout.splitlines()]
    expected = [("acme", first[:12]), ("acme", second[:12]), ("beta", beta[:12])]
    assert [(row[0], row[1]) for row in rows] == expected
    for row in rows:
        created = datetime.fromisoformat(row[2])
        assert created.utcoffset() is not None and created.utcoffset().total_seconds() == 0
        assert abs((datetime.now(UTC) - created).total_seconds()) < 120
        assert row[3:] == ["active"]
    assert [row[1] for row in _listing(env, "--tenant", "beta")] == [beta[:12]]


def test_list_of_an_unknown_tenant_is_refused(tmp_path: Path) -> None:
    env = _env("sqlite", tmp_path)
    mint_key("acme", env)
    done = magnets("keys", "list", "--tenant", "acme2", env=env)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "acme2" in done.stderr and "Traceback" not in done.stderr


def test_a_revoked_key_is_refused_and_the_tenants_other_key_still_works(
    backend: str, tmp_path: Path
) -> None:
    env = _env(backend, tmp_path)
    revoked, kept, unused = (mint_key("acme", env) for _ in range(3))
    done = magnets("keys", "revoke", revoked[:12], env=env)
    assert done.returncode == 0, done.stderr
    assert revoked[:12] in done.stdout and "acme" in done.stdout and "60 s" in done.stdout
    assert revoked not in done.stdout
    states = {row[1]: row[3] for row in _listing(env, "--tenant", "acme")}
    assert states == {revoked[:12]: "revoked", kept[:12]: "active", unused[:12]: "active"}
    process, url = start_service(env, tmp_path / "server.log")
    try:
        assert _status(url, revoked) == 401
        assert _status(url, kept) == 200
        # A key the server has not met yet is refused at once (none is remembered).
        assert magnets("keys", "revoke", unused[:12], env=env).returncode == 0
        assert _status(url, unused) == 401
        assert _status(url, kept) == 200
    finally:
        stop_service(process)


def test_revoking_an_unknown_prefix_is_refused(tmp_path: Path) -> None:
    env = _env("sqlite", tmp_path)
    key = mint_key("acme", env)
    for prefix in ("mgk_00000000", key):  # the whole key is not its prefix
        done = magnets("keys", "revoke", prefix, env=env)
        assert done.returncode == 2
        assert done.stdout == ""
        assert "no key" in done.stderr and "Traceback" not in done.stderr
    assert [row[3] for row in _listing(env)] == ["active"]


def test_revoking_a_revoked_key_again_keeps_the_first_revocation(tmp_path: Path) -> None:
    env = _env("sqlite", tmp_path)
    key = mint_key("acme", env)
    assert magnets("keys", "revoke", key[:12], env=env).returncode == 0
    [first] = _listing(env)
    again = magnets("keys", "revoke", key[:12], env=env)
    assert again.returncode == 0
    assert "already" in again.stdout
    assert _listing(env) == [first]


def test_a_prefix_shared_by_two_keys_needs_all(tmp_path: Path) -> None:
    env = _env("sqlite", tmp_path)
    key = mint_key("acme", env)
    twin = key[:12] + new_key()[12:]  # possible, if about once in 2**48 pairs of keys
    db = Database(env["MAGNETS_DATABASE_URL"])
    with db.write() as conn:
        conn.execute(
            text(
                "INSERT INTO api_keys (tenant_id, prefix, key_sha256, created_at) "
                "SELECT tenant_id, prefix, :sha, created_at FROM api_keys"
            ),
            {"sha": key_hash(twin)},
        )
    db.dispose()
    refused = magnets("keys", "revoke", key[:12], env=env)
    assert refused.returncode == 2
    assert refused.stderr.count(key[:12]) == 3  # named in the message, then each key listed
    assert "--all" in refused.stderr
    assert [row[3] for row in _listing(env)] == ["active", "active"]
    done = magnets("keys", "revoke", key[:12], "--all", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("revoked key") == 2
    assert [row[3] for row in _listing(env)] == ["revoked", "revoked"]


def _old_database(backend: str, url: str) -> str:
    """Tables as they were before keys could be revoked, holding one key of tenant
    `acme`; the key."""
    key = new_key()
    engine = sqlalchemy.create_engine(url)
    stamp = bindparam("at", OLD_KEY_CREATED, type_=DateTime(timezone=True))
    with engine.begin() as conn:
        for statement in OLD_TABLES[backend]:
            conn.execute(text(statement))
        conn.execute(
            text("INSERT INTO tenants (name, created_at) VALUES ('acme', :at)").bindparams(stamp)
        )
        conn.execute(
            text(
                "INSERT INTO api_keys (tenant_id, prefix, key_sha256, created_at) "
                "SELECT id, :prefix, :sha, :at FROM tenants"
            ).bindparams(stamp),
            {"prefix": display_prefix(key), "sha": key_hash(key)},
        )
    engine.dispose()
    return key


def _columns(url: str) -> set[str]:
    engine = sqlalchemy.create_engine(url)
    try:
        return {c["name"] for c in sqlalchemy.inspect(engine).get_columns("api_keys")}
    finally:
        engine.dispose()


@pytest.mark.parametrize("first", ["keys list", "serve"])
def test_a_database_made_before_revocation_gains_the_column(
    backend: str, tmp_path: Path, first: str
) -> None:
    env = _env(backend, tmp_path)
    url = env["MAGNETS_DATABASE_URL"]
    key = _old_database(backend, url)
    assert "revoked_at" not in _columns(url)
    if first == "keys list":
        assert _listing(env) == [["acme", key[:12], "2024-01-02T03:04:05Z", "active"]]
        assert "revoked_at" in _columns(url)
    process, url_served = start_service(env, tmp_path / "server.log")
    try:
        assert "revoked_at" in _columns(url)
        assert _status(url_served, key) == 200
        assert _listing(env) == [["acme", key[:12], "2024-01-02T03:04:05Z", "active"]]
        assert magnets("keys", "revoke", key[:12], env=env).returncode == 0
        assert _status(url_served, mint_key("acme", env)) == 200
    finally:
        stop_service(process)
    process, url_served = start_service(env, tmp_path / "server-again.log")
    try:
        assert _status(url_served, key) == 401
    finally:
        stop_service(process)


def test_tenant_for_key_ignores_a_revoked_key(db: Database) -> None:
    key, other = store.create_key(db, "acme"), store.create_key(db, "acme")
    tenant = queries.tenant_by_name(db, "acme")
    assert tenant is not None
    assert queries.tenant_for_key(db, key) == tenant
    assert store.revoke_keys(db, display_prefix(key)) == 1
    assert queries.tenant_for_key(db, key) is None
    assert queries.tenant_for_key(db, other) == tenant
    assert store.revoke_keys(db, display_prefix(key)) == 0
    [shown] = queries.list_keys(db, prefix=display_prefix(key))
    assert shown.tenant == "acme" and shown.revoked_at is not None
    assert shown.revoked_at >= shown.created_at
