"""The solver options of every command that solves (`solve`, `why`, `frontier`), declared
once: `add_solver_options` puts them on a command's parser, `solve_options` turns the
parsed arguments into `SolveOptions`, and `solver_log_to_stderr` keeps HiGHS's log
(`--verbose`) off stdout, which carries the command's JSON.

pydantic (through `optimizer.options`) is imported only when a command runs, so that
building the parser for `magnets --help` stays light.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from cli.exit_status import OptionError

if TYPE_CHECKING:
    from optimizer.options import SolveOptions


def add_solver_options(parser: argparse.ArgumentParser, *, per_solve: bool = False) -> None:
    """--time-limit, --mip-gap, --threads and --verbose; `per_solve` for a command that
    solves more than once (the time limit holds for each solve)."""
    each = " per solve" if per_solve else ""
    parser.add_argument(
        "--time-limit",
        type=float,
        metavar="S",
        help=f"seconds{each}; the best plan found by then comes back with status time_limit",
    )
    parser.add_argument(
        "--mip-gap",
        type=float,
        default=1e-6,  # SolveOptions.mip_gap's default
        metavar="G",
        help="relative MIP gap at which a MILP counts as solved (default 1e-6)",
    )
    parser.add_argument(
        "--threads", type=int, metavar="N", help="HiGHS threads (default: HiGHS chooses)"
    )
    parser.add_argument("--verbose", action="store_true", help="show HiGHS's log on stderr")


def solve_options(args: argparse.Namespace) -> SolveOptions:
    """The options given on the command line; one out of range raises OptionError naming
    it (`bad option --mip-gap: Input should be less than or equal to 1 (got 2.0)`)."""
    from pydantic import ValidationError

    from optimizer.options import SolveOptions

    try:
        return SolveOptions(
            time_limit=args.time_limit,
            mip_gap=args.mip_gap,
            threads=args.threads,
            verbose=args.verbose,
        )
    except ValidationError as exc:
        reasons = [
            f"bad option --{str(e['loc'][0]).replace('_', '-')}: {e['msg']} (got {e.get('input')})"
            for e in exc.errors()
        ]
        raise OptionError("; ".join(reasons)) from None


@contextlib.contextmanager
def solver_log_to_stderr(active: bool) -> Iterator[None]:
    """HiGHS logs to file descriptor 1; keep stdout for the command's output alone."""
    if not active:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
