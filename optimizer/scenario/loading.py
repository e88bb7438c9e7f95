"""Reading a scenario file; the suffix picks the spelling (JSON, YAML or an Excel workbook)."""

from __future__ import annotations

from pathlib import Path

from optimizer.errors import Problem, ScenarioError
from optimizer.scenario.parsing import decode, parse_scenario
from optimizer.scenario.schema import Scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file; the suffix picks the spelling (.json, .yaml/.yml, .xlsx)."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from optimizer.scenario.workbook_read import scenario_from_workbook  # openpyxl: on use

        return scenario_from_workbook(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # spreadsheet tools often prepend a BOM
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem("", str(path), f"cannot read scenario file: {exc}")]) from None
    return parse_scenario(decode(text, yaml_syntax=path.suffix.lower() in (".yaml", ".yml")))
