"""Module paths from before the rooms, kept importable for one release.

Scripts written against 0.1 import `optimizer.loading`, `optimizer.pyomo_model` and so
on; each such path answers with the module at its new home and a DeprecationWarning
naming it. `optimizer.scenario` and `optimizer.report` were modules and are packages
now: their old names resolve through `forward_names`.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import types
import warnings
from collections.abc import Callable
from typing import Any

MOVED = {
    "optimizer.validation": "optimizer.scenario.validation",
    "optimizer.loading": "optimizer.scenario.loading",
    "optimizer.workbook": "optimizer.scenario.workbook",
    "optimizer.workbook_layout": "optimizer.scenario.workbook_layout",
    "optimizer.workbook_read": "optimizer.scenario.workbook_read",
    "optimizer.indexing": "optimizer.model.indexing",
    "optimizer.variables": "optimizer.model.variables",
    "optimizer.constraints_flow": "optimizer.model.constraints_flow",
    "optimizer.constraints_policy": "optimizer.model.constraints_policy",
    "optimizer.build": "optimizer.model.build",
    "optimizer.lp": "optimizer.model.lp",
    "optimizer.highs_backend": "optimizer.model.highs_backend",
    "optimizer.status": "optimizer.model.status",
    "optimizer.plan": "optimizer.model.plan",
    "optimizer.pyomo_model": "optimizer.model.pyomo_model",
    "optimizer.pyomo_solve": "optimizer.model.pyomo_solve",
    "optimizer.export": "optimizer.model.export",
    "optimizer.explain": "optimizer.insight.explain",
    "optimizer.diagnosis": "optimizer.insight.diagnosis",
    "optimizer.constraint_words": "optimizer.insight.constraint_words",
    "optimizer.shock_kinds": "optimizer.whatif.shock_kinds",
    "optimizer.shocks": "optimizer.whatif.shocks",
    "optimizer.sweep": "optimizer.whatif.sweep",
    "optimizer.sweep_spec": "optimizer.whatif.sweep_spec",
    "optimizer.hot_start": "optimizer.whatif.hot_start",
    "optimizer.why": "optimizer.whatif.why",
    "optimizer.frontier": "optimizer.whatif.frontier",
    "optimizer.report_charts": "optimizer.report.charts",
    "optimizer.report_drawing": "optimizer.report.drawing",
    "optimizer.report_inputs": "optimizer.report.inputs",
    "optimizer.report_page": "optimizer.report.page",
    "optimizer.summary": "optimizer.report.summary",
    "optimizer.workbook_plan": "optimizer.report.plan_workbook",
}


class _MovedModules:
    """Answers an old module path with the module at its new home: a meta path finder
    and its loader (the protocol, without importlib.abc, which costs ~8 ms to import)."""

    def find_spec(self, fullname: str, path: object = None, target: object = None):  # type: ignore[no-untyped-def]
        if fullname not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)  # type: ignore[arg-type]

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        new = MOVED[spec.name]
        warnings.warn(
            f"{spec.name} has moved to {new}; the old path goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(new)

    def exec_module(self, module: types.ModuleType) -> None:
        """The module at the new home has run already."""


if not any(isinstance(f, _MovedModules) for f in sys.meta_path):
    sys.meta_path.append(_MovedModules())


def forward_names(package: str, home: str) -> Callable[[str], Any]:
    """A module `__getattr__` for `package` that finds names in `home`, with a warning."""

    def __getattr__(name: str) -> Any:
        module = importlib.import_module(home)
        if name.startswith("__") or not hasattr(module, name):
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        warnings.warn(
            f"{package}.{name} has moved to {home}.{name}", DeprecationWarning, stacklevel=2
        )
        return getattr(module, name)

    return __getattr__
