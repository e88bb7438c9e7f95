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
from optimizer.whatif.hedge_alone import Alone, AloneTask, Shared, solve_alone_each
from optimizer.whatif.hedge_document import Hedge, Outcome
from optimizer.whatif.hedge_form import SharedValues
from optimizer.whatif.runs import IN_PROCESS, Executor

Z95 = 1.959963984540054
NAMED = 10  # outcomes named when the fixed plan cannot be completed in them
FIXED = "fixed"  # the plan whose decisions are fixed


def completed(
    hedge: Hedge,
    shared: SharedValues,
    outcomes: Sequence[Outcome],
    options: SolveOptions,
    executor: Executor = IN_PROCESS,
) -> list[Alone]:
    """Each outcome completed at least cost with the here-and-now decisions fixed (a
    cost of None where they cannot be): one by one, since fixing them makes the
    outcomes independent (`hedge_alone.py`)."""
    tasks = [AloneTask(o.scenario, FIXED) for o in outcomes]
    plans = {FIXED: shared}
    return solve_alone_each(Shared(hedge.base, hedge.reveal_at, options, plans), tasks, executor)


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
    executor: Executor = IN_PROCESS,
    solved: Sequence[Alone] | None = None,
) -> dict[str, Any]:
    """The out-of-sample block of a hedged plan document; `solved`, the outcomes already
    completed (`completed`), else they are here, on `executor`. `evaluation_s` is the
    time spent completing them (summed over processes, when they ran on several)."""
    if solved is None:
        solved = completed(hedge, shared, outcomes, options, executor)
    started = time.perf_counter()
    costs = [a.cost for a in solved]
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
        found = [float(c) for c in costs if c is not None]
        y = risk_terms(found, hedge.alpha, hedge.weight)
        out["objective"] = float(y.mean())
        out["expected_cost"] = float(np.mean(found))
        out["cvar"] = float(risk_terms(found, hedge.alpha, 1.0).mean())
        if len(y) > 1:
            se = float(y.std(ddof=1) / math.sqrt(len(y)))
            out["standard_error"] = se
            out["ci95"] = [out["objective"] - Z95 * se, out["objective"] + Z95 * se]
    else:
        out["message"] = (
            f"the here-and-now decisions cannot be completed in {len(failed)} of "
            f"{len(outcomes)} outcomes"
        )
    out["evaluation_s"] = time.perf_counter() - started + sum(a.seconds for a in solved)
    return out
