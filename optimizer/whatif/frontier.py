"""Total cost against one origin's share of supply: an ε-constraint frontier.

The cap `policy.max_origin_share[origin]` is swept over a grid (1.0 down to 0 by
default) and each point is solved from the previous one's basis (`hot_start.py`). A cap
of 1 adds no rows (docs/model-notes.md), so the first tighter cap passes the model whole
once; every later cap changes only coefficients of the share rows.

Each point reports the cap, the plan's status and objective, the share the plan
realises (`share`: the largest over the periods with any supply; `share_mean`: the
average over them) and its shortage. `points` keeps only the frontier: solved points
that no other point beats, i.e. none is at most as costly with at most the same share
and strictly better in one. A cap looser than the share it realises gives the same plan
as a tighter one; that point appears once, at its tightest cap. Caps without a solution
(an infeasible cap when shortages cannot absorb it, a time limit without a plan) are not
on the frontier; `evaluated` lists every cap as solved. In an LP the objective cannot
rise as the cap loosens; in a MILP it may, by at most the MIP gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from optimizer.errors import Problem
from optimizer.options import SolveOptions
from optimizer.scenario.parsing import parse_scenario
from optimizer.whatif.hot_start import HotStartSolver
from optimizer.whatif.shocks import OriginShareShock, SpecError, apply_shocks

DEFAULT_STEPS = 11
TOLERANCE = 1e-9  # relative, on the objective, and absolute, on shares, for "same point"


@dataclass(frozen=True)
class FrontierResult:
    origin: str
    points: tuple[dict[str, Any], ...]  # the frontier, by share (cheapest last)
    evaluated: tuple[dict[str, Any], ...]  # every cap, in the order solved

    def as_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "points": list(self.points),
            "evaluated": list(self.evaluated),
        }


def default_caps(steps: int = DEFAULT_STEPS) -> list[float]:
    """`steps` caps from 1.0 down to 0, evenly spaced (one step: 1.0 alone)."""
    if steps < 1:
        raise SpecError([Problem("/steps", steps, "need at least one step")])
    return [1.0] if steps == 1 else [round(float(c), 12) for c in np.linspace(1.0, 0.0, steps)]


def frontier(
    document: dict[str, Any],
    origin: str = "CN",
    caps: list[float] | None = None,
    options: SolveOptions | None = None,
    hot: bool = True,
) -> FrontierResult:
    """Solve the scenario at every cap on `origin`'s share; caps are solved in the order
    given (default 1.0 down to 0), each from the previous basis."""
    base = parse_scenario(document).model_dump(mode="json", exclude_none=True)
    caps = default_caps() if caps is None else caps
    _check_request(base, origin, caps)
    solver = HotStartSolver(options, hot=hot)
    evaluated = []
    for cap in caps:
        cap_shock = OriginShareShock(kind="origin_share", origin=origin, value=cap)
        solved = solver.solve(parse_scenario(apply_shocks(base, [cap_shock])))
        evaluated.append(frontier_point(cap, solved.plan, origin) | {"start": solved.start})
    return FrontierResult(origin, tuple(non_dominated(evaluated)), tuple(evaluated))


def _check_request(base: dict[str, Any], origin: str, caps: list[float]) -> None:
    problems = [
        Problem(f"/caps/{i}", c, "a share cap lies in [0, 1]")
        for i, c in enumerate(caps)
        if not 0 <= c <= 1
    ]
    if origin not in {c["id"] for c in base.get("countries", [])}:
        problems.append(
            Problem("/origin", origin, "unknown origin: not in the scenario's countries")
        )
    if problems:
        raise SpecError(problems)


def frontier_point(cap: float, plan: dict[str, Any], origin: str) -> dict[str, Any]:
    solved = plan["objective"] is not None
    peak, mean = realised_share(plan, origin) if solved else (None, None)
    return {
        "cap": cap,
        "status": plan["status"],
        "objective": plan["objective"],
        "share": peak,
        "share_mean": mean,
        "shortage_kg": sum(r["kg"] for r in plan["shortages"]) if solved else None,
    }


def realised_share(plan: dict[str, Any], origin: str) -> tuple[float, float]:
    """(largest, average) share of `origin` over the periods with any supply; (0, 0) when
    nothing is supplied at all."""
    by_period: dict[str, float] = {}
    for row in plan["origin_share"]:
        by_period.setdefault(row["period"], 0.0)
        if row["origin"] == origin:
            by_period[row["period"]] = row["share"]
    if not by_period:
        return 0.0, 0.0
    shares = list(by_period.values())
    return max(shares), sum(shares) / len(shares)


def non_dominated(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Solved points that no other beats, by share ascending; among equal points, the one
    with the tightest cap."""
    solved = [p for p in points if p["objective"] is not None]
    solved.sort(key=lambda p: (p["share"], p["objective"], p["cap"]))
    kept: list[dict[str, Any]] = []
    for p in solved:
        if not kept:
            kept.append(p)
            continue
        best = kept[-1]["objective"]  # the cheapest point with at most this share
        if p["objective"] < best - TOLERANCE * max(1.0, abs(best)):
            if abs(p["share"] - kept[-1]["share"]) <= TOLERANCE:
                kept[-1] = p  # same share, cheaper: the earlier point was dominated
            else:
                kept.append(p)
    return kept
