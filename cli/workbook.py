"""`magnets workbook …`: openpyxl (and the scenario schema) are imported only when a
workbook command runs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_commands(subparsers: Any) -> None:
    """`magnets workbook template|to-json|from-json`."""
    w = subparsers.add_parser(
        "workbook",
        help="scenario workbooks (.xlsx): template, to-json, from-json",
        description="The Excel spelling of the scenario document; "
        "its README sheet explains the layout.",
    )
    actions = w.add_subparsers(dest="workbook_action", required=True, metavar="ACTION")
    t = actions.add_parser("template", help="write a template workbook with example rows")
    t.add_argument("out", metavar="OUT.xlsx")
    t.add_argument(
        "--periods",
        nargs="+",
        metavar="LABEL",
        help="period labels (default: 4 quarters from 2025-Q3)",
    )
    t.set_defaults(handler=_template_command)
    j = actions.add_parser("to-json", help="read and validate a workbook; print the scenario JSON")
    j.add_argument("workbook", metavar="IN.xlsx")
    j.add_argument("--out", metavar="SCENARIO.json", help="write the JSON here instead of stdout")
    j.set_defaults(handler=_to_json_command)
    f = actions.add_parser("from-json", help="write a scenario (JSON or YAML) as a workbook")
    f.add_argument("scenario", metavar="IN.json")
    f.add_argument("out", metavar="OUT.xlsx")
    f.set_defaults(handler=_from_json_command)


def _template_command(args: argparse.Namespace) -> int:
    from optimizer.scenario.workbook import write_template

    write_template(args.out, args.periods)
    return 0


def _to_json_command(args: argparse.Namespace) -> int:
    from optimizer.scenario.workbook_read import validated

    document = validated(args.workbook)[0]  # the document as written, omissions kept
    text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _from_json_command(args: argparse.Namespace) -> int:
    from optimizer.scenario.loading import load_scenario
    from optimizer.scenario.workbook import write_scenario_workbook

    write_scenario_workbook(load_scenario(args.scenario), args.out)
    return 0
