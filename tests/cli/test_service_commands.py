"""`magnets keys create` and `magnets serve`, run as a shell would."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest

from service.keys import key_hash
from tests.service.conftest import magnets, service_env, start_service, stop_service
from tests.service.scenarios import c0


def test_keys_create_prints_the_key_last_and_stores_only_its_hash(tmp_path: Path) -> None:
    database = tmp_path / "keys.db"
    env = service_env(f"sqlite:///{database}")
    done = magnets("keys", "create", "--tenant", "acme", env=env)
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip().splitlines()[-1]
    assert key.startswith("mgk_") and len(key) > 40
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT prefix, key_sha256 FROM api_keys").fetchall()
    assert rows == [(key[:12], key_hash(key))]
    assert key.encode() not in database.read_bytes()
    second = magnets("keys", "create", "--tenant", "acme", env=env).stdout.splitlines()[-1]
    assert second != key


def test_keys_create_refuses_a_bad_tenant_name(tmp_path: Path) -> None:
    done = magnets(
        "keys", "create", "--tenant", "no spaces", env=service_env(f"sqlite:///{tmp_path}/k.db")
    )
    assert done.returncode == 2
    assert "tenant name" in done.stderr


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.org", "::"])
def test_no_auth_is_refused_off_loopback(tmp_path: Path, host: str) -> None:
    env = service_env(f"sqlite:///{tmp_path}/s.db")
    done = magnets("serve", "--host", host, "--port", "1", "--no-auth", env=env, timeout=30)
    assert done.returncode == 2
    assert "loopback" in done.stderr
    assert "Traceback" not in done.stderr


def test_auth_off_by_environment_is_refused_off_loopback_too(tmp_path: Path) -> None:
    env = service_env(f"sqlite:///{tmp_path}/s.db", auth="false")
    done = magnets("serve", "--host", "0.0.0.0", "--port", "1", env=env, timeout=30)
    assert done.returncode == 2
    assert "loopback" in done.stderr


def test_bad_configuration_stops_serve_at_start(tmp_path: Path) -> None:
    env = service_env(f"sqlite:///{tmp_path}/s.db", workers=0)
    done = magnets("serve", "--port", "1", env=env, timeout=30)
    assert done.returncode == 2
    assert "MAGNETS_WORKERS" in done.stderr
    assert "Traceback" not in done.stderr


def test_no_auth_on_loopback_serves_everything_as_tenant_local(tmp_path: Path) -> None:
    env = service_env(f"sqlite:///{tmp_path}/local.db", workers=1)
    process, url = start_service(env, tmp_path / "server.log", "--no-auth")
    try:
        with httpx.Client(base_url=url) as client:
            created = client.post("/v1/scenarios", json=c0())
            assert created.status_code == 201
            assert client.get(f"/v1/scenarios/{created.json()['id']}").status_code == 200
    finally:
        stop_service(process)
    with sqlite3.connect(tmp_path / "local.db") as db:
        owners = db.execute(
            "SELECT tenants.name FROM scenarios JOIN tenants ON tenants.id = scenarios.tenant_id"
        ).fetchall()
    assert owners == [("local",)]
