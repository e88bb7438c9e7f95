"""What-if sweeps: one base scenario, named shock axes, many members, one table.

A sweep spec (JSON or YAML) gives the base scenario (a path, relative to the spec, or the
document itself) and its axes. Each axis is a shock template whose amount (`factor` by
default, or `value`) a level fills in, or a list of named levels that each list whole
shocks:

    base: ../instances/india-2025-baseline.json
    mode: grid                      # or monte_carlo, with samples: N and seed: S
    axes:
      - name: china_capacity
        shock: {kind: capacity, origin: CN, periods: [2025-Q4, 2026-Q1]}
        levels: [1.0, 0.5, 0.0]     # monte_carlo: distribution: {type: uniform, low: 0, high: 1}
      - name: tariff
        shock: {kind: tariff, country: CN}
        parameter: value
        levels: [0.075, 0.25]

`grid` solves the cartesian product of the levels, members named
`china_capacity=0.5;tariff=0.25` (a named level by its name); `monte_carlo` draws
`samples` members `mc-001`, `mc-002`, …, each axis from its distribution (uniform,
triangular or choice), with numpy's generator seeded by `seed`, so a spec always gives
the same members. With `include_base` (default) a first member `base` solves the
scenario unshocked; it is left out of the statistics. Members are solved one after
another on one HiGHS object, each from the previous one's basis (`hot_start.py`); with
several workers or a Dask cluster, runs of neighbouring members are (`runs.py`).
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from optimizer.errors import ScenarioError
from optimizer.model.plan import TERMS, empty_plan
from optimizer.model.status import PlanStatus
from optimizer.options import SolveOptions
from optimizer.scenario.parsing import parse_scenario
from optimizer.spreadsheet_text import inert
from optimizer.whatif.hot_start import COLD, HotStartSolver, MemberSolve
from optimizer.whatif.runs import Executor, map_runs
from optimizer.whatif.shocks import (
    apply_shocks,
)
from optimizer.whatif.sweep_spec import (
    Member,
    SweepSpec,
    base_document,
    expand_members,
    parse_sweep_spec,
    verify_positions,
)


# -- solving -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepResult:
    """The comparison table (one row per member) and the statistics over the members."""

    name: str
    mode: str
    axes: tuple[str, ...]
    sectors: tuple[str, ...]
    origins: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    statistics: dict[str, Any]
    starts: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "mode": self.mode, "axes": list(self.axes),
            "members": list(self.rows), "statistics": self.statistics, "starts": self.starts,
        }  # fmt: skip

    def table(self) -> list[dict[str, Any]]:
        """The rows flattened to one level, in the column order of the CSV."""
        return [flat_row(r, self.axes, self.sectors, self.origins) for r in self.rows]


def run_sweep(
    spec: SweepSpec | dict[str, Any],
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    allow_path: bool = True,
    dask: str | None = None,
) -> SweepResult:
    """Expand, solve and summarise a sweep; `progress(done, total)` after each member.
    `workers` overrides the spec's; `dask`, a scheduler address, solves the members on
    that Dask cluster instead; see `base_document` for `allow_path`."""
    spec = spec if isinstance(spec, SweepSpec) else parse_sweep_spec(spec)
    base = base_document(spec, allow_path)
    members = expand_members(spec, base)
    verify = verify_positions(spec.verify_sample, len(members))
    jobs = [(m, k in verify) for k, m in enumerate(members)]
    n_workers = min(workers or spec.workers, len(jobs))
    report = progress or (lambda done, total: None)
    if dask is not None:
        rows = _solve_in_pool(base, jobs, spec, Executor(dask=dask), report)
    elif n_workers > 1:
        rows = _solve_in_pool(base, jobs, spec, Executor(workers=n_workers), report)
    else:
        solver = HotStartSolver(spec.options, hot=spec.hot_start)
        rows = []
        for member, check in jobs:
            rows.append(solve_member(solver, base, member, check))
            report(len(rows), len(jobs))
    sectors = tuple(e["id"] for e in base.get("sectors", []))
    sample = [r for r, m in zip(rows, members, strict=True) if m.shocks or not spec.include_base]
    return SweepResult(
        spec.name, spec.mode, tuple(a.name for a in spec.axes), sectors,
        tuple(c["id"] for c in base.get("countries", [])), tuple(rows),
        statistics(sample, sectors), dict(Counter(r["start"] for r in rows)),
    )  # fmt: skip


def solve_member(
    solver: HotStartSolver, base: dict[str, Any], member: Member, verify: bool
) -> dict[str, Any]:
    """Apply a member's shocks to the base, solve it, and read its row."""
    doc = apply_shocks(base, member.shocks)
    doc["name"] = f"{base['name']} | {member.name}"[:200]
    try:
        scenario = parse_scenario(doc)
    except ScenarioError as exc:  # a shock combination the format does not allow
        plan = empty_plan(PlanStatus.ERROR, f"shocked scenario rejected: {exc}")
        return member_row(member, plan, MemberSolve(plan, COLD))
    solved = solver.solve(scenario, verify)
    return member_row(member, solved.plan, solved)


def member_row(member: Member, plan: dict[str, Any], solved: MemberSolve) -> dict[str, Any]:
    has = plan["objective"] is not None
    return {
        "member": member.name,
        "levels": member.levels,
        "status": plan["status"],
        "objective": plan["objective"],
        "terms": plan["terms"],
        "shortage_kg": shortage_by_sector(plan) if has else None,
        "origin_share": mean_origin_shares(plan) if has else None,
        "start": solved.start,
        "verified": solved.verified,
        "solve_s": (plan.get("timings") or {}).get("total_s"),
        **({"message": plan["message"]} if plan.get("message") else {}),
    }


def shortage_by_sector(plan: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for row in plan["shortages"]:
        out[row["sector"]] += row["kg"]
    return dict(out)


def mean_origin_shares(plan: dict[str, Any]) -> dict[str, float]:
    """Each origin's share averaged over the periods with any supply (0 where it had none)."""
    by_period: dict[str, dict[str, float]] = defaultdict(dict)
    for row in plan["origin_share"]:
        by_period[row["period"]][row["origin"]] = row["share"]
    origins = {o for shares in by_period.values() for o in shares}
    n = len(by_period)
    return {o: sum(s.get(o, 0.0) for s in by_period.values()) / n for o in sorted(origins)}


def statistics(rows: list[dict[str, Any]], sectors: tuple[str, ...]) -> dict[str, Any]:
    """Mean, P5, P50 and P95 of total cost and of each sector's shortage, over the members
    with a solution (percentiles interpolate linearly between members, numpy's default)."""
    solved = [r for r in rows if r["objective"] is not None]
    return {
        "members": len(rows),
        "solved": len(solved),
        "statuses": dict(Counter(r["status"] for r in rows)),
        "total_cost": _spread([r["objective"] for r in solved]),
        "shortage_kg": {
            e: _spread([r["shortage_kg"].get(e, 0.0) for r in solved]) for e in sectors
        },
    }


def _spread(values: list[float]) -> dict[str, float | None]:
    if not values:
        return dict.fromkeys(("mean", "p5", "p50", "p95"))
    a = np.asarray(values, float)
    p5, p50, p95 = np.percentile(a, [5, 50, 95])
    return {"mean": float(a.mean()), "p5": float(p5), "p50": float(p50), "p95": float(p95)}


def flat_row(
    row: dict[str, Any], axes: tuple[str, ...], sectors: tuple[str, ...], origins: tuple[str, ...]
) -> dict[str, Any]:
    terms, short, share = row["terms"] or {}, row["shortage_kg"], row["origin_share"]
    return {
        "member": row["member"],
        **{a: row["levels"].get(a) for a in axes},
        "status": row["status"],
        "objective": row["objective"],
        **{t: terms.get(t) for t in TERMS},
        **{f"shortage_kg:{e}": None if short is None else short.get(e, 0.0) for e in sectors},
        **{f"share:{o}": None if share is None else share.get(o, 0.0) for o in origins},
        "start": row["start"],
        "verified": row["verified"],
    }


CSV_DIGITS = {"money": 2, "kg": 1, "share": 4, "level": 6}  # decimals kept in the CSV


def write_csv(result: SweepResult, path: str | Path) -> None:
    """The comparison table rounded for people (money to cents, kg to 0.1 kg, shares to
    4 decimals: 0.8000000000000002 is written 0.8); the JSON result keeps exact values.
    Text that a spreadsheet would run as a formula is made inert."""
    table = result.table()
    with Path(path).open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(table[0]) if table else ["member"])
        writer.writeheader()
        writer.writerows(
            {k: inert(_rounded(v, _csv_kind(k, result.axes))) for k, v in row.items()}
            for row in table
        )


def _csv_kind(column: str, axes: tuple[str, ...]) -> str | None:
    if column == "objective" or column in TERMS:
        return "money"
    if column.startswith("shortage_kg:"):
        return "kg"
    if column.startswith("share:"):
        return "share"
    return "level" if column in axes else None


def _rounded(value: Any, kind: str | None) -> Any:
    if kind is None or isinstance(value, bool) or not isinstance(value, float):
        return value
    shown = round(value, CSV_DIGITS[kind])
    return 0.0 if shown == 0 else shown  # never -0.0


# -- parallel members ---------------------------------------------------------------------------
def _member_solver(shared: tuple[dict[str, Any], SolveOptions, bool]) -> tuple[Any, ...]:
    """A process's state: the base and one HiGHS object kept for every run it solves."""
    base, options, hot = shared
    return base, HotStartSolver(options, hot=hot)


def _solve_run(state: tuple[Any, ...], run: list[tuple[Member, bool]]) -> list[dict[str, Any]]:
    base, solver = state
    return [solve_member(solver, base, m, v) for m, v in run]


def _solve_in_pool(
    base: dict[str, Any],
    jobs: list[tuple[Member, bool]],
    spec: SweepSpec,
    executor: Executor,
    report: Callable[[int, int], None],
) -> list[dict[str, Any]]:
    """Runs of neighbouring members spread over processes or a Dask cluster (`runs.py`);
    each process keeps its own HiGHS object, so within a run every member starts from
    its neighbour's basis."""
    shared = (base, spec.options, spec.hot_start)
    rows: list[dict[str, Any]] = map_runs(
        _member_solver, _solve_run, shared, jobs, executor, report
    )
    return rows
