"""`magnets hedge`: one plan whose near-term part holds whatever outcome comes (MODEL.md §6).

`add_commands(subparsers)` adds it to the `magnets` parser. Exit status as `solve`: 0 a
plan was produced (whatever its status), 2 a rejected hedge document or option (every
problem on stderr), 1 an output that could not be written.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cli.exit_status import EXIT_INVALID, EXIT_OK, OptionError, exit_status
from cli.solver_options import add_solver_options, solve_options, solver_log_to_stderr


def add_commands(sub: Any) -> None:
    h = sub.add_parser(
        "hedge",
        help="one plan hedged across disruption outcomes (two-stage, CVaR, EVPI)",
        description="Solve a hedge document (JSON or YAML: a base scenario, outcomes with "
        "probabilities as shocks or whole scenarios, the reveal period, the risk measure): "
        "the decisions before reveal are shared by every outcome, later ones adapt. Prints "
        "the hedged plan with wait-and-see, EVPI and the value of hedging (MODEL.md §6).",
    )
    h.add_argument("hedge", help="hedge document (.json, .yaml or .yml)")
    add_solver_options(h)
    h.add_argument(
        "--outcome-plans",
        action="store_true",
        help="add every outcome's full plan tables to its row",
    )
    h.add_argument(
        "--evaluate",
        metavar="M",
        type=int,
        help="outcomes given as a sample only: fix the here-and-now decisions and report the "
        "risk objective on M fresh outcomes, with a 95%% confidence interval (`evaluation`)",
    )
    h.add_argument(
        "--evaluate-seed",
        metavar="S",
        type=int,
        help="seed of the fresh outcomes (default: the sample's seed + 1)",
    )
    h.add_argument(
        "--workers",
        metavar="N",
        type=int,
        default=1,
        help="local processes that solve the outcomes alone behind the values (wait-and-see, "
        "value of hedging, out of sample), in runs hot-started from each other (default 1)",
    )
    h.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="solve those outcomes on the Dask cluster at this scheduler address "
        "(tcp://host:8786) instead",
    )
    h.add_argument("--out", metavar="PLAN.json", help="write the plan JSON here instead of stdout")
    h.add_argument(
        "--xlsx",
        metavar="PLAN.xlsx",
        help="also write the hedged plan as an Excel workbook: the summary (risk values), "
        "the orders of now and the outcomes, a sheet each",
    )
    h.add_argument(
        "--format",
        choices=("json", "table"),
        default="json",
        help="json: the hedged plan (default); table: what to order now, each outcome's cost, "
        "what the hedge costs and saves",
    )
    h.set_defaults(handler=_hedge)


def _hedge(args: argparse.Namespace) -> int:
    from optimizer.errors import ScenarioError

    try:
        return _run(args)
    except ScenarioError as exc:
        for problem in exc.problems:
            print(f"invalid hedge document: {problem}", file=sys.stderr)
        return EXIT_INVALID
    except (OptionError, OSError) as exc:
        return exit_status(exc, args.command)


def _run(args: argparse.Namespace) -> int:
    from optimizer.whatif.hedge_document import MAX_OUTCOMES, draw_outcomes, load_hedge
    from optimizer.whatif.hedge_summary import hedge_summary
    from optimizer.whatif.hedge_values import hedged_plan
    from optimizer.whatif.runs import Executor

    options = solve_options(args)
    if args.workers < 1:
        raise OptionError("--workers must be a whole number >= 1")
    if args.dask is not None and "://" not in args.dask:
        raise OptionError("--dask takes a scheduler address such as tcp://host:8786")
    executor = Executor(args.workers, args.dask)
    if args.evaluate is not None and not 1 <= args.evaluate <= MAX_OUTCOMES:
        raise OptionError(f"--evaluate must be a whole number from 1 to {MAX_OUTCOMES:,}")
    if args.evaluate_seed is not None and (args.evaluate is None or args.evaluate_seed < 0):
        raise OptionError("--evaluate-seed goes with --evaluate and is a whole number >= 0")
    hedge = load_hedge(args.hedge)
    fresh: tuple[Any, ...] = ()
    seed = None
    if args.evaluate is not None:
        if hedge.sample is None:
            raise OptionError(
                "--evaluate needs the outcomes given as a sample (outcomes: {sample})"
            )
        seed = hedge.sample.seed + 1 if args.evaluate_seed is None else args.evaluate_seed
        fresh = draw_outcomes(hedge, args.evaluate, seed)
    with solver_log_to_stderr(args.verbose):
        plan = hedged_plan(hedge, options, args.outcome_plans, fresh, seed, executor)
    if args.format == "table":
        text = hedge_summary(plan)
    else:
        text = json.dumps(plan, indent=1 if not args.out and sys.stdout.isatty() else None)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")
    if args.xlsx:
        from optimizer.report.hedge_workbook import write_hedge_workbook  # openpyxl: if asked

        origins = {s.id: s.origin or s.country for s in hedge.base.suppliers}
        write_hedge_workbook(plan, args.xlsx, origins)
    return EXIT_OK
