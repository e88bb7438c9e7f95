"""`magnets report`: a plan, sweep, frontier or job's plans drawn as one HTML page."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from optimizer.errors import Problem

EXIT_OK, EXIT_FAILURE, EXIT_INVALID = 0, 1, 2


def add_commands(subparsers: Any) -> None:
    r = subparsers.add_parser(
        "report",
        help="draw a plan, sweep, frontier or job as a self-contained HTML page",
        description="Write an HTML page (inline SVG charts; viewing it needs no network) for a "
        "plan, a sweep result, a frontier result or a job's plans, told apart by their fields. "
        "--png-dir also writes every chart as a PNG.",
    )
    r.add_argument("input", metavar="INPUT.json", help="plan, sweep result, frontier or job plans")
    r.add_argument(
        "--scenario",
        metavar="SCENARIO",
        help="the plan's scenario (.json/.yaml): adds origin-share caps, safety stocks",
    )
    r.add_argument("--out", metavar="REPORT.html", required=True, help="write the page here")
    r.add_argument("--png-dir", metavar="DIR", help="also write each chart as DIR/<chart id>.png")
    r.set_defaults(handler=run_report)


def run_report(args: argparse.Namespace) -> int:
    """Exit 0 when written, 2 for a rejected input or scenario, 1 for an unwritable path."""
    from optimizer.errors import ScenarioError
    from optimizer.report.inputs import ReportInputError
    from optimizer.report.render import build_report, write_pngs
    from optimizer.scenario.loading import load_scenario

    try:
        scenario = load_scenario(args.scenario) if args.scenario else None
        report = build_report(_read_json(args.input), scenario)
        Path(args.out).write_text(report.html, encoding="utf-8")
        if args.png_dir:
            write_pngs(report.charts, args.png_dir)
    except ScenarioError as exc:
        return _complain("invalid scenario", exc.problems)
    except ReportInputError as exc:
        return _complain(f"invalid report input {args.input}", exc.problems)
    except OSError as exc:
        print(f"magnets report: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def _read_json(path: str) -> Any:
    from optimizer.report.inputs import input_error

    try:
        return json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise input_error("", path, f"cannot read the file: {exc}") from None
    except ValueError as exc:
        raise input_error("", None, f"not valid JSON: {exc}") from None


def _complain(what: str, problems: Iterable[Problem]) -> int:
    for problem in problems:
        print(f"{what}: {problem}", file=sys.stderr)
    return EXIT_INVALID
