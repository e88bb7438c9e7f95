"""The scenario document: its schema (`schema`), the domain rules (`validation`), text and
mappings into a validated `Scenario` (`parsing`), files of every spelling (`loading`) and
the Excel workbook (`workbook*`)."""

from __future__ import annotations

import importlib
import warnings
from typing import Any


def __getattr__(name: str) -> Any:
    # Before the rooms, `optimizer.scenario` was the schema module: its names keep
    # resolving here, with a DeprecationWarning, for one release.
    schema = importlib.import_module("optimizer.scenario.schema")
    if name.startswith("__") or not hasattr(schema, name):
        raise AttributeError(f"module 'optimizer.scenario' has no attribute {name!r}")
    warnings.warn(
        f"optimizer.scenario.{name} has moved to optimizer.scenario.schema.{name}",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(schema, name)
