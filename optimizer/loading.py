"""Reading a scenario from JSON, YAML or a plain mapping into a validated `Scenario`."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import Problem, ScenarioError, pointer
from .scenario import LIST_TAG, SCALAR_TAG, Scenario
from .validation import check_scenario


def parse_scenario(document: Any) -> Scenario:
    """Validate a decoded document (shape, then domain rules); raise ScenarioError."""
    try:
        scenario = Scenario.model_validate(document)
    except ValidationError as exc:
        raise ScenarioError([_problem_from_pydantic(e) for e in exc.errors()]) from None
    problems = check_scenario(scenario)
    if problems:
        raise ScenarioError(problems)
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file; the suffix picks the spelling (.json, .yaml/.yml)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem("", str(path), f"cannot read scenario file: {exc}")]) from None
    return parse_scenario(decode(text, yaml_syntax=path.suffix.lower() in (".yaml", ".yml")))


def decode(text: str, yaml_syntax: bool = False) -> Any:
    try:
        if yaml_syntax:
            return yaml.safe_load(text)
        return json.loads(text, parse_constant=_reject_constant)
    except (json.JSONDecodeError, yaml.YAMLError, ValueError) as exc:
        syntax = "YAML" if yaml_syntax else "JSON"
        raise ScenarioError([Problem("", None, f"not valid {syntax}: {exc}")]) from None


def _reject_constant(name: str) -> float:
    # NaN and Infinity are not JSON; say so instead of letting them reach the model.
    raise ValueError(f"{name} is not a finite number")


def _problem_from_pydantic(error: Any) -> Problem:
    where = pointer(*(part for part in error["loc"] if part not in (SCALAR_TAG, LIST_TAG)))
    value = error.get("input")
    if error["type"] == "missing":
        value = None
    elif isinstance(value, float) and not math.isfinite(value):
        value = str(value)
    elif isinstance(value, dict | list):
        value = _short(value)
    rule = error["msg"]
    if error["type"] == "extra_forbidden":
        rule = "unknown field (not part of the scenario format)"
    return Problem(where, value, rule)


def _short(value: Any) -> Any:
    text = json.dumps(value, default=str)
    return value if len(text) <= 200 else text[:197] + "..."
