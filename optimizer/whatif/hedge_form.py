"""The extensive form of a hedged plan (MODEL.md §6) as one array model for HiGHS.

mpi-sppy's split: `build_model` is the scenario creator (one outcome's block, the model
of MODEL.md §3 on that outcome's document), and this module ties the blocks together.
Rather than copy the here-and-now variables into every block and tie the copies with
equality rows, each here-and-now variable is ONE column that every block's rows point
at: every variable of a period before `reveal` (buy, make, use, inv, short, lic, order,
and MODEL.md §7's q, y, excess) and active[s], build[k,t], qual[s,t] and u[s,p] for every
period.

Blocks may differ in which columns they have (the array builder leaves out forced zeros:
a longer lead time, a licence that does not cover, a product not stocked). Shared
columns are matched by what they stand for — family and ids — not by position. A
column one outcome rules out is 0 there, so the shared column's upper bound is 0; bounds
are intersected. `active` and `order` are the exception: an outcome without a fixed cost
or minimum order has no such binary because nothing depends on it there, so its absence
constrains nothing; so are §7's columns (q, y, excess, qual, u), which exist only where
the outcome has the rule: an outcome without a discount, a penalty, a qualification or a
cap on suppliers is not bound by the others' decisions on them.

`hedge_blocks.py` lays the blocks side by side (matching shared columns, intersecting
bounds); this module adds what ties them into §6's objective and fixes a given plan.
With a risk weight > 0 the CVaR rows of §6 are added: eta free, and for each outcome
z_w >= C_w - eta, z_w >= 0, with C_w the block's own cost row.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np

from optimizer.gc_pause import gc_paused
from optimizer.model import highs_backend as backend
from optimizer.model.build import build_model
from optimizer.model.highs_backend import SolverOutcome
from optimizer.model.plan import settled_plan
from optimizer.model.plan_types import Plan
from optimizer.model.status import PlanStatus
from optimizer.options import SolveOptions
from optimizer.scenario.schema import Scenario
from optimizer.whatif.hedge_blocks import KeyCoder, OutcomeBlock, assemble

# family -> (key of each shared variable, its value): a plan's here-and-now decisions
SharedValues = Mapping[str, tuple[np.ndarray, np.ndarray]]


@dataclass
class ExtensiveForm:
    blocks: list[OutcomeBlock]
    probabilities: np.ndarray
    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray
    shared: dict[str, tuple[np.ndarray, np.ndarray]]  # family -> (keys, global columns)
    eta: int | None = None
    build_s: float = 0.0
    z: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def num_cols(self) -> int:
        return len(self.cost)

    @property
    def num_rows(self) -> int:
        return len(self.row_lower)

    @property
    def is_mip(self) -> bool:
        return bool(self.integer.any())

    def shared_values(self, x: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return {f: (keys, x[cols]) for f, (keys, cols) in self.shared.items()}


def build_extensive_form(
    scenarios: Sequence[Scenario],
    probabilities: Sequence[float],
    reveal_at: int,
    reference: Scenario,
    alpha: float = 0.9,
    weight: float = 0.0,
    fixed: SharedValues | None = None,
) -> ExtensiveForm:
    """One model for all outcomes; `fixed` pins every shared column (to its value there,
    0 where it holds none), which completes a given here-and-now plan."""
    started = time.perf_counter()
    with gc_paused():  # a model per outcome: see optimizer/gc_pause.py
        built = [build_model(sc) for sc in scenarios]
    p = np.asarray(probabilities, float)
    a = assemble(KeyCoder(reference), built, p, weight, reveal_at)
    blocks, shared, n_out = a.blocks, a.shared, len(built)
    use_cvar = weight > 0
    extra = 1 + n_out if use_cvar else 0  # eta and the z_w
    cost = np.concatenate([a.cost, np.zeros(extra)])
    lower = np.concatenate([a.lower, np.zeros(extra)])
    upper = np.concatenate([a.upper, np.full(extra, np.inf)])
    integer = np.concatenate([a.integer, np.zeros(extra, bool)])
    next_col = len(a.cost)
    row_parts, row_lo, row_up, block_costs = a.row_parts, a.row_lower, a.row_upper, a.block_costs
    upper[a.zero_cols] = 0.0
    if fixed is not None:
        for family, (keys, cols) in shared.items():
            given_keys, given = fixed.get(family, (np.zeros(0, np.int64), np.zeros(0)))
            values = np.zeros(len(keys))
            at = np.searchsorted(keys, given_keys)
            found = (at < len(keys)) & (keys[np.minimum(at, len(keys) - 1)] == given_keys)
            values[at[found]] = given[found]
            if (~found & (np.abs(given) > 1e-9)).any():  # a decision no outcome allows
                values[:] = np.nan
            values[integer[cols]] = np.round(values[integer[cols]])
            lower[cols] = values
            upper[cols] = values
            # a fixed binary is a constant: where every binary is shared (plant builds,
            # contracts) the fixed form is an LP, solved exactly and hot-started from a
            # basis, where a MILP would be searched afresh each time
            integer[cols] = False
    eta, z = None, np.zeros(0, np.int64)
    if use_cvar:
        eta = next_col
        z = np.arange(next_col + 1, next_col + 1 + n_out)
        lower[eta] = -np.inf
        cost[eta] = weight
        cost[z] = weight * p / (1 - alpha)
        for w, b in enumerate(blocks):  # z_w + eta - C_w >= 0
            c = block_costs[w]
            nz = np.flatnonzero(c)
            cols = np.concatenate([[z[w], eta], b.cols[nz]])
            vals = np.concatenate([[1.0, 1.0], -c[nz]])
            row_parts.append((np.array([len(cols)]), cols, vals))
            row_lo.append(np.zeros(1))
            row_up.append(np.full(1, np.inf))
    counts = np.concatenate([r[0] for r in row_parts]) if row_parts else np.zeros(0, np.int64)
    start = np.zeros(len(counts) + 1, np.int64)
    np.cumsum(counts, out=start[1:])
    bad = np.isnan(lower)
    lower[bad], upper[bad] = 1.0, 0.0  # an impossible fixed plan: empty bounds, infeasible
    return ExtensiveForm(
        blocks,
        p,
        cost,
        lower,
        upper,
        integer,
        np.concatenate(row_lo) if row_lo else np.zeros(0),
        np.concatenate(row_up) if row_up else np.zeros(0),
        start,
        np.concatenate([r[1] for r in row_parts]) if row_parts else np.zeros(0, np.int64),
        np.concatenate([r[2] for r in row_parts]) if row_parts else np.zeros(0),
        shared,
        eta,
        time.perf_counter() - started,
        z,
    )


def pass_form(h: highspy.Highs, ef: ExtensiveForm) -> None:
    """The whole extensive form to HiGHS in one call, as `highs_backend.pass_model` does."""
    status = h.passModel(
        ef.num_cols, ef.num_rows, len(ef.value), int(highspy.MatrixFormat.kRowwise),
        int(highspy.ObjSense.kMinimize), 0.0,
        ef.cost, ef.lower, ef.upper, ef.row_lower, ef.row_upper,
        ef.start[:-1].astype(np.int32), ef.index.astype(np.int32), ef.value,
        ef.integer.astype(np.int32),
    )  # fmt: skip
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS rejected the extensive form")


@dataclass(frozen=True)
class FormSolution:
    """What a solve of the extensive form gives: the outcome, each outcome's plan (terms
    and tables on its own document) and the here-and-now values."""

    form: ExtensiveForm
    outcome: SolverOutcome
    plans: list[Plan]
    shared: dict[str, tuple[np.ndarray, np.ndarray]]
    build_s: float
    solve_s: float

    @property
    def has_solution(self) -> bool:
        return self.outcome.x is not None

    @property
    def costs(self) -> list[float]:
        return [float(p.objective or 0.0) for p in self.plans]


def solve_form(ef: ExtensiveForm, options: SolveOptions) -> FormSolution:
    started = time.perf_counter()
    h = backend.new_highs(options)
    pass_form(h, ef)
    passed = time.perf_counter()
    if options.time_limit is not None:
        backend.limit_time(h, options.time_limit - ef.build_s - (passed - started))
    outcome = backend.run(h, ef.is_mip)
    solved = time.perf_counter()
    return form_solution(ef, outcome, ef.build_s + (passed - started), solved - passed)


def form_solution(
    ef: ExtensiveForm, outcome: SolverOutcome, build_s: float, solve_s: float
) -> FormSolution:
    """HiGHS's answer read back: each outcome's plan on its own document (binaries
    rounded) and the here-and-now values."""
    plans: list[Plan] = []
    values: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if outcome.x is not None:
        x = outcome.x.copy()
        x[ef.integer] = np.round(x[ef.integer])
        plans = [
            settled_plan(
                b.model,
                b.ix,
                x[b.cols],
                outcome.status,
                outcome.mip_gap if b.model.is_mip else None,
            )
            for b in ef.blocks
        ]
        values = ef.shared_values(x)
    return FormSolution(ef, outcome, plans, values, build_s, solve_s)


def no_solution(status: PlanStatus) -> bool:
    return status not in (PlanStatus.OPTIMAL, PlanStatus.TIME_LIMIT)
