"""Re-solving a run of similar scenarios on one HiGHS object, from the previous basis.

Sweep members, exclusions and frontier points usually change only numbers: costs,
bounds, right-hand sides, matrix coefficients. For such a member the model is built
as arrays (cheap), compared with the model HiGHS holds, and only the differences are
handed over (`changeColsCost`, `changeColsBounds`, `changeRowsBounds`, `changeCoeff`);
HiGHS then starts from the basis it kept. When the shape differs (columns or rows come
or go, a coefficient moves to another place, integrality changes) the model is passed
whole, as `solve` does.

The shape is compared on the matrix *before* zero coefficients are dropped, so a
coefficient that becomes 0 (a gated capacity of 0) or stops being 0 stays a hot start:
`changeCoeff` removes or inserts the entry.

MILP members are re-solved on the same object too, with the previous member's solution
offered as a starting incumbent (`setSolution`; HiGHS checks it and ignores an
infeasible one). A MIP has no basis to keep: what is saved is the model hand-over and,
where the old plan still fits, the search for a first incumbent.

Hot starts have been reported to return wrong objectives in some HiGHS versions, so
`solve(..., verify=True)` also solves the member cold and keeps the cold plan when the
two disagree (and then starts the next member cold).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import highspy
import numpy as np

from optimizer.model import highs_backend as backend
from optimizer.model.build import build_model
from optimizer.model.lp import LinearModel
from optimizer.model.plan import error_plan, outcome_plan, plan_with
from optimizer.model.plan_types import Plan
from optimizer.options import SolveOptions
from optimizer.scenario.schema import Scenario

HOT, COLD, REBUILT = "hot", "cold", "rebuilt"  # how a member was started; see MemberSolve
SIMPLEX_CHOOSE, SIMPLEX_PRIMAL = 0, 4  # HiGHS's simplex_strategy values
AGREE_REL = 1e-6  # objectives of a hot and a cold solve must agree to this (MODEL.md precision)


@dataclass(frozen=True)
class ModelArrays:
    """A model as the arrays HiGHS receives, with the matrix kept in block (COO) order and
    its zero coefficients kept, so that two models of one shape line up entry by entry."""

    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    entry_row: np.ndarray
    entry_col: np.ndarray
    entry_val: np.ndarray

    @classmethod
    def of(cls, m: LinearModel) -> ModelArrays:
        cost, lower, upper, integer = m.column_arrays()
        row_lower, row_upper = m.row_bounds()
        blocks = list(m.constraints.values())
        rows = [b.rows + b.start for b in blocks]
        cat = (lambda parts: np.concatenate(parts)) if blocks else (lambda parts: np.zeros(0))
        return cls(
            cost, lower, upper, integer.astype(bool), row_lower, row_upper,
            cat(rows).astype(np.int64), cat([b.cols for b in blocks]).astype(np.int64),
            cat([b.vals for b in blocks]).astype(float),
        )  # fmt: skip

    def same_shape(self, other: ModelArrays) -> bool:
        """Same columns, rows, integrality and places of matrix entries: values may differ."""
        return (
            len(self.cost) == len(other.cost)
            and len(self.row_lower) == len(other.row_lower)
            and np.array_equal(self.integrality, other.integrality)
            and np.array_equal(self.entry_row, other.entry_row)
            and np.array_equal(self.entry_col, other.entry_col)
        )


@dataclass(frozen=True)
class Changes:
    """How many numbers a hot start handed to HiGHS."""

    costs: int
    col_bounds: int
    row_bounds: int
    coefficients: int


def apply_differences(h: highspy.Highs, old: ModelArrays, new: ModelArrays) -> Changes:
    """Hand HiGHS only what differs between two models of one shape."""
    cols = np.nonzero(old.cost != new.cost)[0]
    _check(h.changeColsCost(len(cols), cols.astype(np.int32), new.cost[cols]))
    bounds = np.nonzero((old.col_lower != new.col_lower) | (old.col_upper != new.col_upper))[0]
    _check(
        h.changeColsBounds(
            len(bounds), bounds.astype(np.int32), new.col_lower[bounds], new.col_upper[bounds]
        )
    )
    rows = np.nonzero((old.row_lower != new.row_lower) | (old.row_upper != new.row_upper))[0]
    _check(
        h.changeRowsBounds(  # type: ignore[attr-defined]  # missing from highspy's stubs
            len(rows), rows.astype(np.int32), new.row_lower[rows], new.row_upper[rows]
        )
    )
    entries = np.nonzero(old.entry_val != new.entry_val)[0]
    for r, c, v in zip(
        new.entry_row[entries].tolist(),
        new.entry_col[entries].tolist(),
        new.entry_val[entries].tolist(),
        strict=True,
    ):
        _check(h.changeCoeff(r, c, v))
    return Changes(len(cols), len(bounds), len(rows), len(entries))


def hand_over(h: highspy.Highs, old: ModelArrays, new: ModelArrays, is_mip: bool) -> None:
    """Only the differences between the model HiGHS holds (`old`) and `new`. For an LP,
    new costs go first and are re-optimised by primal simplex from the old basis, which
    they leave primal feasible; new limits then go in and dual simplex goes on from that
    basis, which they leave dual feasible. One dual run from a basis that is neither
    takes far more pivots: on the benchmark LP, a tariff change alone takes a handful of
    primal pivots against over a thousand dual ones."""
    if not is_mip:
        with_costs = replace(old, cost=new.cost)
        costs_changed = apply_differences(h, old, with_costs).costs > 0
        h.setOptionValue("simplex_strategy", SIMPLEX_PRIMAL if costs_changed else SIMPLEX_CHOOSE)
        if costs_changed and _limits_differ(with_costs, new):
            h.run()  # the new costs alone; its result only serves as the next start
            h.setOptionValue("simplex_strategy", SIMPLEX_CHOOSE)
        old = with_costs
    apply_differences(h, old, new)


def _limits_differ(a: ModelArrays, b: ModelArrays) -> bool:
    """Anything but the costs differs: bounds, right-hand sides, coefficients."""
    return not (
        np.array_equal(a.col_lower, b.col_lower)
        and np.array_equal(a.col_upper, b.col_upper)
        and np.array_equal(a.row_lower, b.row_lower)
        and np.array_equal(a.row_upper, b.row_upper)
        and np.array_equal(a.entry_val, b.entry_val)
    )


def _check(status: highspy.HighsStatus) -> None:
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS refused a change to the model")


@dataclass(frozen=True)
class MemberSolve:
    """A plan (its JSON document, as `solve` returns it) and how it was reached: `hot`
    (differences applied to the previous model), `cold` (first model), `rebuilt` (shape
    changed, model passed whole). `verified` is None when no cold check ran, else whether
    the hot and cold solves agreed. `typed` is the plan as `solve_plan` returns it."""

    plan: dict[str, Any]
    start: str
    verified: bool | None = None
    typed: Plan | None = None

    @classmethod
    def of(cls, plan: Plan, start: str, verified: bool | None = None) -> MemberSolve:
        return cls(plan.to_document(), start, verified, plan)


class HotStartSolver:
    """Solves scenarios one after another, each from the state the previous one left."""

    def __init__(self, options: SolveOptions | None = None, hot: bool = True):
        self.options = options or SolveOptions()
        self.hot = hot
        self._h: highspy.Highs | None = None
        self._arrays: ModelArrays | None = None
        self._x: np.ndarray | None = None  # last solution, offered to the next MILP

    def solve(self, scenario: Scenario, verify: bool = False) -> MemberSolve:
        """Plan of a validated scenario; never raises (failures are `error` plans)."""
        started = time.perf_counter()
        try:
            model, ix = build_model(scenario)
            arrays = ModelArrays.of(model)
            start = self._load(model, arrays)
            built = time.perf_counter()
            outcome = backend.run(self._h, model.is_mip)  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 — every outcome is a plan, never a stack trace
            self._forget()
            return MemberSolve.of(error_plan(exc, started), COLD)
        solved = time.perf_counter()
        self._x = outcome.x
        plan = outcome_plan(model, ix, outcome, scenario, (started, built, solved))
        if verify and start == HOT:
            return self._verified(scenario, plan)
        return MemberSolve.of(plan, start)

    def _load(self, model: LinearModel, arrays: ModelArrays) -> str:
        """Put the model into HiGHS: differences only when the shape allows, else whole."""
        if self.hot and self._h is not None and self._arrays is not None:
            if self._arrays.same_shape(arrays):
                try:
                    self._hand_over(model, arrays)
                    return HOT
                except RuntimeError:
                    pass  # fall through to a whole hand-over
            start = REBUILT
        else:
            start = COLD if self._h is None else REBUILT
        self._forget()
        self._h = backend.new_highs(self.options)
        backend.pass_model(self._h, model)
        self._arrays = arrays
        return start

    def _hand_over(self, model: LinearModel, arrays: ModelArrays) -> None:
        assert self._h is not None and self._arrays is not None
        hand_over(self._h, self._arrays, arrays, model.is_mip)
        self._arrays = arrays
        self._offer_incumbent(model)

    def _offer_incumbent(self, model: LinearModel) -> None:
        if model.is_mip and self._x is not None and self._h is not None:
            solution = highspy.HighsSolution()
            solution.col_value = self._x.tolist()
            solution.value_valid = True
            self._h.setSolution(solution)

    def _verified(self, scenario: Scenario, hot_plan: Plan) -> MemberSolve:
        cold = HotStartSolver(self.options, hot=False).solve(scenario).typed
        assert cold is not None
        if plans_agree(hot_plan, cold):
            return MemberSolve.of(hot_plan, HOT, verified=True)
        self._forget()  # the hot state is suspect: the next member starts afresh
        message = "hot start disagreed with a cold solve; the cold plan is kept"
        return MemberSolve.of(plan_with(cold, message=message), HOT, verified=False)

    def _forget(self) -> None:
        self._h, self._arrays, self._x = None, None, None


def plans_agree(a: Plan | dict[str, Any], b: Plan | dict[str, Any], rel: float = AGREE_REL) -> bool:
    """Same status and objectives equal to `rel` (absolute 1e-6 near zero)."""
    (status_a, x), (status_b, y) = _status_objective(a), _status_objective(b)
    if status_a != status_b:
        return False
    if x is None or y is None:
        return x is None and y is None
    return abs(x - y) <= max(rel * max(abs(x), abs(y)), 1e-6)


def _status_objective(plan: Plan | dict[str, Any]) -> tuple[str, float | None]:
    if isinstance(plan, Plan):
        return str(plan.status), plan.objective
    return plan["status"], plan["objective"]
