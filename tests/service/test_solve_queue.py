"""`POST /v1/solve` under pressure: a bounded wait for solver processes (503 with
Retry-After beyond it), and identical requests in flight sharing one solve."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.service.conftest import Service, running_service
from tests.service.scenarios import c0, slow_lp

HEADER = "X-Plan-Cache"


@pytest.fixture(scope="module")
def one_slot(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One solver process for /v1/solve and no room to wait for it (and no share per
    tenant below that: these tests are about the line itself)."""
    yield from running_service(
        backend, tmp_path_factory, workers=1, max_waiting_solves=0, max_time_limit=60,
        max_solves_per_tenant=10,
    )  # fmt: skip


@pytest.fixture(scope="module")
def two_places(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One solver process and one place to wait: each tenant's share is one solve."""
    yield from running_service(
        backend, tmp_path_factory, workers=1, max_waiting_solves=1, max_time_limit=60
    )


def _post_all(
    service: Service, documents: list[dict[str, Any]], tenants: list[str] | None = None
) -> list[httpx.Response]:
    """Post the documents at once, one thread each, in order of start (each as `tenants[i]`,
    alpha by default)."""
    answers: list[httpx.Response | None] = [None] * len(documents)
    tenants = tenants or ["alpha"] * len(documents)

    def post(i: int) -> None:
        with service.client(tenants[i]) as client:
            answers[i] = client.post("/v1/solve", json=documents[i], timeout=120)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(documents))]
    for thread in threads:
        thread.start()
        time.sleep(0.3)  # the first is in its solver process before the next arrives
    for thread in threads:
        thread.join()
    assert all(a is not None for a in answers)
    return [a for a in answers if a is not None]


def test_a_full_queue_answers_503_with_retry_after(one_slot: Service) -> None:
    slow = slow_lp(suppliers=60)
    busy, turned_away = _post_all(one_slot, [slow, c0("queue: second")])
    assert busy.status_code == 200 and busy.json()["status"] == "optimal"
    assert turned_away.status_code == 503
    assert turned_away.headers["Retry-After"] == "1"
    assert "waiting" in turned_away.json()["detail"]
    with one_slot.client("alpha") as client:  # once the slot is free, the same request is served
        assert client.post("/v1/solve", json=c0("queue: second")).status_code == 200


def test_identical_requests_in_flight_share_one_solve(one_slot: Service) -> None:
    """With one solver process and no room to wait, only one of these can be solving:
    the others are answered from it, or they would get 503."""
    slow = slow_lp(suppliers=60, seed=11)
    answers = _post_all(one_slot, [slow] * 4)
    assert [a.status_code for a in answers] == [200] * 4
    assert answers[0].headers[HEADER] == "miss"
    assert {a.headers[HEADER] for a in answers[1:]} <= {"shared", "hit"}
    assert "shared" in {a.headers[HEADER] for a in answers[1:]}
    assert len({a.content for a in answers}) == 1  # one plan, byte for byte


def test_an_invalid_scenario_is_refused_by_the_solver_process_for_each(one_slot: Service) -> None:
    bad = slow_lp(suppliers=60, seed=12)
    bad["suppliers"][0]["capacity"] = [-1.0] * len(bad["periods"])  # found by the solver process
    answers = _post_all(one_slot, [bad] * 3)
    assert [a.status_code for a in answers] == [422] * 3
    pointers = [{e["pointer"] for e in a.json()["errors"]} for a in answers]
    assert all("/suppliers/0/capacity/0" in p for p in pointers)


def test_a_tenant_over_its_share_gets_429_and_another_tenant_is_still_served(
    two_places: Service,
) -> None:
    slow = slow_lp(suppliers=60, seed=5)
    again = slow_lp(suppliers=60, seed=6)
    first, over, other = _post_all(
        two_places, [slow, again, c0("share: beta")], ["alpha", "alpha", "beta"]
    )
    assert first.status_code == 200 and first.json()["status"] == "optimal"
    assert over.status_code == 429, over.text
    assert over.headers["Retry-After"] == "1"
    assert "share" in over.json()["detail"] or "already has" in over.json()["detail"]
    assert other.status_code == 200 and other.json()["status"] == "optimal"
