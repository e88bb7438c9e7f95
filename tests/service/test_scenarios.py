"""`/v1/scenarios`: store, read back, list with paging, delete."""

from __future__ import annotations

import uuid

import httpx

from tests.service.conftest import Service
from tests.service.scenarios import c0


def test_create_then_get_returns_the_document(alpha: httpx.Client) -> None:
    document = c0(f"stored {uuid.uuid4()}")
    created = alpha.post("/v1/scenarios", json=document)
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"id", "name", "created_at"}
    assert body["name"] == document["name"]
    uuid.UUID(body["id"])
    fetched = alpha.get(f"/v1/scenarios/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == {**body, "scenario": document}


def test_invalid_scenario_is_not_stored(alpha: httpx.Client) -> None:
    before = alpha.get("/v1/scenarios").json()["total"]
    answer = alpha.post("/v1/scenarios", json={**c0(), "periods": []})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["pointer"] == "/periods"
    assert alpha.get("/v1/scenarios").json()["total"] == before


def test_list_pages_newest_first(service: Service) -> None:
    with service.client(None) as anonymous:
        tenant = f"pager-{uuid.uuid4().hex[:8]}"
        from tests.service.conftest import mint_key

        anonymous.headers["X-API-Key"] = mint_key(tenant, service.env)
        ids = [anonymous.post("/v1/scenarios", json=c0(f"n{i}")).json()["id"] for i in range(5)]
        first = anonymous.get("/v1/scenarios", params={"limit": 2}).json()
        rest = anonymous.get("/v1/scenarios", params={"limit": 10, "offset": 2}).json()
    assert first["total"] == rest["total"] == 5
    assert [item["id"] for item in first["items"] + rest["items"]] == ids[::-1]
    assert [item["name"] for item in first["items"]] == ["n4", "n3"]
    assert set(first["items"][0]) == {"id", "name", "created_at"}


def test_list_rejects_bad_paging(alpha: httpx.Client) -> None:
    answer = alpha.get("/v1/scenarios", params={"limit": 0})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["pointer"] == "/query/limit"


def test_delete_then_get_is_404(alpha: httpx.Client) -> None:
    scenario_id = alpha.post("/v1/scenarios", json=c0()).json()["id"]
    deleted = alpha.delete(f"/v1/scenarios/{scenario_id}")
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert alpha.get(f"/v1/scenarios/{scenario_id}").status_code == 404
    assert alpha.delete(f"/v1/scenarios/{scenario_id}").status_code == 404


def test_a_nul_character_is_refused_before_storing(alpha: httpx.Client) -> None:
    """PostgreSQL's text cannot hold U+0000: refused with 422 on every backend, never a 500."""
    document = c0("nul \x00 name")
    document["suppliers"][0]["id"] = "cn\x001"
    document["licences"][0]["suppliers"] = ["cn\x001"]
    stored = alpha.post("/v1/scenarios", json=document)
    job = alpha.post("/v1/jobs", json={"scenarios": [document]})
    for answer, under in ((stored, ""), (job, "/scenarios/0")):
        assert answer.status_code == 422, answer.text
        errors = {e["pointer"]: e for e in answer.json()["errors"]}
        assert set(errors) == {
            f"{under}/name",
            f"{under}/suppliers/0/id",
            f"{under}/licences/0/suppliers/0",
        }
        assert all("NUL" in e["rule"] for e in errors.values())
    escaped = alpha.post("/v1/scenarios", json=c0("a backslash and u0000: \\u0000 is text"))
    assert escaped.status_code == 201, escaped.text
    listed = alpha.get("/v1/scenarios", params={"limit": 100}).json()
    assert not any("\x00" in s["name"] for s in listed["items"])
