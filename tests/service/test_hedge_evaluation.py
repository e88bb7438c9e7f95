"""The out-of-sample evaluation of a hedged plan over HTTP: `POST /v1/hedge?evaluate=M`
and a hedge job with `evaluate` give the `evaluation` that `hedged_plan` gives here on
the same fresh draws (the sample's seed + 1 unless `evaluate_seed` says otherwise);
asked of listed outcomes, out of range or without what it goes with, it is a 422 naming
the parameter, and a refused job is not stored."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from optimizer.whatif.hedge_document import draw_outcomes, parse_hedge
from optimizer.whatif.hedge_values import hedged_plan
from service.schemas import HedgedPlan
from tests.service.conftest import wait_for_job
from tests.whatif.test_hedge_sample import sampled
from tests.whatif.test_hedge_values import hedge as listed

M = 12
SAME = ("objective", "expected_cost", "cvar", "ci95", "infeasible", "seed", "outcomes")


def evaluated_here(document: dict[str, Any], m: int, seed: int) -> dict[str, Any]:
    """The evaluation computed in this process, on fresh outcomes drawn here."""
    hedge = parse_hedge(document)
    plan = hedged_plan(hedge, fresh=draw_outcomes(hedge, m, seed), fresh_seed=seed)
    evaluation: dict[str, Any] = plan["evaluation"]
    return evaluation


def assert_same_evaluation(plan: dict[str, Any], want: dict[str, Any]) -> None:
    HedgedPlan.model_validate(plan)  # the declared response model
    got = plan["evaluation"]
    for key in SAME:
        assert got[key] == pytest.approx(want[key], rel=1e-9, abs=1e-9), key
    assert got["in_sample_objective"] == plan["objective"]


def test_the_plan_is_evaluated_on_fresh_draws_of_the_next_seed(alpha: httpx.Client) -> None:
    document = sampled(10, seed=7, alpha=0.8, weight=0.5)
    answer = alpha.post("/v1/hedge", params={"evaluate": M}, json=document)
    assert answer.status_code == 200, answer.text
    plan = answer.json()
    assert plan["status"] == "optimal" and plan["evaluation"]["seed"] == 8
    assert_same_evaluation(plan, evaluated_here(document, M, 8))
    plain = alpha.post("/v1/hedge", json=document).json()
    assert plain.get("evaluation") is None and plain["objective"] == plan["objective"]


def test_an_explicit_seed_is_the_one_drawn_with(alpha: httpx.Client) -> None:
    document = sampled(10, seed=7)
    answer = alpha.post("/v1/hedge", params={"evaluate": M, "evaluate_seed": 0}, json=document)
    assert answer.status_code == 200, answer.text
    plan = answer.json()
    assert plan["evaluation"]["seed"] == 0
    want = evaluated_here(document, M, 0)
    assert_same_evaluation(plan, want)
    assert want["objective"] != evaluated_here(document, M, 8)["objective"]


def _only_error(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 422, answer.text
    (error,) = answer.json()["errors"]
    found: dict[str, Any] = error
    return found


def test_listed_outcomes_cannot_be_evaluated(alpha: httpx.Client) -> None:
    for query in ({"evaluate": M}, {"evaluate": M, "validate_only": True}):
        error = _only_error(alpha.post("/v1/hedge", params=query, json=listed(0.5)))
        assert error["pointer"] == "/query/evaluate" and error["value"] == M
        assert "sample" in error["rule"]
    checked = alpha.post("/v1/hedge", params={"validate_only": True, "evaluate": M},
                         json=sampled(10))  # fmt: skip
    assert checked.status_code == 200 and checked.json() == {"valid": True}


@pytest.mark.parametrize(
    ("query", "where"),
    [
        ({"evaluate": 0}, "/query/evaluate"),
        ({"evaluate": 10_001}, "/query/evaluate"),
        ({"evaluate": M, "evaluate_seed": -1}, "/query/evaluate_seed"),
        ({"evaluate_seed": 3}, "/query/evaluate_seed"),
        ({"evaluate_seed": 3, "validate_only": True}, "/query/evaluate_seed"),
    ],
)
def test_out_of_range_or_alone_is_refused(
    query: dict[str, Any], where: str, alpha: httpx.Client
) -> None:
    assert _only_error(alpha.post("/v1/hedge", params=query, json=sampled(10)))["pointer"] == where


def test_a_hedge_job_evaluates_its_plan(alpha: httpx.Client) -> None:
    document = sampled(10, seed=7, alpha=0.8, weight=0.5)
    body = {"hedge": document, "evaluate": M, "evaluate_seed": 3, "options": {"time_limit": 10}}
    answer = alpha.post("/v1/jobs", json=body)
    assert answer.status_code == 202, answer.text
    job = wait_for_job(alpha, answer.json()["id"], ("completed", "failed"))
    assert job["state"] == "completed" and (job["solved"], job["total"]) == (1, 1), job
    (item,) = alpha.get(f"/v1/jobs/{job['id']}/plans").json()["items"]
    assert item["state"] == "solved" and item["plan"]["evaluation"]["seed"] == 3
    assert_same_evaluation(item["plan"], evaluated_here(document, M, 3))
    default = alpha.post("/v1/jobs", json={"hedge": sampled(10, seed=7), "evaluate": M})
    assert default.status_code == 202, default.text
    job = wait_for_job(alpha, default.json()["id"], ("completed", "failed"))
    (item,) = alpha.get(f"/v1/jobs/{job['id']}/plans").json()["items"]
    assert_same_evaluation(item["plan"], evaluated_here(sampled(10, seed=7), M, 8))


def test_a_job_refused_for_its_evaluation_is_not_stored(alpha: httpx.Client) -> None:
    before = alpha.get("/v1/jobs").json()["total"]
    scenario = sampled()["base"]
    refused = [
        ({"scenarios": [scenario], "evaluate": M}, "/evaluate"),
        ({"hedge": listed(0.5), "evaluate": M}, "/evaluate"),
        ({"hedge": sampled(10), "evaluate_seed": 3}, "/evaluate_seed"),
        ({"hedge": sampled(10), "evaluate": 0}, "/evaluate"),
        ({"hedge": sampled(10), "evaluate": 10_001}, "/evaluate"),
        ({"hedge": sampled(10), "evaluate": M, "evaluate_seed": -1}, "/evaluate_seed"),
    ]
    for body, where in refused:
        error = _only_error(alpha.post("/v1/jobs", json=body))
        assert error["pointer"] == where, (body.keys(), error)
    error = _only_error(alpha.post("/v1/jobs", json={"hedge": listed(0.5), "evaluate": M}))
    assert error["value"] == M and "sample" in error["rule"]
    assert alpha.get("/v1/jobs").json()["total"] == before


def test_an_evaluation_larger_than_a_hedge_may_be_is_refused_before_any_solve(
    alpha: httpx.Client,
) -> None:
    """The test service takes at most 5,000 demand rows: M fresh outcomes of a base with
    d rows are held to d * M, as M outcomes of a hedge are."""
    document = sampled(10)
    rows = len(document["base"]["demand"])
    m = 5_000 // rows + 1
    before = alpha.get("/v1/jobs").json()["total"]
    for answer, where in (
        (alpha.post("/v1/hedge", params={"evaluate": m}, json=document), "/query/evaluate"),
        (alpha.post("/v1/jobs", json={"hedge": document, "evaluate": m}), "/evaluate"),
    ):
        error = _only_error(answer)
        assert error["pointer"] == where and error["value"] == m
        assert f"demand rows summed over its {m:,} fresh outcomes" in error["rule"]
        assert "at most 5,000" in error["rule"]
    assert alpha.get("/v1/jobs").json()["total"] == before
    just = alpha.post("/v1/hedge", params={"evaluate": m - 1, "validate_only": True},
                      json=document)  # fmt: skip
    assert just.status_code == 200, just.text
