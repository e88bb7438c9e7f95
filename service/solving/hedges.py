"""Hedged plans (MODEL.md §6) for `POST /v1/hedge` and the hedge job: the size caps on
the raw document, the document's rules, the out-of-sample evaluation's, and the solve,
with its outcomes solved alone sent where `hedge_executor` says."""

from __future__ import annotations

import json
import os
from typing import Any

from optimizer.errors import Problem, ScenarioError, pointer
from optimizer.model.status import PlanStatus
from optimizer.options import SolveOptions
from optimizer.whatif.hedge_document import MAX_OUTCOMES, Hedge, draw_outcomes, parse_hedge
from optimizer.whatif.hedge_values import hedged_plan
from optimizer.whatif.runs import IN_PROCESS, Executor, Helpers, own_cluster

from .scenarios import SizeLimits, json_safe, size_checks, size_problems, under, unstorable

# --- hedged plans (MODEL.md §6): `POST /v1/hedge` and the hedge job ------------------------
HEDGE_CHANGE = "hedge"  # a hedge job item's change: {"hedge": run_hedge's keyword arguments}
DASK_SCHEDULER_VARIABLE = "MAGNETS_DASK_SCHEDULER"  # Settings.dask_scheduler, as inherited
BASE_PATH_RULE = (
    "a path is read only by `magnets hedge`, beside the hedge file; give the base "
    "scenario document inline"
)


def check_hedge_size(document: Any, limits: SizeLimits) -> None:
    """Refuse a hedge too large to build (ScenarioError), counted on the raw document
    before anything is parsed or built (see hedge_size_problems)."""
    problems = hedge_size_problems(document, limits)
    if problems:
        raise ScenarioError(problems)


def evaluation_problems(
    document: Any, limits: SizeLimits, evaluate: int | None, at: str
) -> list[Problem]:
    """What refuses an out-of-sample evaluation of `evaluate` fresh outcomes (pointer
    `at`, where the request gave `evaluate`), on the raw document: outcomes listed rather
    than sampled (fresh ones are drawn from a sample's axes), or fresh outcomes that,
    each solved alone at the size of the hedge's base, add up past the caps a hedge's
    outcomes are held to (as much work as a hedge of that many outcomes)."""
    if evaluate is None or not isinstance(document, dict):
        return []
    if not isinstance(document.get("outcomes"), dict):
        return [Problem(at, evaluate, EVALUATE_RULE)]
    base = document.get("base")
    return [
        Problem(
            at,
            evaluate,
            f"evaluation too large for this service: {what} summed over its {evaluate:,} "
            f"fresh outcomes (each solved at the base's size) at most {cap:,}",
        )
        for _, size, cap, what in (size_checks(base, limits) if isinstance(base, dict) else [])
        if size * evaluate > cap
    ]


def hedge_size_problems(document: Any, limits: SizeLimits) -> list[Problem]:
    """The base and each outcome given as a whole scenario against the scenario caps
    (pointers under /base and /outcomes/<i>/scenario); then, as the extensive form holds
    one block per outcome, each the size of that outcome's document (base's, for one
    given as shocks or drawn from a sample), every cap against the sum over the outcomes
    (pointer /outcomes). A `base` given as a path is refused: the service reads no files."""
    if not isinstance(document, dict):
        return []  # the schema check names this one
    base = document.get("base")
    if isinstance(base, str):
        return [Problem("/base", base, BASE_PATH_RULE)]
    problems = [under("/base", p) for p in size_problems(base, limits)]
    blocks: list[tuple[Any, int]] = []  # (document, outcome blocks of its size)
    outcomes = document.get("outcomes")
    if isinstance(outcomes, list):
        shocked = 0
        for i, item in enumerate(outcomes):
            scenario = item.get("scenario") if isinstance(item, dict) else None
            if isinstance(scenario, dict):
                where = pointer("outcomes", i, "scenario")
                problems += [under(where, p) for p in size_problems(scenario, limits)]
                blocks.append((scenario, 1))
            else:
                shocked += 1
        blocks.append((base, shocked))
    elif isinstance(outcomes, dict):
        blocks.append((base, _sample_size(outcomes)))
    if problems:
        return problems
    count = sum(n for _, n in blocks)
    totals: dict[tuple[str, int], int] = {}
    for block, n in blocks:
        for _, size, cap, what in size_checks(block, limits) if n else []:
            totals[what, cap] = totals.get((what, cap), 0) + size * n
    return [
        Problem(
            "/outcomes",
            total,
            f"hedge too large for this service: {what} summed over its {count:,} outcomes "
            f"(the hedged model holds one block per outcome) at most {cap:,}",
        )
        for (what, cap), total in totals.items()
        if total > cap
    ]


def _sample_size(outcomes: dict[str, Any]) -> int:
    """The outcomes a sample draws (n), as far as the schema will allow it."""
    sample = outcomes.get("sample")
    n = sample.get("n") if isinstance(sample, dict) else None
    return min(max(n, 0), MAX_OUTCOMES) if isinstance(n, int) and not isinstance(n, bool) else 0


def check_hedge(document: Any, limits: SizeLimits) -> str:
    """Refuse an oversized, invalid or unstorable hedge document (ScenarioError, every
    problem); return the hedged plan's name. What a hedge job is checked with."""
    check_hedge_size(document, limits)
    hedge = parse_hedge(document)
    problems = unstorable(document) if "\\u0000" in json.dumps(document) else []
    if problems:
        raise ScenarioError(problems)
    return hedge.name


EVALUATE_RULE = "fresh outcomes need the outcomes given as a sample (outcomes: {sample})"


def hedge_executor(helpers: Helpers | None = None) -> Executor:
    """Where a hedge's outcomes solved alone go (docs/model-notes.md, "Hedged plans"): the
    Dask cluster the hedge itself runs on (a hedge job on the cluster), else the one
    MAGNETS_DASK_SCHEDULER names (the service's setting, which its solver processes
    inherit; while it cannot be reached, as if it were not set), else the service's other
    solver processes as they fall idle (`helpers`: a hedge job's worker, see
    service/run_sharing.py), else this solver process, hot-started one after another.
    Never a pool of its own: a job worker is a daemon process, which may not start any,
    and the solver processes already are the service's share of the machine's cores."""
    own = own_cluster()
    if own:
        return Executor(dask=own)
    here = Executor(helpers=helpers) if helpers is not None else IN_PROCESS
    named = os.environ.get(DASK_SCHEDULER_VARIABLE)
    # the named cluster down: solved here all the same, after the connection's time-out
    return Executor(dask=named, helpers=helpers, here_if_unreachable=True) if named else here


def fresh_outcomes(hedge: Hedge, evaluate: int | None, seed: int | None) -> tuple[Any, int | None]:
    """The `evaluate` fresh outcomes to evaluate the plan on, drawn with `seed` (default:
    the sample's seed + 1, as `magnets hedge --evaluate`), and that seed; none without
    `evaluate`. ScenarioError when a draw breaks the scenario rules."""
    if evaluate is None:
        return (), None
    if hedge.sample is None:  # refused on submission (evaluation_problems)
        raise ScenarioError([Problem("/evaluate", evaluate, EVALUATE_RULE)])
    drawn_with = hedge.sample.seed + 1 if seed is None else seed
    return draw_outcomes(hedge, evaluate, drawn_with), drawn_with


def hedge_checked(
    document: Any,
    options: SolveOptions,
    outcome_plans: bool = False,
    evaluate: int | None = None,
    evaluate_seed: int | None = None,
) -> tuple[str | None, bytes]:
    """The hedged plan's status and the plan as JSON, for a hedge document whose size was
    checked (an invalid one raises ScenarioError), read and solved in the solver process
    as `solve_checked` does a scenario; with `evaluate`, its here-and-now decisions are
    also evaluated on that many fresh outcomes (`fresh_outcomes`)."""
    hedge = parse_hedge(document)
    fresh, seed = fresh_outcomes(hedge, evaluate, evaluate_seed)
    found = hedged_plan(hedge, options, outcome_plans, fresh, seed, executor=hedge_executor())
    plan = json_safe(found)
    text = json.dumps(plan, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return plan.get("status"), text.encode("utf-8")


def hedge_change(
    outcome_plans: bool = False, evaluate: int | None = None, evaluate_seed: int | None = None
) -> dict[str, Any]:
    """The change that makes a job item of a hedge document (see run_member)."""
    asked: dict[str, Any] = {"outcome_plans": outcome_plans}
    if evaluate is not None:
        asked["evaluate"] = evaluate
        asked["evaluate_seed"] = evaluate_seed
    return {HEDGE_CHANGE: asked}


def run_hedge(
    document: Any,
    options: SolveOptions,
    outcome_plans: bool = False,
    evaluate: int | None = None,
    evaluate_seed: int | None = None,
    helpers: Helpers | None = None,
) -> dict[str, Any]:
    """A hedge job item's plan: the hedged plan of MODEL.md §6, JSON-safe, evaluated on
    `evaluate` fresh outcomes when asked; every outcome is a plan, never an exception.
    `helpers`: the service's solver processes that take some of its outcomes solved
    alone (hedge_executor)."""
    try:
        hedge = parse_hedge(document)
        fresh, seed = fresh_outcomes(hedge, evaluate, evaluate_seed)
    except ScenarioError as exc:  # checked on submission, but for a fresh draw's rules
        name = document.get("name") if isinstance(document, dict) else None
        return {"status": str(PlanStatus.ERROR), "message": f"hedge rejected: {exc}",
                "objective": None, "name": str(name or ""), "timings": {"total_s": 0.0}}  # fmt: skip
    executor = hedge_executor(helpers)
    found = hedged_plan(hedge, options, outcome_plans, fresh, seed, executor=executor)
    plan: dict[str, Any] = json_safe(found)
    return plan
