"""Why a scenario has no plan: an irreducible set of its limits that cannot hold together.

The members are the scenario's limits in MODEL.md's words (`constraint_words.py`): one
member per limit instance, e.g. the capacity of one supplier in one period (its
`supplier_capacity` row and, under a minimum order, the ceiling row of that order), and one
per supplier and period that its lead time shuts (`lead_time`). To make lead times
members, the model is built with every lead time set to 0 and the deliveries before the
real lead time bounded to 0; that is the same set of plans.

The material-flow identities (stock balance, the total of deliveries behind the
supplier-share caps) and the variables' signs and binary ranges hold in every plan and
are never members: the conflict is irreducible given them. So: the members together
cannot hold, and dropping any one of them leaves a scenario that has a plan.

How it is found:
1. A candidate set that cannot hold: HiGHS's irreducible infeasible subsystem of the LP
   (relaxation), when the LP already has no solution; otherwise (a MILP whose relaxation
   is feasible, or no IIS) an elastic filter: every member gets slack, total slack is
   minimised, the members that needed slack are made hard, until no slack can help.
2. A deletion filter over that set with the model's own feasibility (MILP for a MILP):
   each member is dropped for good if the rest still cannot hold. What is left is
   irreducible. With a time limit, a test that runs out keeps its member, and the
   result says `"irreducible": false`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np

from optimizer.insight.constraint_words import (
    IDENTITIES,
    Limit,
    block_limits,
    lead_time_text,
    row_text,
)
from optimizer.model import highs_backend as backend
from optimizer.model.build import build_model
from optimizer.model.indexing import ScenarioIndex
from optimizer.model.lp import INF, LinearModel
from optimizer.options import SolveOptions
from optimizer.scenario.schema import Scenario

_MS = highspy.HighsModelStatus
SLACK_TOLERANCE = 1e-6  # slack below this is the solver's feasibility tolerance, not a violation
# Start from the infeasible LP's own certificate, then reduce it to an IIS: 30x faster
# than reducing from the whole model (kIisStrategyIrreducible alone) on a c3-size MILP.
IIS_STRATEGY = int(highspy.IisStrategy.kIisStrategyFromLp) | int(
    highspy.IisStrategy.kIisStrategyIrreducible
)


@dataclass(frozen=True)
class Members:
    """The candidate members of a conflict, and the rows and columns each one owns."""

    limits: list[Limit]
    sources: list[tuple[str, int, int]]  # (row block, row, 0) or ("lead_time", supplier, period)
    row_group: np.ndarray  # member of each row; -1 for identities
    col_group: np.ndarray  # member whose bound fixes the column at 0 (lead times); -1 otherwise

    @property
    def size(self) -> int:
        return len(self.limits)


def diagnose(scenario: Scenario, options: SolveOptions | None = None) -> dict[str, Any]:
    """`{"conflict": [{"constraint", "id", "period", "text"}], "irreducible": bool}`.
    The conflict is empty when the scenario has a plan (irreducible true) or when the time
    limit ran out before a conflicting set was found (irreducible false)."""
    options = options or SolveOptions()
    deadline = None if options.time_limit is None else time.monotonic() + options.time_limit
    m, ix, members = diagnosis_model(scenario)
    oracle = Feasibility(m, members, options, m.is_mip, deadline)
    verdict = oracle.holds(np.ones(members.size, bool))
    if verdict is not False:  # a plan exists, or the time ran out before telling
        return {"conflict": [], "irreducible": verdict is True}
    candidates = _candidates(m, members, oracle, options, deadline)
    if candidates is None:  # out of time before any set was shown to conflict
        return {"conflict": [], "irreducible": False}
    conflict, irreducible = deletion_filter(oracle, candidates, members.size)
    return {
        "conflict": [_record(members, g, m, ix) for g in conflict],
        "irreducible": irreducible,
    }


def diagnosis_model(scenario: Scenario) -> tuple[LinearModel, ScenarioIndex, Members]:
    """The model with lead times as bounds (see the module note), and its members."""
    ix = ScenarioIndex(scenario)
    zero_lead = [s.model_copy(update={"lead_time": 0}) for s in scenario.suppliers]
    m, _ = build_model(scenario.model_copy(update={"suppliers": zero_lead}))
    return m, ix, _members(m, ix)


def _members(m: LinearModel, ix: ScenarioIndex) -> Members:
    """One member per limit the rows state (rows of one limit share it), then the lead times."""
    index: dict[Limit, int] = {}
    sources: list[tuple[str, int, int]] = []
    row_group = np.full(m.num_rows, -1, np.int64)
    for block in m.constraints.values():
        if block.name in IDENTITIES:
            continue
        for i, limit in enumerate(block_limits(block, ix)):
            if limit not in index:
                index[limit] = len(sources)
                sources.append((block.name, i, 0))
            row_group[block.start + i] = index[limit]
    col_group = _lead_time_members(m, ix, index, sources)
    return Members(list(index), sources, row_group, col_group)


def _lead_time_members(
    m: LinearModel, ix: ScenarioIndex, index: dict[Limit, int], sources: list[tuple[str, int, int]]
) -> np.ndarray:
    """A member per supplier and period before its lead time; those deliveries are bounded
    to 0, as the real model leaves them out. Returns each column's member (-1: none)."""
    buy = m.variables["buy"]
    s, t = buy.index["supplier"], buy.index["period"]
    col_group = np.full(m.num_cols, -1, np.int64)
    early = np.nonzero(t < ix.lead_time[s])[0]
    buy.upper[early] = 0.0
    for c in early.tolist():
        limit = Limit("lead_time", ix.supplier_ids[s[c]], ix.periods[t[c]])
        if limit not in index:
            index[limit] = len(sources)
            sources.append(("lead_time", int(s[c]), int(t[c])))
        col_group[buy.start + c] = index[limit]
    return col_group


def _record(members: Members, g: int, m: LinearModel, ix: ScenarioIndex) -> dict[str, Any]:
    limit = members.limits[g]
    kind, a, b = members.sources[g]
    text = lead_time_text(ix, a, b) if kind == "lead_time" else row_text(m.constraints[kind], a, ix)
    return {"constraint": limit.constraint, "id": limit.id, "period": limit.period, "text": text}


# -- feasibility of a subset of the members ------------------------------------------------
class Feasibility:
    """Answers "can these members hold together (with the identities)?" on one HiGHS model
    whose bounds are changed between calls, so each run starts from the last basis."""

    def __init__(
        self,
        m: LinearModel,
        members: Members,
        options: SolveOptions,
        mip: bool,
        deadline: float | None,
    ):
        self.members, self.deadline = members, deadline
        self.h = _zero_cost_highs(m, options, mip)
        self.row_lower, self.row_upper = m.row_bounds()
        self.rows = np.arange(m.num_rows, dtype=np.int32)
        self.lead_cols = np.nonzero(members.col_group >= 0)[0].astype(np.int32)

    def holds(self, enforced: np.ndarray) -> bool | None:
        """True: a plan exists; False: none does; None: the time ran out first."""
        g = self.members.row_group
        on = (g < 0) | enforced[np.maximum(g, 0)]
        lower = np.where(on, self.row_lower, -INF)
        upper = np.where(on, self.row_upper, INF)
        if self.h.getNumCol() == 0:  # nothing to decide: every enforced row must admit 0
            return bool(np.all(lower <= 0) and np.all(upper >= 0))
        # in highspy's bindings, missing from its type stubs
        self.h.changeRowsBounds(len(self.rows), self.rows, lower, upper)  # type: ignore[attr-defined]
        shut = enforced[self.members.col_group[self.lead_cols]]
        n = len(self.lead_cols)
        self.h.changeColsBounds(n, self.lead_cols, np.zeros(n), np.where(shut, 0.0, INF))
        return _verdict(self.h, self.deadline)


def _zero_cost_highs(m: LinearModel, options: SolveOptions, mip: bool) -> highspy.Highs:
    h = backend.new_highs(options.model_copy(update={"time_limit": None}))
    backend.pass_model(h, m)
    cols = np.arange(m.num_cols, dtype=np.int32)
    h.changeColsCost(len(cols), cols, np.zeros(len(cols)))
    if not mip:
        h.changeColsIntegrality(len(cols), cols, np.zeros(len(cols), np.uint8))
    return h


def _verdict(h: highspy.Highs, deadline: float | None) -> bool | None:
    if deadline is not None:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        h.setOptionValue("time_limit", left)
    h.run()
    status = h.getModelStatus()
    if status == _MS.kUnboundedOrInfeasible:  # with no cost it cannot be unbounded
        return False
    if status in (_MS.kOptimal, _MS.kInfeasible):
        return status == _MS.kOptimal
    return True if h.getInfo().primal_solution_status == 2 else None


# -- a first set that cannot hold ----------------------------------------------------------
def _candidates(
    m: LinearModel,
    members: Members,
    oracle: Feasibility,
    options: SolveOptions,
    deadline: float | None,
) -> np.ndarray | None:
    """Members that cannot hold together: HiGHS's IIS of the LP, else the elastic filter,
    else (numerical trouble) all of them; None when the time runs out first."""
    for find in (highs_iis, elastic_filter):
        found = find(m, members, options, deadline)
        if found is not None and oracle.holds(_mask(found, members.size)) is False:
            return found
    if deadline is not None and time.monotonic() >= deadline:
        return None
    return np.arange(members.size)


def _mask(groups: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros(size, bool)
    out[groups] = True
    return out


def highs_iis(
    m: LinearModel, members: Members, options: SolveOptions, deadline: float | None
) -> np.ndarray | None:
    """Members owning a row or a column bound of HiGHS's IIS of the LP (relaxation);
    None when the LP has a solution or HiGHS finds no IIS."""
    h = _zero_cost_highs(m, options, mip=False)
    if h.getNumCol() == 0 or _verdict(h, deadline) is not False:
        return None
    h.setOptionValue("iis_strategy", IIS_STRATEGY)
    status, iis = h.getIis()
    if status == highspy.HighsStatus.kError or not iis.valid_:
        return None
    rows = members.row_group[np.asarray(iis.row_index_, np.int64)]
    cols = members.col_group[np.asarray(iis.col_index_, np.int64)]
    found = np.unique(np.concatenate([rows[rows >= 0], cols[cols >= 0]]))
    return found if len(found) else None


def elastic_filter(
    m: LinearModel, members: Members, options: SolveOptions, deadline: float | None
) -> np.ndarray | None:
    """Chinneck's elastic filter: members whose slack is needed become hard, until the hard
    ones alone cannot hold. Works on the MILP itself when the model has binaries."""
    h = _zero_cost_highs(m, options, mip=m.is_mip)
    slack_group = _add_slacks(h, m, members)
    lead = np.nonzero(members.col_group >= 0)[0]
    h.changeColsCost(len(lead), lead.astype(np.int32), np.ones(len(lead)))
    hard = np.zeros(members.size, bool)
    while True:
        _harden(h, hard, slack_group, lead, members)
        verdict = _verdict(h, deadline)
        if verdict is not True:
            return np.nonzero(hard)[0] if verdict is False else None
        x = np.asarray(h.getSolution().col_value)
        needed = np.concatenate([
            slack_group[x[m.num_cols :] > SLACK_TOLERANCE],
            members.col_group[lead[x[lead] > SLACK_TOLERANCE]],
        ])  # fmt: skip
        needed = needed[~hard[needed]]
        if len(needed) == 0:
            return None  # all slack within tolerance, yet the model cannot hold
        hard[needed] = True


def _add_slacks(h: highspy.Highs, m: LinearModel, members: Members) -> np.ndarray:
    """Two slack columns (+1, −1) on every member row, cost 1; returns each slack's member."""
    rows = np.nonzero(members.row_group >= 0)[0]
    n = 2 * len(rows)
    index = np.repeat(rows, 2).astype(np.int32)
    value = np.tile([1.0, -1.0], len(rows))
    start = np.arange(n, dtype=np.int32)
    h.addCols(n, np.ones(n), np.zeros(n), np.full(n, INF), n, start, index, value)
    return members.row_group[index]


def _harden(
    h: highspy.Highs,
    hard: np.ndarray,
    slack_group: np.ndarray,
    lead: np.ndarray,
    members: Members,
) -> None:
    n_cols = h.getNumCol() - len(slack_group)
    slack_cols = np.arange(n_cols, h.getNumCol(), dtype=np.int32)
    upper = np.where(hard[slack_group], 0.0, INF)
    h.changeColsBounds(len(slack_cols), slack_cols, np.zeros(len(slack_cols)), upper)
    lead_upper = np.where(hard[members.col_group[lead]], 0.0, INF)
    h.changeColsBounds(len(lead), lead.astype(np.int32), np.zeros(len(lead)), lead_upper)


# -- the deletion filter ----------------------------------------------------------------
def deletion_filter(
    oracle: Feasibility, candidates: np.ndarray, size: int
) -> tuple[list[int], bool]:
    """Drop each candidate whose removal leaves the rest unable to hold; what remains is
    irreducible (unless a test ran out of time, which keeps its member)."""
    enforced = _mask(candidates, size)
    irreducible = True
    for g in candidates.tolist():
        enforced[g] = False
        verdict = oracle.holds(enforced)
        if verdict is False:
            continue
        enforced[g] = True
        irreducible = irreducible and verdict is True
    return np.nonzero(enforced)[0].tolist(), irreducible
