"""The extensive form of a hedged plan (MODEL.md §6) written out in Pyomo: the reference
formulation the array-built one (`optimizer/whatif/hedge_form.py`) is checked against.

One block per outcome, each the reference model of `pyomo_model.py` on the outcome's
document, and non-anticipativity as the page states it: equality rows tying each
here-and-now variable of every outcome to the first outcome holding it; where an
outcome's document rules the variable out (it has no such variable), it is fixed at 0
in every outcome. `active` and `order` exist only where a fixed cost or a minimum order
needs them, and MODEL.md §7's q, y, excess, qual and u only where the outcome has the
rule, so an outcome without them is not tied. The CVaR part is eta free and
z_w >= C_w - eta, z_w >= 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyomo.environ as pyo

from optimizer.model.pyomo_model import build_pyomo_model
from optimizer.model.pyomo_solve import _run
from optimizer.options import SolveOptions
from optimizer.scenario.schema import Scenario

# variable -> position of the period in its index (None: decided up front, every period)
HERE_AND_NOW: dict[str, int | None] = {
    "buy": 2, "make": 2, "use": 3, "inv": 2, "short": 2, "lic": 3, "order": 1,
    "active_": None, "build": None,
    "q": 2, "y": 2, "excess": 1, "qual": None, "u": None,  # MODEL.md §7
}  # fmt: skip
# Variables that exist only where an outcome has the rule that needs them: an outcome
# without one is not tied (a fixed cost, a minimum order, §7's discounts, penalties,
# qualifications and caps on suppliers).
NOT_TIED_WHEN_ABSENT = frozenset({"active_", "order", "q", "y", "excess", "qual", "u"})


def build_pyomo_hedge(
    scenarios: Sequence[Scenario],
    probabilities: Sequence[float],
    reveal_at: int,
    alpha: float = 0.9,
    weight: float = 0.0,
) -> pyo.ConcreteModel:
    ef = pyo.ConcreteModel(name="hedge")
    ef.outcomes = pyo.Set(initialize=range(len(scenarios)), ordered=True)
    blocks = []
    for w, sc in enumerate(scenarios):
        b = build_pyomo_model(sc)
        b.total_cost.deactivate()
        ef.add_component(f"outcome_{w}", b)
        blocks.append(b)
    ef.non_anticipativity = pyo.ConstraintList()
    for name, at in HERE_AND_NOW.items():
        first: dict[Any, Any] = {}
        holders: dict[Any, int] = {}
        for b in blocks:
            var = getattr(b, name)
            for idx in var:
                key = idx if isinstance(idx, tuple) else (idx,)
                if at is not None and key[at] >= reveal_at:
                    continue
                holders[key] = holders.get(key, 0) + 1
                if key in first:
                    ef.non_anticipativity.add(var[idx] == first[key])
                else:
                    first[key] = var[idx]
        if name in NOT_TIED_WHEN_ABSENT:
            continue
        for key, count in holders.items():
            if count < len(blocks):  # ruled out somewhere: 0 everywhere
                for b in blocks:
                    var = getattr(b, name)
                    idx = key if len(key) > 1 else key[0]
                    if idx in var:
                        var[idx].fix(0)
    cost = {w: blocks[w].total_cost.expr for w in range(len(blocks))}
    ef.eta = pyo.Var(within=pyo.Reals)
    ef.z = pyo.Var(ef.outcomes, within=pyo.NonNegativeReals)
    ef.tail = pyo.Constraint(ef.outcomes, rule=lambda m, w: m.z[w] >= cost[w] - m.eta)
    p = list(probabilities)
    expected = sum(p[w] * cost[w] for w in ef.outcomes)
    risk = ef.eta + sum(p[w] * ef.z[w] for w in ef.outcomes) / (1 - alpha)
    if weight == 0:
        ef.tail.deactivate()
        ef.eta.fix(0)
        ef.z.fix(0)
    ef.total_cost = pyo.Objective(expr=(1 - weight) * expected + weight * risk)
    return ef


def solve_pyomo_hedge(
    scenarios: Sequence[Scenario],
    probabilities: Sequence[float],
    reveal_at: int,
    alpha: float = 0.9,
    weight: float = 0.0,
    options: SolveOptions | None = None,
) -> tuple[str, float | None]:
    """Status and objective of the reference extensive form, solved by HiGHS through Pyomo."""
    model = build_pyomo_hedge(scenarios, probabilities, reveal_at, alpha, weight)
    status, objective, _ = _run(model, options or SolveOptions())
    return str(status), objective
