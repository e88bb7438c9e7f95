"""Insight over HTTP: explain on /v1/solve, job reports, /v1/why, sweep and frontier jobs.
Expected values are worked out by hand from c0 (tests/service/data); budget ~20 s."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.service.conftest import wait_for_job
from tests.service.scenarios import C0_OBJECTIVE, c0

INFEASIBLE = Path(__file__).resolve().parents[2] / "instances" / "india-2025-infeasible.json"


def _percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks, written out."""
    v = sorted(values)
    rank = (len(v) - 1) * q
    low = int(rank)
    high = min(low + 1, len(v) - 1)
    return v[low] + (v[high] - v[low]) * (rank - low)


def _finished(client: httpx.Client, answer: httpx.Response) -> str:
    assert answer.status_code == 202, answer.text
    job_id = str(answer.json()["id"])
    assert wait_for_job(client, job_id, ("completed", "failed"))["state"] == "completed"
    return job_id


def test_explain_gives_the_licence_marginal_value(alpha: httpx.Client) -> None:
    plan = alpha.post("/v1/solve", params={"explain": "true"}, json=c0()).json()
    licence = [v for v in plan["marginal_values"] if v["constraint"] == "licence"]
    # one more licensed kg from cn1 (12/kg) replaces one kg from jp1 (22/kg): -10
    assert [(v["id"], v["period"]) for v in licence] == [("L1", None)]
    assert licence[0]["value"] == pytest.approx(-10.0, abs=1e-6)
    plain = alpha.post("/v1/solve", json=c0()).json()
    assert "marginal_values" not in plain and "diagnosis" not in plain


def test_explain_diagnoses_an_infeasible_scenario(alpha: httpx.Client) -> None:
    document = json.loads(INFEASIBLE.read_text())
    plan = alpha.post("/v1/solve", params={"explain": "true"}, json=document).json()
    assert plan["status"] == "infeasible"
    conflict = plan["diagnosis"]["conflict"]
    assert conflict and all(c["constraint"] and c["text"] for c in conflict)
    assert "marginal_values" not in plan


def test_job_report_is_a_page_of_the_plans(alpha: httpx.Client, beta: httpx.Client) -> None:
    names = ["report one", "report two"]
    job_id = _finished(alpha, alpha.post("/v1/jobs", json={"scenarios": [c0(n) for n in names]}))
    page = alpha.get(f"/v1/jobs/{job_id}/report")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert all(n in page.text for n in names) and "<svg" in page.text
    assert beta.get(f"/v1/jobs/{job_id}/report").status_code == 404
    assert alpha.get("/v1/jobs/no-such-job/report").status_code == 404


def test_why_excluding_jp1(alpha: httpx.Client) -> None:
    body = {"scenario": c0(), "exclude": {"supplier": "jp1"}}
    answer = alpha.post("/v1/why", json=body)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    # without jp1: 150 licensed kg from cn1 at 12/kg; defence's 60 kg short at 1000/kg,
    # auto's other 10 kg short at 500/kg
    without = 150 * 12 + 60 * 1000 + 10 * 500
    assert result["base"]["objective"] == pytest.approx(C0_OBJECTIVE)
    assert result["without"]["objective"] == pytest.approx(without)
    assert result["cost_delta"] == pytest.approx(without - C0_OBJECTIVE)
    assert result["shortage_delta_kg"] == pytest.approx(70.0)
    assert result["base_supply_kg"] == pytest.approx(70.0)
    assert result["loss_exceeds_supply"] is False  # 70 kg lost, 70 kg short: no amplification
    assert set(result["binding"]) == {"base", "without"} and result["currency"]


def test_why_from_a_stored_scenario_and_unknown_ids(alpha: httpx.Client) -> None:
    stored = alpha.post("/v1/scenarios", json=c0()).json()["id"]
    answer = alpha.post("/v1/why", json={"scenario_id": stored, "exclude": {"origin": "CN"}})
    assert answer.status_code == 200, answer.text
    assert answer.json()["excluded"]["suppliers"] == ["cn1"]
    unknown = alpha.post("/v1/why", json={"scenario": c0(), "exclude": {"supplier": "zz9"}})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["pointer"] == "/exclude/supplier"
    missing = alpha.post("/v1/why", json={"scenario_id": "nope", "exclude": {"plant": "k"}})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["pointer"] == "/scenario_id"


def _grid_sweep() -> dict[str, Any]:
    return {
        "name": "grid",
        "base": c0(),
        "include_base": False,
        "axes": [
            {"name": "licence", "shock": {"kind": "licence_quantity", "licence": "L1"},
             "levels": [1.0, 0.5]},
            {"name": "demand", "shock": {"kind": "demand"}, "levels": [1.0, 1.5]},
        ],
    }  # fmt: skip


def test_sweep_job_statistics_match_its_plans(alpha: httpx.Client) -> None:
    job_id = _finished(alpha, alpha.post("/v1/jobs", json={"sweep": _grid_sweep()}))
    items = alpha.get(f"/v1/jobs/{job_id}/plans").json()["items"]
    assert [i["scenario"] for i in items] == [
        "licence=1;demand=1", "licence=1;demand=1.5", "licence=0.5;demand=1",
        "licence=0.5;demand=1.5",
    ]  # fmt: skip
    assert items[0]["plan"]["objective"] == pytest.approx(C0_OBJECTIVE)
    stats = alpha.get(f"/v1/jobs/{job_id}/statistics").json()
    costs = [i["plan"]["objective"] for i in items]
    assert stats["members"] == stats["solved"] == 4
    assert stats["total_cost"]["mean"] == pytest.approx(sum(costs) / 4)
    for key, q in (("p5", 0.05), ("p50", 0.5), ("p95", 0.95)):
        assert stats["total_cost"][key] == pytest.approx(_percentile(costs, q))
    for sector in ("defence", "auto"):
        short = [
            sum(r["kg"] for r in i["plan"]["shortages"] if r["sector"] == sector) for i in items
        ]
        assert stats["shortage_kg"][sector]["mean"] == pytest.approx(sum(short) / 4)
        assert stats["shortage_kg"][sector]["p95"] == pytest.approx(_percentile(short, 0.95))


def test_bad_sweep_spec_names_the_pointer(alpha: httpx.Client) -> None:
    spec = _grid_sweep()
    spec["axes"][0]["shock"]["licence"] = "L9"
    answer = alpha.post("/v1/jobs", json={"sweep": spec})
    assert answer.status_code == 422
    assert all(e["pointer"].startswith("/sweep") for e in answer.json()["errors"])


def test_frontier_job(alpha: httpx.Client) -> None:
    body = {"frontier": {"scenario": c0(), "origin": "CN", "steps": 3}}
    job_id = _finished(alpha, alpha.post("/v1/jobs", json=body))
    found = alpha.get(f"/v1/jobs/{job_id}/frontier").json()
    assert found["origin"] == "CN"
    assert [p["cap"] for p in found["evaluated"]] == [1.0, 0.5, 0.0]
    assert found["evaluated"][0]["objective"] == pytest.approx(C0_OBJECTIVE)
    # no CN at all: jp1's 100 kg a period at 22/kg, auto 10 kg short a period at 500/kg
    assert found["evaluated"][2]["objective"] == pytest.approx(200 * 22 + 20 * 500)
    assert found["evaluated"][2]["share"] == pytest.approx(0.0, abs=1e-9)
    assert all(p["share"] <= p["cap"] + 1e-6 for p in found["evaluated"])
    assert found["points"]


def test_oversized_monte_carlo_sweep_is_refused_before_expansion(alpha: httpx.Client) -> None:
    spec = _grid_sweep()
    spec.update(mode="monte_carlo", samples=5000, seed=1)
    for axis in spec["axes"]:
        axis.pop("levels")
        axis["distribution"] = {"type": "uniform", "low": 0.5, "high": 1.5}
    answer = alpha.post("/v1/jobs", json={"sweep": spec})
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    assert error["pointer"] == "/sweep" and "scenarios in one job" in error["rule"]
