"""A hedged plan evaluated out of sample: its here-and-now decisions fixed, each of M fresh
outcomes (drawn from the same axes with another seed) completed at least cost, and the
risk objective of MODEL.md §6 estimated on them with a 95 % confidence interval.

The estimate is the mean of Y_w = (1 - weight) C_w + weight (eta + max(C_w - eta, 0) /
(1 - alpha)) over the M equally likely outcomes, eta the empirical alpha-quantile of the
C_w (the value at risk): by Rockafellar and Uryasev that mean is exactly the risk
objective of the sample, and its standard error sd(Y) / sqrt(M) gives the interval
mean ± 1.96 standard errors (the usual asymptotic interval for the expectation, and for
CVaR with eta at the quantile). Evaluated on the hedge's own outcomes it is the in-sample
objective; the interval narrows as 1 / sqrt(M).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from optimizer.options import SolveOptions
from optimizer.whatif.hedge_document import Hedge, Outcome
from optimizer.whatif.hedge_form import SharedValues, build_extensive_form, solve_form

CHUNK = 50  # outcomes per extensive form: the fixed decisions make each block separate
Z95 = 1.959963984540054
NAMED = 10  # outcomes named when the fixed plan cannot be completed in them


def completed_costs(
    hedge: Hedge, shared: SharedValues, outcomes: Sequence[Outcome], options: SolveOptions
) -> list[float | None]:
    """Each outcome's least cost with the here-and-now decisions fixed (None where they
    cannot be completed). Outcomes are solved in chunks, one at a time where a chunk fails."""
    costs: list[float | None] = []
    for at in range(0, len(outcomes), CHUNK):
        chunk = outcomes[at : at + CHUNK]
        found = _solve(hedge, shared, chunk, options)
        if found is not None:
            costs += found
            continue
        for o in chunk:
            alone = _solve(hedge, shared, [o], options)
            costs.append(None if alone is None else alone[0])
    return costs


def _solve(
    hedge: Hedge, shared: SharedValues, outcomes: Sequence[Outcome], options: SolveOptions
) -> list[float] | None:
    p = [1.0 / len(outcomes)] * len(outcomes)
    scenarios = [o.scenario for o in outcomes]
    form = build_extensive_form(scenarios, p, hedge.reveal_at, hedge.base, fixed=shared)
    found = solve_form(form, options)
    return found.costs if found.has_solution else None


def risk_terms(costs: Sequence[float], alpha: float, weight: float) -> np.ndarray:
    """Y_w of equally likely costs: their mean is the risk objective of §6."""
    c = np.asarray(costs, float)
    if weight == 0:
        return c
    k = max(1, math.ceil(alpha * len(c) - 1e-9))  # the alpha-quantile's rank
    eta = float(np.sort(c)[k - 1])
    tail = eta + np.maximum(c - eta, 0.0) / (1 - alpha)
    return (1 - weight) * c + weight * tail


def evaluation(
    hedge: Hedge,
    options: SolveOptions,
    shared: SharedValues,
    outcomes: Sequence[Outcome],
    seed: int | None,
    in_sample_objective: float,
) -> dict[str, Any]:
    """The out-of-sample block of a hedged plan document."""
    started = time.perf_counter()
    costs = completed_costs(hedge, shared, outcomes, options)
    failed = [o.name for o, c in zip(outcomes, costs, strict=True) if c is None]
    out: dict[str, Any] = {
        "outcomes": len(outcomes),
        "seed": seed,
        "in_sample_objective": in_sample_objective,
        "objective": None,
        "expected_cost": None,
        "cvar": None,
        "standard_error": None,
        "ci95": None,
        "infeasible": len(failed),
        "infeasible_outcomes": failed[:NAMED],
    }
    if not failed:
        solved = [float(c) for c in costs if c is not None]
        y = risk_terms(solved, hedge.alpha, hedge.weight)
        out["objective"] = float(y.mean())
        out["expected_cost"] = float(np.mean(solved))
        out["cvar"] = float(risk_terms(solved, hedge.alpha, 1.0).mean())
        if len(y) > 1:
            se = float(y.std(ddof=1) / math.sqrt(len(y)))
            out["standard_error"] = se
            out["ci95"] = [out["objective"] - Z95 * se, out["objective"] + Z95 * se]
    else:
        out["message"] = (
            f"the here-and-now decisions cannot be completed in {len(failed)} of "
            f"{len(outcomes)} outcomes"
        )
    out["evaluation_s"] = time.perf_counter() - started
    return out
