"""What a person reads: the table summary (`summary`), the HTML report (`render`, `page`,
`inputs`) with its matplotlib charts (`charts`, `drawing`), and plan workbooks."""

from __future__ import annotations

import importlib
import warnings
from typing import Any


def __getattr__(name: str) -> Any:
    # Before the rooms, `optimizer.report` was the module now at `optimizer.report.render`:
    # its names keep resolving here, with a DeprecationWarning, for one release.
    render = importlib.import_module("optimizer.report.render")
    if name.startswith("__") or not hasattr(render, name):
        raise AttributeError(f"module 'optimizer.report' has no attribute {name!r}")
    warnings.warn(
        f"optimizer.report.{name} has moved to optimizer.report.render.{name}",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(render, name)
