"""`/healthz` and `/readyz` answer without a key."""

from __future__ import annotations

import httpx

from tests.service.conftest import Service


def test_healthz_needs_no_key(service: Service) -> None:
    answer = httpx.get(f"{service.url}/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def test_readyz_reports_database_and_dispatcher(service: Service) -> None:
    answer = httpx.get(f"{service.url}/readyz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ready", "database": True, "dispatcher": True}


def test_unknown_route_is_a_json_404(service: Service) -> None:
    answer = httpx.get(f"{service.url}/v1/nothing-here")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Not Found"}
