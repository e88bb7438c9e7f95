"""Sampled outcomes (a seeded Monte Carlo draw of shock axes, as a sweep spec draws) and
the out-of-sample evaluation of a hedged plan: reproducible with a seed; on the hedge's own
outcomes the evaluation is the in-sample objective; the interval narrows with M."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cli.main import main
from optimizer.errors import ScenarioError
from optimizer.options import SolveOptions
from optimizer.whatif.hedge_document import draw_outcomes, parse_hedge
from optimizer.whatif.hedge_evaluate import evaluation, risk_terms
from optimizer.whatif.hedge_values import cvar, hedged_plan, risk_value, solve_hedged
from tests.whatif.test_hedge_values import two_periods

# how much of cn's capacity is left in t1: 0 (a halt) to 1, uniformly
CN_LEFT = {
    "name": "cn_left",
    "shock": {"kind": "capacity", "origin": "CN", "periods": ["t1"]},
    "distribution": {"type": "uniform", "low": 0.0, "high": 1.0},
}


def sampled(n: int = 30, seed: int = 7, **risk: float) -> dict[str, Any]:
    return {
        "name": "sampled",
        "base": two_periods(),
        "reveal": "t1",
        "outcomes": {"sample": {"n": n, "seed": seed, "axes": [CN_LEFT]}},
        "risk": risk,
    }


def test_a_sample_is_n_equally_likely_outcomes_drawn_with_its_seed() -> None:
    h = parse_hedge(sampled(30, seed=7))
    assert [o.name for o in h.outcomes][:2] == ["mc-01", "mc-02"] and len(h.outcomes) == 30
    assert h.probabilities == [1 / 30] * 30
    draws = [o.levels["cn_left"] for o in h.outcomes]  # type: ignore[index]
    assert draws == list(np.random.default_rng(7).uniform(0.0, 1.0, 30))  # the sweep's draws
    caps = [o.scenario.suppliers[0].capacity for o in h.outcomes]
    assert caps == [[100.0, 100.0 * d] for d in draws]
    again = parse_hedge(sampled(30, seed=7))
    assert [o.document for o in again.outcomes] == [o.document for o in h.outcomes]
    other = parse_hedge(sampled(30, seed=8))
    assert [o.levels for o in other.outcomes] != [o.levels for o in h.outcomes]


def test_the_plan_by_hand_and_its_outcome_rows() -> None:
    # 50 kg a period; cn 10/kg (100 kg in t0, 100 d kg in t1), jp 20/kg, holding 1/kg.
    # A kg bought in t0 for t1 costs 11: it saves 20 where cn falls short in t1 (jp's
    # price), 10 where it does not. So the plan pre-buys x kg, cn short in at most a tenth
    # of the draws: 50 - x = 100 d of the third smallest of the 30 draws.
    h = parse_hedge(sampled(30, seed=7))
    third = sorted(o.levels["cn_left"] for o in h.outcomes)[2]  # type: ignore[index]
    plan = hedged_plan(h)
    assert plan["status"] == "optimal" and plan["sample"] == {"n": 30, "seed": 7}
    rows = plan["outcomes"]
    assert len(rows) == 30 and all(r["probability"] == pytest.approx(1 / 30) for r in rows)
    assert all(set(r["levels"]) == {"cn_left"} for r in rows)
    pre = sum(r["kg"] for r in plan["here_and_now"]["deliveries"]) - 50.0
    assert pre == pytest.approx(50.0 - 100.0 * third, rel=1e-9)
    for r in rows:
        d = r["levels"]["cn_left"]
        from_cn = min(50.0 - pre, 100.0 * d)
        by_hand = 10 * (50 + pre) + pre + 10 * from_cn + 20 * (50.0 - pre - from_cn)
        assert r["objective"] == pytest.approx(by_hand, rel=1e-9)


@pytest.mark.parametrize("weight", [0.0, 0.5, 1.0])
def test_evaluated_on_its_own_outcomes_the_plan_scores_its_objective(weight: float) -> None:
    h = parse_hedge(sampled(20, seed=3, alpha=0.8, weight=weight))
    plan = hedged_plan(h, fresh=h.outcomes, fresh_seed=3)
    ev = plan["evaluation"]
    assert ev["objective"] == pytest.approx(plan["objective"], rel=1e-9)
    assert ev["in_sample_objective"] == plan["objective"]
    assert ev["expected_cost"] == pytest.approx(plan["expected_cost"], rel=1e-9)
    assert ev["cvar"] == pytest.approx(plan["cvar"], rel=1e-9)
    lo, hi = ev["ci95"]
    assert lo <= ev["objective"] <= hi and ev["infeasible"] == 0


def test_the_mean_of_the_risk_terms_is_the_risk_objective() -> None:
    rng = np.random.default_rng(0)
    for m in (1, 2, 7, 10, 100):
        costs = list(rng.gamma(2.0, 100.0, m))
        p = [1 / m] * m
        for alpha, weight in ((0.9, 1.0), (0.5, 0.3), (0.0, 1.0), (0.95, 0.0)):
            got = float(risk_terms(costs, alpha, weight).mean())
            assert got == pytest.approx(risk_value(costs, p, alpha, weight), rel=1e-12)
            assert float(risk_terms(costs, alpha, 1.0).mean()) == pytest.approx(
                cvar(costs, p, alpha), rel=1e-12
            )


def test_the_interval_narrows_with_m_and_fresh_draws_are_reproducible() -> None:
    h = parse_hedge(sampled(20, seed=7))
    shared = solve_hedged(h, SolveOptions()).shared
    widths = []
    for m in (25, 400):
        fresh = draw_outcomes(h, m, 8)
        assert [o.levels for o in fresh] == [o.levels for o in draw_outcomes(h, m, 8)]
        ev = evaluation(h, SolveOptions(), shared, fresh, 8, 0.0)
        widths.append(ev["ci95"][1] - ev["ci95"][0])
        assert ev["standard_error"] * 2 * 1.959963984540054 == pytest.approx(widths[-1])
    assert widths[1] < widths[0] / 2  # about sqrt(16) = 4 times narrower


def test_a_fixed_plan_that_cannot_be_completed_names_the_outcomes() -> None:
    h = parse_hedge(sampled(10, seed=1))
    plan = hedged_plan(h)
    shared = solve_hedged(h, SolveOptions()).shared
    assert sum(r["kg"] for r in plan["here_and_now"]["deliveries"]) >= 50.0  # cn, in t0
    # fresh outcomes where cn may deliver nothing in t0, where the plan has it deliver
    halt_t0 = {"name": "t0", "shock": {"kind": "capacity", "origin": "CN", "periods": ["t0"]},
               "distribution": {"type": "choice", "values": [0.0, 1.0]}}  # fmt: skip
    doc = sampled(10, seed=1)
    doc["outcomes"]["sample"]["axes"] = [CN_LEFT, halt_t0]
    fresh = draw_outcomes(parse_hedge(doc), 40, 2)
    stopped = [o.name for o in fresh if o.levels["t0"] == 0.0]  # type: ignore[index]
    ev = evaluation(h, SolveOptions(), shared, fresh, 2, plan["objective"])
    assert ev["objective"] is None and ev["ci95"] is None
    assert ev["infeasible"] == len(stopped) > 0
    assert ev["infeasible_outcomes"] == stopped[:10]
    assert "cannot be completed in" in ev["message"]


def test_a_bad_sample_is_named_under_outcomes_sample() -> None:
    doc = sampled()
    doc["outcomes"]["sample"]["n"] = 0
    doc["outcomes"]["sample"]["axes"] = [{**CN_LEFT, "shock": {"kind": "capacity", "origin": "XX"}}]
    with pytest.raises(ScenarioError) as caught:
        parse_hedge(doc)
    assert [p.pointer for p in caught.value.problems] == ["/outcomes/sample/n"]
    doc["outcomes"]["sample"]["n"] = 5
    with pytest.raises(ScenarioError) as caught:
        parse_hedge(doc)
    assert [(p.pointer, p.value) for p in caught.value.problems] == [
        ("/outcomes/sample/axes/0/shock/origin/0", "XX")
    ]
    doc = sampled()
    doc["outcomes"]["sample"]["axes"] = [
        {"name": "d", "shock": {"kind": "demand"}, "distribution": CN_LEFT["distribution"]}
    ]  # demand of t0, before reveal, would differ from base's
    with pytest.raises(ScenarioError) as caught:
        parse_hedge(doc)
    first = caught.value.problems[0]
    assert first.pointer == "/outcomes/sample/draws/0" and "before reveal" in first.rule


def test_the_command_evaluates_out_of_sample(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "h.json"
    path.write_text(json.dumps(sampled(20, seed=7)), encoding="utf-8")
    assert main(["hedge", str(path), "--evaluate", "50"]) == 0
    plan = json.loads(capsys.readouterr().out)
    ev = plan["evaluation"]
    assert (
        ev["outcomes"] == 50 and ev["seed"] == 8 and ev["in_sample_objective"] == plan["objective"]
    )
    assert main(["hedge", str(path), "--evaluate", "50", "--evaluate-seed", "7"]) == 0
    again = json.loads(capsys.readouterr().out)["evaluation"]
    assert again["seed"] == 7 and again["objective"] != ev["objective"]
    assert main(["hedge", str(path), "--evaluate", "50", "--format", "table"]) == 0
    text = capsys.readouterr().out
    assert (
        "20 sampled outcomes (seed 7)" in text
        and "out of sample (50 fresh outcomes, seed 8)" in text
    )
    listed = tmp_path / "listed.json"
    doc = sampled()
    doc["outcomes"] = [{"name": "only", "probability": 1.0, "shocks": []}]
    listed.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["hedge", str(listed), "--evaluate", "5"]) == 2
    assert "--evaluate needs the outcomes given as a sample" in capsys.readouterr().err
    assert main(["hedge", str(path), "--evaluate", "0"]) == 2
    assert main(["hedge", str(path), "--evaluate-seed", "3"]) == 2
