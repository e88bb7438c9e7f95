"""`magnets` command line: solve, validate and export here; the other commands come from
the modules beside this one (workbook, insight, report, service).

Building the parser imports nothing heavy: each command imports what it uses when it
runs (pydantic's scenario schema for `validate`, numpy and HiGHS for `solve`, …), so
`magnets --help` and `magnets validate` start at once (tests/cli/test_startup_imports.py).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from cli.exit_status import EXIT_INVALID, EXIT_OK, OptionError, exit_status
from cli.solver_options import add_solver_options, solve_options, solver_log_to_stderr

HERE = __name__
# The module that declares each command. A run that names its command builds (and
# imports) only that module's part of the parser: `magnets validate` need not import
# the service's or the report's command modules to read its one argument.
COMMAND_MODULES = {
    "solve": HERE, "export": HERE, "validate": HERE,
    "workbook": "cli.workbook",
    "sweep": "cli.insight", "why": "cli.insight", "frontier": "cli.insight",
    "hedge": "cli.hedge",
    "report": "cli.report",
    "serve": "cli.service", "keys": "cli.service",
    "db": "cli.database",
}  # fmt: skip


def _parser(command: str | None = None) -> argparse.ArgumentParser:
    """Every command's parser, or only those of `command`'s module (the same parser for
    that command, help and usage errors included)."""
    top = argparse.ArgumentParser(
        prog="magnets",
        description="Least-cost sourcing plans for rare-earth permanent magnets (MODEL.md).",
        epilog="Exit status: 0 a plan was produced (whatever its status), 2 the scenario was rejected, "
        "1 anything else (unreadable output path, …).",
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in dict.fromkeys(COMMAND_MODULES.values()):
        if command is None or COMMAND_MODULES[command] == module:
            importlib.import_module(module).add_commands(sub)
    return top


def _named_command(argv: list[str]) -> str | None:
    return argv[0] if argv and argv[0] in COMMAND_MODULES else None


def add_commands(sub: Any) -> None:
    """solve, export and validate."""
    s = sub.add_parser(
        "solve",
        help="solve a scenario and print its plan",
        description="Solve a scenario "
        "(JSON, YAML or an Excel workbook) and print the plan as JSON, or a short summary with --format table.",
    )
    s.add_argument("scenario", help="scenario file (.json, .yaml, .yml or .xlsx)")
    add_solver_options(s)
    s.add_argument("--out", metavar="PLAN.json", help="write the plan JSON here instead of stdout")
    s.add_argument(
        "--format",
        choices=("json", "table"),
        default="json",
        help="json: the full plan (default); table: for people: spend and shortage penalty, the "
        "orders of each period, shortages by sector, compliance, binding limits (with "
        "--explain the most valuable limits or the diagnosis), cost terms, origin shares, "
        "licence use",
    )
    s.add_argument(
        "--xlsx",
        metavar="PLAN.xlsx",
        help="also write the plan as an Excel workbook: a summary sheet and a sheet per table",
    )
    s.add_argument(
        "--explain",
        action="store_true",
        help="add marginal_values (what one more unit of each binding limit is worth) to a "
        "plan with a solution, or diagnosis (an irreducible set of conflicting limits) to an "
        "infeasible one",
    )
    s.add_argument(
        "--pretty",
        action="store_true",
        help="indent the plan JSON (the default at a terminal; files and pipes get compact JSON)",
    )

    e = sub.add_parser(
        "export",
        help="write the exact model `solve` hands to HiGHS",
        description="Write the model of a scenario, with rows and columns named after "
        "MODEL.md's symbols and the scenario's ids. Give --mps, --lp or both.",
    )
    e.add_argument("scenario", help="scenario file (.json, .yaml, .yml or .xlsx)")
    e.add_argument("--mps", metavar="FILE", help="write free-format MPS here")
    e.add_argument("--lp", metavar="FILE", help="write CPLEX LP format here")

    v = sub.add_parser(
        "validate",
        help="check a scenario without solving it",
        description="Check a scenario against MODEL.md §1; exit 0 when valid, 2 with every "
        "problem on stderr otherwise.",
    )
    v.add_argument("scenario", help="scenario file (.json, .yaml, .yml or .xlsx)")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser(_named_command(argv)).parse_args(argv)  # --help and usage errors end here
    from optimizer.errors import ScenarioError

    try:
        return _dispatch(args)
    except (ScenarioError, OptionError, OSError) as exc:
        return exit_status(exc, args.command, failure_prefix="magnets")


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "solve":
        return _solve(args)
    if args.command == "export":
        return _export(args)
    if args.command == "validate":
        from optimizer.scenario.loading import load_scenario

        scenario = load_scenario(args.scenario)
        print(f"{args.scenario}: valid ({scenario.name})")
        return EXIT_OK
    return int(args.handler(args))


def _solve(args: argparse.Namespace) -> int:
    from optimizer.report.summary import format_summary
    from optimizer.scenario.loading import load_scenario
    from optimizer.solve import solve

    options = solve_options(args)
    scenario = load_scenario(args.scenario)
    with solver_log_to_stderr(args.verbose):
        plan = solve(scenario, options, explain=args.explain)
    text = format_summary(plan, scenario) if args.format == "table" else _plan_json(plan, args)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")
    if args.xlsx:
        from optimizer.report.plan_workbook import (
            write_plan_workbook,  # pandas: only when asked for
        )

        write_plan_workbook(plan, args.xlsx, scenario)
    return EXIT_OK


def _plan_json(plan: dict, args: argparse.Namespace) -> str:
    """Indented for a person at a terminal; compact for files and pipes, where indenting
    a large plan would cost more than the rest of the run outside the solver."""
    pretty = args.pretty or (not args.out and sys.stdout.isatty())
    return json.dumps(plan, indent=1) if pretty else json.dumps(plan, separators=(",", ":"))


def _export(args: argparse.Namespace) -> int:
    if not args.mps and not args.lp:
        print("magnets export: give --mps FILE, --lp FILE or both", file=sys.stderr)
        return EXIT_INVALID
    from optimizer.model.export import export_model
    from optimizer.scenario.loading import load_scenario

    scenario = load_scenario(args.scenario)
    for path in (args.mps, args.lp):
        if path:
            export_model(scenario, path)
    return EXIT_OK


# Commands that end the usual way: the server's threads and solver processes have
# shutdown work of their own.
NORMAL_EXIT = frozenset({"serve"})


def run() -> None:
    """The `magnets` command: `main`, then, once its output is flushed, an exit that does
    not free the process's objects one by one, which the operating system does at once:
    about 20 ms of `magnets validate`'s 150 (pydantic's schemas), more after a solve.
    Every command has closed its files by then; `--help`, usage errors and unexpected
    errors leave through SystemExit or the traceback, the usual way."""
    argv = sys.argv[1:]
    code = main(argv)
    if _named_command(argv) in NORMAL_EXIT:
        raise SystemExit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # a reader that went away, a closed stream
            code = code or 1
    if "logging" in sys.modules:
        sys.modules["logging"].shutdown()
    os._exit(code)


if __name__ == "__main__":
    run()
