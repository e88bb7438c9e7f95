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
another on one HiGHS object, each from the previous one's basis (`hot_start.py`).
"""

from __future__ import annotations

import csv
import itertools
import multiprocessing
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import Problem, ScenarioError, pointer
from .hot_start import COLD, HotStartSolver, MemberSolve
from .loading import decode, parse_scenario
from .options import SolveOptions
from .plan import TERMS, empty_plan
from .shocks import (
    SpecError,
    apply_shocks,
    parse_shock,
    parse_shocks,
    problems_of,
    shock_problems,
)
from .status import PlanStatus

Number = Annotated[float, Field(allow_inf_nan=False, strict=True)]
MAX_MEMBERS = 100_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Uniform(_Strict):
    type: Literal["uniform"]
    low: Number
    high: Number

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.low > self.high:
            raise ValueError("`low` must not exceed `high`")
        return self

    def extremes(self) -> list[float]:
        return [self.low, self.high]

    def draw(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))


class Triangular(_Strict):
    type: Literal["triangular"]
    low: Number
    mode: Number
    high: Number

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            raise ValueError("need `low` <= `mode` <= `high`")
        return self

    def extremes(self) -> list[float]:
        return [self.low, self.high]

    def draw(self, rng: np.random.Generator) -> float:
        if self.low == self.high:  # numpy refuses a degenerate triangle
            return self.low
        return float(rng.triangular(self.low, self.mode, self.high))


class Choice(_Strict):
    type: Literal["choice"]
    values: list[Number] = Field(min_length=1)
    weights: list[Annotated[float, Field(ge=0, allow_inf_nan=False, strict=True)]] | None = None

    @model_validator(mode="after")
    def _weights(self) -> Choice:
        if self.weights is not None and (
            len(self.weights) != len(self.values) or sum(self.weights) <= 0
        ):
            raise ValueError("`weights` needs one weight per value and a positive sum")
        return self

    def extremes(self) -> list[float]:
        return list(self.values)

    def draw(self, rng: np.random.Generator) -> float:
        p = None if self.weights is None else np.asarray(self.weights) / sum(self.weights)
        return float(self.values[int(rng.choice(len(self.values), p=p))])


Distribution = Annotated[Uniform | Triangular | Choice, Field(discriminator="type")]


class NamedLevel(_Strict):
    name: str = Field(min_length=1, max_length=100, description="Label of the level.")
    shocks: list[dict[str, Any]] = Field(description="Shocks applied at this level.")


class Axis(_Strict):
    name: str = Field(min_length=1, max_length=100, description="Axis name (a table column).")
    shock: dict[str, Any] | None = Field(None, description="Shock template without its amount.")
    parameter: Literal["factor", "value"] = Field("factor", description="Amount a level fills.")
    levels: list[Number | NamedLevel] | None = Field(None, description="Grid levels.")
    distribution: Distribution | None = Field(None, description="Monte Carlo distribution.")


class SweepSpec(_Strict):
    name: str = Field("sweep", min_length=1, max_length=200)
    base: str | dict[str, Any] = Field(description="Base scenario: a file path or the document.")
    mode: Literal["grid", "monte_carlo"] = "grid"
    axes: list[Axis] = Field(min_length=1)
    samples: int | None = Field(None, ge=1, le=MAX_MEMBERS, description="Monte Carlo members.")
    seed: int = Field(0, ge=0, description="Seed of the Monte Carlo draws.")
    include_base: bool = Field(True, description="Solve the unshocked base as member `base`.")
    hot_start: bool = Field(True, description="Re-solve members from the previous basis.")
    verify_sample: (
        Annotated[int, Field(ge=0, strict=True)]
        | Annotated[float, Field(ge=0, le=1, allow_inf_nan=False, strict=True)]
    ) = Field(
        0,
        description="Members also solved cold as a check: a count (an integer: 5) or a "
        "fraction of the members (a decimal: 0.1; 1.0 = all).",
    )
    options: SolveOptions = Field(default_factory=SolveOptions)
    workers: int = Field(1, ge=1, le=256, description="Processes solving members in parallel.")

    @model_validator(mode="after")
    def _consistent(self) -> SweepSpec:
        names = [a.name for a in self.axes]
        if len(set(names)) != len(names):
            raise ValueError("axis names must be unique")
        if self.mode == "monte_carlo" and self.samples is None:
            raise ValueError("monte_carlo needs `samples`")
        return self


@dataclass(frozen=True)
class Member:
    """One scenario of the sweep: its name, the level of each axis, the shocks it applies."""

    name: str
    levels: dict[str, float | str | None]
    shocks: tuple[Any, ...]


# -- reading a spec ------------------------------------------------------------------------
def parse_sweep_spec(raw: Any) -> SweepSpec:
    try:
        return SweepSpec.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(problems_of(exc)) from None


def load_sweep_spec(path: str | Path) -> SweepSpec:
    """Read a spec file; a base given as a path is taken relative to the spec's folder."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError([Problem("", str(path), f"cannot read sweep spec: {exc}")]) from None
    raw = decode(text, yaml_syntax=path.suffix.lower() in (".yaml", ".yml"))
    if isinstance(raw, dict) and isinstance(raw.get("base"), str):
        raw = {**raw, "base": str((path.parent / raw["base"]).resolve())}
    return parse_sweep_spec(raw)


def base_document(spec: SweepSpec, allow_path: bool = True) -> dict[str, Any]:
    """The validated base scenario as a complete document (defaults written out). A
    service passes `allow_path=False`: its clients must not name files on the server."""
    if isinstance(spec.base, dict):
        raw = spec.base
    elif not allow_path:
        raise SpecError([Problem("/base", spec.base, "must be the scenario document itself")])
    else:
        path = Path(spec.base)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise SpecError([Problem("/base", spec.base, f"cannot read: {exc}")]) from None
        raw = decode(text, yaml_syntax=path.suffix.lower() in (".yaml", ".yml"))
    return parse_scenario(raw).model_dump(mode="json", exclude_none=True)


# -- members ---------------------------------------------------------------------------------
def expand_members(spec: SweepSpec, base: dict[str, Any]) -> list[Member]:
    """Every member of the sweep, after checking every axis against the base scenario."""
    problems: list[Problem] = []
    if spec.mode == "grid":
        members = _grid(spec, base, problems)
    else:
        members = _monte_carlo(spec, base, problems)
    if problems:
        raise SpecError(problems)
    head = [Member("base", dict.fromkeys(a.name for a in spec.axes), ())]
    return head + members if spec.include_base else members


def _grid(spec: SweepSpec, base: dict[str, Any], problems: list[Problem]) -> list[Member]:
    per_axis = []
    for i, axis in enumerate(spec.axes):
        if not axis.levels:
            problems.append(Problem(pointer("axes", i, "levels"), None, "grid mode needs levels"))
            continue
        per_axis.append(
            [_level(base, i, axis, j, lv, problems) for j, lv in enumerate(axis.levels)]
        )
    size = int(np.prod([len(levels) for levels in per_axis]))
    if size > MAX_MEMBERS:
        problems.append(Problem("/axes", size, f"a grid has at most {MAX_MEMBERS:,} members"))
    if problems:
        return []
    members = []
    for combo in itertools.product(*per_axis):
        name = ";".join(
            f"{a.name}={label}" for a, (label, _, _) in zip(spec.axes, combo, strict=True)
        )
        levels: dict[str, float | str | None] = {
            a.name: value for a, (_, value, _) in zip(spec.axes, combo, strict=True)
        }
        members.append(Member(name, levels, tuple(s for _, _, shocks in combo for s in shocks)))
    return members


def _level(
    base: dict[str, Any],
    i: int,
    axis: Axis,
    j: int,
    level: float | NamedLevel,
    problems: list[Problem],
) -> tuple[str, float | str, list[Any]]:
    """(label, level, shocks) of one grid level; problems are collected, not raised."""
    try:
        if isinstance(level, NamedLevel):
            where: list[object] = ["axes", i, "levels", j, "shocks"]
            shocks = parse_shocks(level.shocks, where)
            found = [p for k, s in enumerate(shocks) for p in shock_problems(base, s, [*where, k])]
            problems += found
            return level.name, level.name, shocks
        return f"{level:g}", level, [_filled(base, i, axis, level, problems)]
    except SpecError as exc:
        problems += exc.problems
        return "", "", []


def _filled(
    base: dict[str, Any], i: int, axis: Axis, amount: float, problems: list[Problem]
) -> Any:
    """The axis's template with its amount filled in, checked against the base."""
    if axis.shock is None:
        raise SpecError(
            [Problem(pointer("axes", i, "shock"), None, "a numeric level needs a shock template")]
        )
    shock = parse_shock({**axis.shock, axis.parameter: amount}, ["axes", i, "shock"])
    problems += list(shock_problems(base, shock, ["axes", i, "shock"]))
    return shock


def _monte_carlo(spec: SweepSpec, base: dict[str, Any], problems: list[Problem]) -> list[Member]:
    for i, axis in enumerate(spec.axes):
        if axis.distribution is None:
            problems.append(
                Problem(
                    pointer("axes", i, "distribution"), None, "monte_carlo needs a distribution"
                )
            )
            continue
        for amount in sorted(set(axis.distribution.extremes())):  # every draw lies between these
            try:
                _filled(base, i, axis, amount, problems)
            except SpecError as exc:
                problems += exc.problems
    if problems:
        return []
    rng = np.random.default_rng(spec.seed)
    width = len(str(spec.samples))
    members = []
    for k in range(spec.samples or 0):
        drawn = {a.name: a.distribution.draw(rng) for a in spec.axes}  # type: ignore[union-attr]
        shocks = tuple(
            parse_shock({**a.shock, a.parameter: drawn[a.name]})  # type: ignore[dict-item]
            for a in spec.axes
        )
        members.append(Member(f"mc-{k + 1:0{width}d}", dict(drawn), shocks))
    return members


def verify_positions(verify_sample: int | float, n: int) -> set[int]:
    """Members to solve cold as a check, evenly spaced: a count (int) or a fraction (float)."""
    count = verify_sample if isinstance(verify_sample, int) else round(verify_sample * n)
    count = min(count, n)
    if count <= 0:
        return set()
    return {int(k) for k in np.linspace(0, n - 1, count).round()}


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
) -> SweepResult:
    """Expand, solve and summarise a sweep; `progress(done, total)` after each member.
    `workers` overrides the spec's; see `base_document` for `allow_path`."""
    spec = spec if isinstance(spec, SweepSpec) else parse_sweep_spec(spec)
    base = base_document(spec, allow_path)
    members = expand_members(spec, base)
    verify = verify_positions(spec.verify_sample, len(members))
    jobs = [(m, k in verify) for k, m in enumerate(members)]
    n_workers = min(workers or spec.workers, len(jobs))
    report = progress or (lambda done, total: None)
    if n_workers > 1:
        rows = _solve_in_pool(base, jobs, spec, n_workers, report)
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


def write_csv(result: SweepResult, path: str | Path) -> None:
    table = result.table()
    with Path(path).open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(table[0]) if table else ["member"])
        writer.writeheader()
        writer.writerows(table)


# -- parallel members ---------------------------------------------------------------------------
_WORKER: dict[str, Any] = {}


def _start_worker(base: dict[str, Any], options: SolveOptions, hot: bool) -> None:
    _WORKER.update(base=base, solver=HotStartSolver(options, hot=hot))


def _solve_in_worker(jobs: list[tuple[Member, bool]]) -> list[dict[str, Any]]:
    return [solve_member(_WORKER["solver"], _WORKER["base"], m, v) for m, v in jobs]


def _solve_in_pool(
    base: dict[str, Any],
    jobs: list[tuple[Member, bool]],
    spec: SweepSpec,
    workers: int,
    report: Callable[[int, int], None],
) -> list[dict[str, Any]]:
    """Runs of neighbouring members spread over processes; each process keeps its own
    HiGHS object, so within a run every member starts from its neighbour's basis. Four
    runs a process keep the load even. `spawn` keeps the workers clear of the parent's
    threads."""
    size = -(-len(jobs) // (4 * workers))
    runs = [jobs[k : k + size] for k in range(0, len(jobs), size)]
    rows: list[list[dict[str, Any]]] = [[] for _ in runs]
    context = multiprocessing.get_context("spawn")
    init = (base, spec.options, spec.hot_start)
    done = 0
    with ProcessPoolExecutor(workers, context, _start_worker, init) as pool:
        futures = {pool.submit(_solve_in_worker, run): k for k, run in enumerate(runs)}
        for future in as_completed(futures):
            rows[futures[future]] = future.result()
            done += len(rows[futures[future]])
            report(done, len(jobs))
    return [row for run in rows for row in run]
