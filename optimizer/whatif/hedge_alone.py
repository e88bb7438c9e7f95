"""Outcomes solved alone, behind a hedged plan's values (MODEL.md §6): each outcome's
document as a one-outcome extensive form, its here-and-now columns free (wait-and-see)
or fixed to a plan's decisions (the value of hedging, the premium, out-of-sample
evaluation).

With its shared columns fixed the extensive form falls apart into one independent block
per outcome, so the least cost of each outcome is the same whether the outcomes are
solved together or one by one; one by one they are spread over the executor in runs of
neighbouring outcomes (`runs.py`), each solved from its neighbour's basis
(`hedge_hot_start.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from optimizer.model.status import PlanStatus
from optimizer.options import SolveOptions
from optimizer.scenario.schema import Scenario
from optimizer.whatif.hedge_form import SharedValues, build_extensive_form
from optimizer.whatif.hedge_hot_start import FormSolver
from optimizer.whatif.runs import IN_PROCESS, Executor, map_runs

FREE = ""  # a task's plan name: no here-and-now decision fixed


@dataclass(frozen=True)
class Alone:
    """One outcome solved alone: its least cost (None without a solution), its status,
    how its solve was started, and the seconds it took."""

    cost: float | None
    status: PlanStatus
    start: str
    seconds: float


@dataclass(frozen=True)
class AloneTask:
    """What to solve: an outcome's document, and the name of the plan whose here-and-now
    decisions are fixed (FREE: none)."""

    scenario: Scenario
    plan: str = FREE


@dataclass(frozen=True)
class Shared:
    """What every task of a map needs: the hedge's base (which orders the shared
    columns), the reveal position, the options and the plans that tasks fix."""

    base: Scenario
    reveal_at: int
    options: SolveOptions
    plans: Mapping[str, SharedValues]
    hot: bool = True


def solve_alone_each(
    shared: Shared, tasks: Sequence[AloneTask], executor: Executor = IN_PROCESS
) -> list[Alone]:
    """Every task's outcome solved alone, in the tasks' order."""
    found: list[Alone] = map_runs(_prepare, _solve_run, shared, list(tasks), executor)
    return found


def starts(found: Sequence[Alone]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for a in found:
        counts[a.start] = counts.get(a.start, 0) + 1
    return counts


def _prepare(shared: Shared) -> tuple[Shared, FormSolver]:
    return shared, FormSolver(shared.options, hot=shared.hot)


def _solve_run(state: tuple[Shared, FormSolver], run: list[AloneTask]) -> list[Alone]:
    shared, solver = state
    return [_solve_one(shared, solver, task) for task in run]


def _solve_one(shared: Shared, solver: FormSolver, task: AloneTask) -> Alone:
    fixed: Any = shared.plans[task.plan] if task.plan != FREE else None
    form = build_extensive_form([task.scenario], [1.0], shared.reveal_at, shared.base, fixed=fixed)
    found, start = solver.solve(form)
    cost = found.costs[0] if found.has_solution else None
    return Alone(cost, found.outcome.status, start, found.build_s + found.solve_s)
