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

With a risk weight > 0 the CVaR rows of §6 are added: eta free, and for each outcome
z_w >= C_w - eta, z_w >= 0, with C_w the block's own cost row.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np

from optimizer.model import highs_backend as backend
from optimizer.model.build import build_model
from optimizer.model.highs_backend import SolverOutcome
from optimizer.model.indexing import ScenarioIndex
from optimizer.model.lp import LinearModel
from optimizer.model.plan import settled_plan
from optimizer.model.plan_types import Plan
from optimizer.model.status import PlanStatus
from optimizer.options import SolveOptions
from optimizer.scenario.schema import MAX_BRACKETS, Scenario

BRACKETS = "brackets"  # a discount bracket's number, 0 … MAX_BRACKETS
# family -> the id list each subscript names (None: the period)
SHARED: dict[str, tuple[tuple[str, str | None], ...]] = {
    "buy": (("supplier", "suppliers"), ("product", "products"), ("period", None)),
    "make": (("plant", "plants"), ("product", "products"), ("period", None)),
    "use": (
        ("product", "products"),
        ("origin", "countries"),
        ("sector", "sectors"),
        ("period", None),
    ),
    "inv": (("product", "products"), ("origin", "countries"), ("period", None)),
    "short": (("product", "products"), ("sector", "sectors"), ("period", None)),
    "lic": (
        ("licence", "licences"),
        ("supplier", "suppliers"),
        ("product", "products"),
        ("period", None),
    ),
    "order": (("supplier", "suppliers"), ("period", None)),
    "active": (("supplier", "suppliers"),),
    "build": (("plant", "plants"), ("period", None)),
    # MODEL.md §7: discount brackets and soft-cap excess before reveal, qualifications and
    # the chosen suppliers always
    "q": (("supplier", "suppliers"), ("product", "products"), ("period", None),
          ("bracket", BRACKETS)),
    "y": (("supplier", "suppliers"), ("product", "products"), ("period", None),
          ("bracket", BRACKETS)),
    "excess": (("origin", "countries"), ("period", None)),
    "qual": (("supplier", "suppliers"), ("period", None)),
    "u": (("supplier", "suppliers"), ("product", "products")),
}  # fmt: skip
EVERY_PERIOD = frozenset({"active", "build", "qual", "u"})  # decided up front, every period
# an outcome without it is not constrained by it: it has no such rule (no fixed cost,
# minimum order, discount, qualification, cap on suppliers or penalty) for that id
ABSENT_FREE = frozenset({"active", "order", "q", "y", "qual", "u", "excess"})
_IDS = {
    "suppliers": "supplier_ids", "products": "product_ids", "plants": "plant_ids",
    "countries": "country_ids", "sectors": "sector_ids", "licences": "licence_ids",
}  # fmt: skip

# family -> (key of each shared variable, its value): a plan's here-and-now decisions
SharedValues = Mapping[str, tuple[np.ndarray, np.ndarray]]


class KeyCoder:
    """Turns a shared column's ids into one integer, the same in every outcome: positions
    in the reference scenario's lists (base's), combined in mixed radix."""

    def __init__(self, reference: Scenario):
        self.positions = {
            name: {item.id: i for i, item in enumerate(getattr(reference, name))} for name in _IDS
        }
        self.sizes = {name: len(ids) for name, ids in self.positions.items()}
        self.T = len(reference.periods)

    def keys(self, m: LinearModel, ix: ScenarioIndex, reveal_at: int) -> dict[str, tuple]:
        """family -> (local columns, keys) of the block's here-and-now columns."""
        out = {}
        for family, subscripts in SHARED.items():
            block = m.variables[family]
            if family in EVERY_PERIOD:
                local = np.arange(block.size)
            else:
                local = np.flatnonzero(block.index["period"] < reveal_at)
            key = np.zeros(len(local), np.int64)
            for sub, ids in subscripts:
                pos = block.index[sub][local].astype(np.int64)
                if ids is None:
                    size = self.T
                elif ids == BRACKETS:
                    size = MAX_BRACKETS + 1
                else:
                    to_ref = np.array(
                        [self.positions[ids][i] for i in getattr(ix, _IDS[ids])], np.int64
                    )
                    pos = to_ref[pos] if len(to_ref) else pos
                    size = max(self.sizes[ids], 1)
                key = key * size + pos
            out[family] = (block.start + local, key)
        return out


@dataclass
class OutcomeBlock:
    """One outcome's model and where its columns sit in the extensive form."""

    model: LinearModel
    ix: ScenarioIndex
    cols: np.ndarray  # global column of each of the block's columns


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
    coder = KeyCoder(reference)
    built = [build_model(sc) for sc in scenarios]
    keyed = [coder.keys(m, ix, reveal_at) for m, ix in built]
    n_out = len(built)
    # the shared columns first, one per key present in any outcome
    shared: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    where: list[dict[str, np.ndarray]] = [{} for _ in built]  # family -> global col per local
    zero_cols, next_col = [], 0
    for family in SHARED:
        all_keys = [k[family][1] for k in keyed]
        uniq, inverse = np.unique(np.concatenate(all_keys), return_inverse=True)
        cols = np.arange(next_col, next_col + len(uniq))
        next_col += len(uniq)
        shared[family] = (uniq, cols)
        if family not in ABSENT_FREE:
            present = np.bincount(inverse, minlength=len(uniq))
            zero_cols.append(cols[present < n_out])
        offsets = np.cumsum([0, *(len(k) for k in all_keys)])
        for w in range(n_out):
            where[w][family] = cols[inverse[offsets[w] : offsets[w + 1]]]
    blocks = []
    for w, (m, ix) in enumerate(built):
        cols = np.full(m.num_cols, -1, np.int64)
        for family, (local, _) in keyed[w].items():
            cols[local] = where[w][family]
        own = np.flatnonzero(cols < 0)
        cols[own] = np.arange(next_col, next_col + len(own))
        next_col += len(own)
        blocks.append(OutcomeBlock(m, ix, cols))
    p = np.asarray(probabilities, float)
    use_cvar = weight > 0
    n = next_col + (1 + n_out if use_cvar else 0)
    cost, lower = np.zeros(n), np.zeros(n)
    upper, integer = np.full(n, np.inf), np.zeros(n, bool)
    row_parts, row_lo, row_up = [], [], []
    block_costs = []
    for w, b in enumerate(blocks):
        c, lo, up, integ = b.model.column_arrays()
        block_costs.append(c)
        np.add.at(cost, b.cols, (1 - weight) * p[w] * c)
        np.maximum.at(lower, b.cols, lo)
        np.minimum.at(upper, b.cols, up)
        np.logical_or.at(integer, b.cols, integ)
        start, index, value = b.model.matrix()
        row_parts.append((np.diff(start.astype(np.int64)), b.cols[index], value))
        rl, ru = b.model.row_bounds()
        row_lo.append(rl)
        row_up.append(ru)
    if zero_cols:
        upper[np.concatenate(zero_cols)] = 0.0
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
