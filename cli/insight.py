"""`magnets sweep`, `magnets why` and `magnets frontier`: what-if commands.

`add_commands(subparsers)` adds them to the `magnets` parser; each handler returns the
exit status: 0 done, 2 a rejected spec, scenario or option (messages on stderr), 1 an
output that could not be written.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from cli.exit_status import EXIT_OK, OptionError, exit_status
from cli.solver_options import add_solver_options, solve_options, solver_log_to_stderr

if TYPE_CHECKING:
    from optimizer.whatif.sweep import SweepResult

# optimizer.whatif.frontier.DEFAULT_STEPS, written here so that building the parser
# imports no solver (tests/cli/test_startup_imports.py holds the two equal)
FRONTIER_STEPS = 11


def add_commands(sub: Any) -> None:
    s = sub.add_parser(
        "sweep",
        help="solve a grid or Monte Carlo sample of what-if shocks on one scenario",
        description="Expand a sweep spec (JSON or YAML: base scenario, shock axes, grid or "
        "seeded Monte Carlo) into members, solve each from the previous basis, and report "
        "one row per member with statistics (mean, P5/P50/P95 of cost and shortage). "
        "Every field of the spec, the shock kinds and the result: docs/sweeps.md; "
        "examples to copy: instances/sweeps/.",
    )
    s.add_argument("spec", help="sweep spec (.json, .yaml or .yml; see docs/sweeps.md)")
    s.add_argument("--out", metavar="RESULT.json", help="write the result here (default stdout)")
    s.add_argument("--csv", metavar="TABLE.csv", help="also write the comparison table as CSV")
    s.add_argument("--workers", type=int, metavar="N", help="processes (default: the spec's)")
    s.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="solve the members on the Dask cluster at this scheduler address "
        "(tcp://host:8786) instead of local processes",
    )
    s.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    s.set_defaults(handler=_guarded(_sweep))

    w = sub.add_parser(
        "why",
        help="what the plan costs without one supplier, origin or plant",
        description="Solve the scenario, then again with the named source's capacity at 0, "
        "and report both objectives and shortages with their differences.",
    )
    w.add_argument("scenario", help="scenario file (.json, .yaml or .yml)")
    one = w.add_mutually_exclusive_group(required=True)
    one.add_argument("--supplier", metavar="ID", help="exclude this supplier")
    one.add_argument(
        "--origin", metavar="O", help="exclude every supplier of this origin and every plant in it"
    )
    one.add_argument("--plant", metavar="ID", help="exclude this plant")
    add_solver_options(w, per_solve=True)
    w.add_argument("--out", metavar="FILE", help="write the result here (default stdout)")
    w.add_argument(
        "--format",
        choices=("json", "table"),
        default="json",
        help="json: the result (default); table: both plans side by side for people, with the "
        "limits that bind in each and whether they amplify the loss",
    )
    w.set_defaults(handler=_guarded(_why))

    f = sub.add_parser(
        "frontier",
        help="total cost against one origin's share of supply (Pareto frontier)",
        description="Sweep the cap on an origin's share of each period's supply from 1 down "
        "to 0 and report the non-dominated (cost, realised share) points.",
    )
    f.add_argument("scenario", help="scenario file (.json, .yaml or .yml)")
    f.add_argument("--origin", default="CN", help="origin country id (default CN)")
    f.add_argument(
        "--steps",
        type=int,
        default=FRONTIER_STEPS,
        help=f"caps from 1 to 0 (default {FRONTIER_STEPS})",
    )
    add_solver_options(f, per_solve=True)
    f.add_argument("--out", metavar="FILE", help="write the JSON result here (default stdout)")
    f.set_defaults(handler=_guarded(_frontier))


def _guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Rejections become messages and exit status 2, never a stack trace."""

    def run(args: argparse.Namespace) -> int:
        from optimizer.errors import ScenarioError
        from optimizer.whatif.shocks import SpecError

        try:
            return handler(args)
        except (SpecError, ScenarioError, OptionError, OSError) as exc:
            return exit_status(exc, args.command)

    return run


def _emit(result: dict[str, Any], out: str | None) -> None:
    text = json.dumps(result, indent=1)
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")


def _sweep(args: argparse.Namespace) -> int:
    from optimizer.errors import Problem
    from optimizer.whatif.shocks import SpecError
    from optimizer.whatif.sweep import run_sweep, write_csv
    from optimizer.whatif.sweep_spec import load_sweep_spec

    spec = load_sweep_spec(args.spec)
    if args.workers is not None and args.workers < 1:
        raise SpecError([Problem("--workers", args.workers, "at least 1")])
    if args.dask is not None and "://" not in args.dask:
        raise SpecError([Problem("--dask", args.dask, "a scheduler address: tcp://host:8786")])
    bar = None if args.quiet else ProgressBar(f"sweep {spec.name}")
    result = run_sweep(spec, progress=bar, workers=args.workers, dask=args.dask)
    _emit(result.as_dict(), args.out)
    if args.csv:
        write_csv(result, args.csv)
    if args.out:
        sys.stdout.write(sweep_summary(result) + "\n")
    return EXIT_OK


def _why(args: argparse.Namespace) -> int:
    from optimizer.scenario.loading import load_scenario
    from optimizer.whatif.why import format_why, why

    options = solve_options(args)
    scenario = load_scenario(args.scenario)
    doc = scenario.model_dump(mode="json", exclude_none=True)
    with solver_log_to_stderr(args.verbose):
        result = why(doc, args.supplier, args.origin, args.plant, options)
    if args.format == "table":
        text = format_why(result) + "\n"
        if args.out:
            Path(args.out).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    else:
        _emit(result, args.out)
    return EXIT_OK


def _frontier(args: argparse.Namespace) -> int:
    from optimizer.scenario.loading import load_scenario
    from optimizer.whatif.frontier import default_caps, frontier

    options = solve_options(args)
    caps = default_caps(args.steps)
    doc = load_scenario(args.scenario).model_dump(mode="json", exclude_none=True)
    with solver_log_to_stderr(args.verbose):
        result = frontier(doc, args.origin, caps, options)
    _emit(result.as_dict(), args.out)
    return EXIT_OK


def sweep_summary(result: SweepResult) -> str:
    """A few lines for the terminal: members, statuses, starts, cost spread."""
    stats = result.statistics
    cost = stats["total_cost"]
    lines = [
        f"sweep {result.name}: {len(result.rows)} members solved; of the {stats['members']} "
        f"in the statistics (the base left out), {stats['solved']} have a plan",
        "statuses " + ", ".join(f"{k} {v}" for k, v in stats["statuses"].items()),
        "starts   " + ", ".join(f"{k} {v}" for k, v in result.starts.items()),
    ]
    if cost["mean"] is not None:
        lines.append(
            "total cost  mean {mean:,.0f}  P5 {p5:,.0f}  P50 {p50:,.0f}  P95 {p95:,.0f}".format(
                **cost
            )
        )
    return "\n".join(lines)


class ProgressBar:
    """`label done/total [####....] elapsed, eta` on one line of stderr; when stderr is not
    a terminal, one line per tenth of the work instead of a redrawn one."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30):
        self.label, self.width = label, width
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.perf_counter()
        self.tty = self.stream.isatty()
        self._tenth = -1

    def __call__(self, done: int, total: int) -> None:
        elapsed = time.perf_counter() - self.started
        tenth = done * 10 // max(total, 1)
        if not self.tty and tenth == self._tenth and done < total:
            return
        self._tenth = tenth
        filled = self.width * done // max(total, 1)
        eta = elapsed / done * (total - done) if done else 0.0
        bar = "#" * filled + "." * (self.width - filled)
        line = f"{self.label} {done}/{total} [{bar}] {elapsed:.1f}s, eta {eta:.1f}s"
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        if self.tty and done >= total:
            self.stream.write("\n")
        self.stream.flush()
