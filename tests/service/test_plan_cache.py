"""The plan cache of `POST /v1/solve`: an identical request is answered with the kept
plan, byte for byte; anything that could change the answer is a different request."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from service.deps import KnownKeys
from service.plan_cache import PlanCache, request_key, wants_fresh
from service.solving import SolveOptions
from tests.service.conftest import Service, running_service
from tests.service.scenarios import C0_OBJECTIVE, c0

HEADER = "X-Plan-Cache"


def _infeasible() -> dict:
    """c0 with a safety stock its suppliers cannot fill."""
    document = c0()
    document["products"][0]["min_inventory"] = 1e9
    return document


# --- over HTTP --------------------------------------------------------------------------


def test_identical_request_is_answered_from_the_cache(alpha: httpx.Client) -> None:
    document = c0()
    document["name"] = "cache: identical"  # a body no other test sends
    first = alpha.post("/v1/solve", json=document)
    again = alpha.post("/v1/solve", json=document)
    assert first.status_code == again.status_code == 200
    assert first.headers[HEADER] == "miss"
    assert again.headers[HEADER] == "hit"
    assert again.content == first.content  # the kept answer, timings included
    assert again.json()["objective"] == pytest.approx(C0_OBJECTIVE, rel=1e-6)


def test_no_cache_solves_again_and_replaces_the_kept_plan(alpha: httpx.Client) -> None:
    document = c0()
    document["name"] = "cache: no-cache"
    first = alpha.post("/v1/solve", json=document)
    fresh = alpha.post("/v1/solve", json=document, headers={"Cache-Control": "no-cache"})
    after = alpha.post("/v1/solve", json=document)
    assert (first.headers[HEADER], fresh.headers[HEADER]) == ("miss", "bypass")
    assert fresh.json()["objective"] == pytest.approx(first.json()["objective"], rel=1e-12)
    assert after.headers[HEADER] == "hit"
    assert after.content == fresh.content  # the fresh plan replaced the first one


def test_a_changed_scenario_or_option_is_solved(alpha: httpx.Client) -> None:
    document = c0()
    document["name"] = "cache: changed"
    alpha.post("/v1/solve", json=document)
    other_gap = alpha.post("/v1/solve", params={"mip_gap": 0.5}, json=document)
    explained = alpha.post("/v1/solve", params={"explain": "true"}, json=document)
    cheaper = c0("cache: changed")
    cheaper["suppliers"][1]["offers"][0]["price"] = 15.0  # jp1, 5/kg less
    changed = alpha.post("/v1/solve", json=cheaper)
    assert other_gap.headers[HEADER] == explained.headers[HEADER] == "miss"
    assert "marginal_values" in explained.json()
    assert changed.headers[HEADER] == "miss"
    assert changed.json()["objective"] < alpha.post("/v1/solve", json=document).json()["objective"]


def test_tenants_never_share_kept_plans(alpha: httpx.Client, beta: httpx.Client) -> None:
    document = c0()
    document["name"] = "cache: tenants"
    assert alpha.post("/v1/solve", json=document).headers[HEADER] == "miss"
    assert beta.post("/v1/solve", json=document).headers[HEADER] == "miss"
    assert beta.post("/v1/solve", json=document).headers[HEADER] == "hit"


def test_a_kept_plan_still_needs_a_valid_key(service: Service, alpha: httpx.Client) -> None:
    document = c0()
    document["name"] = "cache: key"
    alpha.post("/v1/solve", json=document)
    with httpx.Client(base_url=service.url, headers={"X-API-Key": "mgk_wrong"}) as stranger:
        assert stranger.post("/v1/solve", json=document).status_code == 401


def test_infeasible_plans_are_kept_rejections_are_not(alpha: httpx.Client) -> None:
    document = _infeasible()
    first = alpha.post("/v1/solve", json=document)
    assert first.json()["status"] == "infeasible"
    assert alpha.post("/v1/solve", json=document).headers[HEADER] == "hit"
    bad = c0()
    bad["suppliers"][0]["capacity"] = -1
    for _ in range(2):
        answer = alpha.post("/v1/solve", json=bad)
        assert answer.status_code == 422
        assert HEADER not in answer.headers


@pytest.fixture(scope="module")
def uncached(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    yield from running_service(backend, tmp_path_factory, workers=1, plan_cache_mb=0)


def test_plan_cache_mb_0_turns_the_cache_off(uncached: Service) -> None:
    with uncached.client("alpha") as client:
        answers = [client.post("/v1/solve", json=c0()) for _ in range(2)]
    assert [a.headers[HEADER] for a in answers] == ["off", "off"]
    assert answers[0].content != answers[1].content  # solved twice: the timings differ


# --- the parts --------------------------------------------------------------------------

OPTIONS = SolveOptions(time_limit=10, mip_gap=1e-6)


def test_request_key_separates_everything_the_answer_depends_on() -> None:
    base = request_key(1, b"{}", OPTIONS, False)
    assert base == request_key(1, b"{}", SolveOptions(time_limit=10, mip_gap=1e-6), False)
    others = {
        request_key(2, b"{}", OPTIONS, False),
        request_key(1, b"{ }", OPTIONS, False),
        request_key(1, b"{}", SolveOptions(time_limit=11, mip_gap=1e-6), False),
        request_key(1, b"{}", SolveOptions(time_limit=10, mip_gap=1e-4), False),
        request_key(1, b"{}", OPTIONS, True),
    }
    assert base not in others and len(others) == 5


def test_only_repeatable_plans_are_kept() -> None:
    cache = PlanCache(1000)
    for status in ("optimal", "infeasible", "unbounded"):
        assert cache.put(status, status, b"x")
    for status in ("time_limit", "error", None):
        assert not cache.put(str(status), status, b"x")
        assert cache.get(str(status)) is None
    assert len(cache) == 3


def test_least_recently_used_plans_leave_first_within_the_byte_budget() -> None:
    cache = PlanCache(max_bytes=10)
    cache.put("a", "optimal", b"aaaa")
    cache.put("b", "optimal", b"bbbb")
    assert cache.get("a") == b"aaaa"  # "b" is now the least recently used
    cache.put("c", "optimal", b"cccc")
    assert cache.get("b") is None
    assert cache.get("a") == b"aaaa" and cache.get("c") == b"cccc"
    assert cache.size_bytes == 8
    assert not cache.put("huge", "optimal", b"h" * 11)  # larger than the whole budget
    assert cache.size_bytes == 8
    cache.put("a", "time_limit", b"new")  # a plan that cannot be kept drops the old one
    assert cache.get("a") is None and cache.size_bytes == 4


@pytest.mark.parametrize(
    ("header", "fresh"),
    [(None, False), ("", False), ("max-age=60", False), ("no-cache", True),
     ("No-Store", True), ("private, max-age=0", True)],
)  # fmt: skip
def test_which_cache_control_asks_for_a_fresh_solve(header: str | None, fresh: bool) -> None:
    assert wants_fresh(header) is fresh


def test_known_keys_expire_and_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr("service.deps.time.monotonic", lambda: clock[0])
    known = KnownKeys(ttl_s=60, max_keys=2)
    known.remember("mgk_a", 1)
    assert known.tenant("mgk_a") == 1 and known.tenant("mgk_b") is None
    clock[0] += 61
    assert known.tenant("mgk_a") is None
    known.remember("mgk_a", 1)
    known.remember("mgk_b", 2)
    known.remember("mgk_c", 3)  # over the bound: forgets the others
    assert known.tenant("mgk_c") == 3 and known.tenant("mgk_a") is None
