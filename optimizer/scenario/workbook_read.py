"""Reading a scenario workbook into the scenario document (layout in `workbook.py`), and
validating it with every problem named by its sheet and cell as well as its pointer.

The sheets are read into rows by `workbook_rows.py` and the rows turned into the
document's sections by `workbook_sections.py`; this module opens the workbook and names
each problem of the scenario's own rules by the cell that holds the offending value.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from optimizer.errors import Problem, ScenarioError
from optimizer.scenario.parsing import parse_scenario
from optimizer.scenario.schema import Scenario
from optimizer.scenario.workbook_rows import WorkbookReader
from optimizer.scenario.workbook_sections import scenario_document


def read_workbook(path: str | Path) -> dict[str, Any]:
    """The scenario document a workbook spells; ScenarioError for a malformed workbook."""
    document, reader = _read(path)
    if reader.problems:
        raise ScenarioError(reader.problems)
    return document


def scenario_from_workbook(path: str | Path) -> Scenario:
    """Read and validate; each problem names its sheet and cell as well as its pointer."""
    return validated(path)[1]


def validated(path: str | Path) -> tuple[dict[str, Any], Scenario]:
    """The document and its scenario; ScenarioError with the workbook's every problem.

    The cells that could not be read are left out of the document and marked unread, so
    the scenario's own rules still check every other cell.
    """
    document, reader = _read(path)
    try:
        scenario = parse_scenario(document, reader.unread)
    except ScenarioError as exc:
        located = _once_per_cell(exc.problems, reader.places)
        raise ScenarioError(reader.problems + located) from None
    if reader.problems:
        raise ScenarioError(reader.problems)
    return document, scenario


def _once_per_cell(problems: list[Problem], places: dict[str, str]) -> list[Problem]:
    """Each problem named by its cell, once: a wide demand row's cell fills several rows."""
    said: set[tuple[str, str, str]] = set()
    out = []
    for p in problems:
        place = _place(p.pointer, places)
        key = (place or p.pointer, p.rule, json.dumps(p.value, sort_keys=True, default=str))
        if key not in said:
            said.add(key)
            out.append(Problem(p.pointer, p.value, f"{place}: {p.rule}") if place else p)
    return out


def _place(pointer: str, places: dict[str, str]) -> str | None:
    """The nearest cell or row that holds the value at `pointer`."""
    while pointer and pointer not in places:
        pointer = pointer.rsplit("/", 1)[0]
    return places.get(pointer)


def _read(path: str | Path) -> tuple[dict[str, Any], WorkbookReader]:
    with warnings.catch_warnings():  # openpyxl's notes on Excel extras it ignores anyway
        warnings.simplefilter("ignore")
        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 — zip, XML and format errors: "unreadable"
            reason = f"cannot read workbook: {type(exc).__name__}: {exc}"
            raise ScenarioError([Problem("", str(path), reason)]) from None
        try:
            reader = WorkbookReader(book)
            document = scenario_document(reader)
        finally:
            book.close()
    return document, reader
