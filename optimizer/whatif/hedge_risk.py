"""The risk measure of MODEL.md §6 on a discrete distribution of outcome costs.

- `cvar`: CVaR_alpha, the mean of the worst (1 - alpha) probability mass (the minimum
  over eta of eta + Σ p_w max(C_w - eta, 0) / (1 - alpha)).
- `risk_value`: (1 - weight) · Σ p_w C_w + weight · CVaR, the objective of §6.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def cvar(costs: Sequence[float], probabilities: Sequence[float], alpha: float) -> float:
    """Mean cost of the worst (1 - alpha) probability mass."""
    c, p = np.asarray(costs, float), np.asarray(probabilities, float)
    order = np.argsort(-c, kind="stable")
    c, p = c[order], p[order]
    tail = 1.0 - alpha
    before = np.concatenate([[0.0], np.cumsum(p)[:-1]])
    take = np.clip(np.minimum(p, tail - before), 0.0, None)
    return float((take * c).sum() / tail)


def risk_value(
    costs: Sequence[float], probabilities: Sequence[float], alpha: float, weight: float
) -> float:
    expected = float(np.dot(costs, probabilities))
    if weight == 0:
        return expected
    return (1 - weight) * expected + weight * cvar(costs, probabilities, alpha)
