"""Text into a document (JSON or YAML) and a document into a validated `Scenario`."""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Iterator
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from optimizer.errors import Problem, ScenarioError, pointer
from optimizer.scenario.schema import (
    LIST_TAG,
    MAX_AMOUNT,
    MAX_AMOUNT_RULE,
    SCALAR_TAG,
    Scenario,
)
from optimizer.scenario.validation import check_scenario, readable_view

if TYPE_CHECKING:
    import yaml


def parse_scenario(document: Any, unread: Collection[str] = ()) -> Scenario:
    """Validate a decoded document; raise ScenarioError with every problem it has.

    The schema and the domain rules both run: where the schema refuses values, the
    rules check the rest of the document (docs/model-notes.md, "Validation order").
    `unread` holds the pointers of values a reader could not give and has reported
    itself (a workbook's bad cells): they are neither missing nor checked.
    """
    try:
        scenario = Scenario.model_validate(document)
    except ValidationError as exc:
        raise ScenarioError(_every_problem(document, exc.errors(), unread)) from None
    problems = check_scenario(readable_view(document, unread) if unread else scenario)
    if problems:
        raise ScenarioError(problems)
    return scenario


def _every_problem(document: Any, errors: list[Any], unread: Collection[str]) -> list[Problem]:
    """The schema's problems, then the domain rules' on what the schema did not refuse."""
    shape = [_problem_from_pydantic(e) for e in errors]
    refused = {p.pointer for p in shape}.union(unread)
    shape = [p for p in shape if not _under(p.pointer, unread)]
    if not isinstance(document, dict):  # nothing to read the rules from
        return shape
    problems, said = [], set()
    for problem in shape + check_scenario(readable_view(document, refused)):
        if (problem.pointer, problem.rule) not in said:
            said.add((problem.pointer, problem.rule))
            problems.append(problem)
    return problems


def _under(where: str, unread: Collection[str]) -> bool:
    """`where` or a value holding it is in `unread`."""
    while unread:
        if where in unread:
            return True
        if not where:
            return False
        where = where.rsplit("/", 1)[0]
    return False


def decode(text: str, yaml_syntax: bool = False) -> Any:
    if yaml_syntax:
        return _decode_yaml(text)
    seen: list[_NonFinite] = []

    def non_finite(name: str) -> _NonFinite:
        seen.append(_NonFinite(name))
        return seen[-1]

    try:
        document = json.loads(text, parse_constant=non_finite)
    except ValueError as exc:  # json.JSONDecodeError is one
        raise ScenarioError([Problem("", None, f"not valid JSON: {exc}")]) from None
    if seen:  # the walk that names where, only when there is something to name
        raise ScenarioError(list(_non_finite(document, "")))
    return document


def _decode_yaml(text: str) -> Any:
    import yaml  # only for YAML: a JSON scenario is read without it

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem("", None, f"not valid YAML: {_yaml_reason(exc)}")]) from None
    except ValueError as exc:  # e.g. a date out of range; worded as before the split
        raise ScenarioError([Problem("", None, f"not valid JSON: {exc}")]) from None


def _yaml_reason(exc: yaml.YAMLError) -> str:
    """One line: where and what, rather than PyYAML's multi-line report."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and start is not None:  # e.g. an unclosed bracket: say where it opened
        problem += f" ({context} opened at line {start.line + 1}, column {start.column + 1})"
    return where + problem


class _NonFinite(str):
    """Where the text had NaN, Infinity or -Infinity: not JSON, refused with its pointer."""


def _non_finite(value: Any, at: str) -> Iterator[Problem]:
    if isinstance(value, _NonFinite):
        yield Problem(at, str(value), "not a finite number (NaN and Infinity are not JSON)")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _non_finite(item, at + pointer(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _non_finite(item, at + pointer(i))


def _problem_from_pydantic(error: Any) -> Problem:
    where = pointer(*(part for part in error["loc"] if part not in (SCALAR_TAG, LIST_TAG)))
    value = error.get("input")
    if error["type"] == "missing":
        value = None
    elif isinstance(value, float) and not math.isfinite(value):
        value = str(value)
    elif isinstance(value, dict | list):
        value = _short(value)
    rule = _RULES.get(error["type"], error["msg"])
    if error["type"] == "model_type" and not error["loc"]:
        rule = "the scenario must be an object (a mapping of field names to values)"
    if error["type"] == "less_than_equal" and error.get("ctx", {}).get("le") == MAX_AMOUNT:
        rule = MAX_AMOUNT_RULE
    return Problem(where, _json_safe(value), rule)


SURROGATE_RULE = (
    "not valid Unicode text: a lone UTF-16 surrogate (\\ud800-\\udfff) has no UTF-8 form"
)
_RULES = {
    "extra_forbidden": "unknown field (not part of the scenario format)",
    "string_unicode": SURROGATE_RULE,
}


def _short(value: Any) -> Any:
    text = json.dumps(value, default=str)
    return value if len(text) <= 200 else text[:197] + "..."


def _json_safe(value: Any) -> Any:
    """Values go back to clients as JSON: anything YAML-only (dates, sets) becomes text."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return str(value)
    return value
