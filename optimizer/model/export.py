"""Writes the model `solve` hands to HiGHS, rows and columns named in the spec's words.

Names look like `buy(cn_ganzhou,ndfeb_hc,2025-Q3)` or `licence(lic-1)`: the variable's or
the constraint family's name, then the ids; a discount bracket is its number
(`q(cn_ganzhou,ndfeb_hc,2025-Q3,1)`, bracket 0 being the offer's own price). A supplier's capacity row under a minimum order
has a twin, the ceiling gated by its order: `supplier_capacity(cn_ganzhou,2025-Q3,order)`.
MPS keeps every id as written (whitespace becomes `_`); the LP format admits fewer
characters, so there any other character becomes `_` too. Names are made only here
(and for diagnostics), never on the solve path, where HiGHS has no use for them.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from optimizer.model import highs_backend as backend
from optimizer.model.build import build_model
from optimizer.model.constraints_flow import GATES
from optimizer.model.indexing import ScenarioIndex
from optimizer.model.lp import LinearModel
from optimizer.options import SolveOptions
from optimizer.scenario.schema import Scenario

_NOT_IN_MPS = re.compile(r"\s")
_NOT_IN_LP = re.compile(r"[^A-Za-z0-9_.(),]")


def _labels(ix: ScenarioIndex) -> dict[str, list[str]]:
    return {
        "supplier": ix.supplier_ids, "product": ix.product_ids, "period": ix.periods,
        "origin": ix.country_ids, "sector": ix.sector_ids, "plant": ix.plant_ids,
        "licence": ix.licence_ids,
        "bracket": [str(b) for b in range(1 + int(ix.brackets.bracket.max(initial=0)))],
    }  # fmt: skip


def _block_names(
    name: str, index: dict[str, np.ndarray], size: int, labels: dict[str, list[str]]
) -> list[str]:
    parts = [
        np.asarray(labels[k], dtype=object)[a].tolist() for k, a in index.items() if k in labels
    ]
    if not parts:
        return [name] if size == 1 else [f"{name}({i})" for i in range(size)]
    names = [f"{name}({','.join(p)}" for p in zip(*parts, strict=True)]
    gate = index.get("gate")
    if gate is not None:  # a row gated by anything but active[s] says by what
        words = [f",{g}" if i else "" for i, g in enumerate(GATES)]
        return [f"{n}{words[g]})" for n, g in zip(names, gate.tolist(), strict=True)]
    return [f"{n})" for n in names]


def model_names(
    m: LinearModel, ix: ScenarioIndex, lp_format: bool = False
) -> tuple[list[str], list[str]]:
    """Column and row names; characters the format refuses become `_`, clashes get a suffix."""
    labels = _labels(ix)
    cols = [n for b in m.variables.values() for n in _block_names(b.name, b.index, b.size, labels)]
    rows = [
        n for b in m.constraints.values() for n in _block_names(b.name, b.index, b.size, labels)
    ]
    refused = _NOT_IN_LP if lp_format else _NOT_IN_MPS
    return _unique(cols, refused), _unique(rows, refused)


def _unique(names: list[str], refused: re.Pattern[str]) -> list[str]:
    names = [refused.sub("_", n) for n in names]
    if len(set(names)) == len(names):
        return names
    return [f"{n}_{i}" for i, n in enumerate(names)]


def export_model(scenario: Scenario, path: str | Path) -> None:
    """Write the model as MPS (.mps) or LP (.lp), by the path's suffix."""
    model, ix = build_model(scenario)
    h = backend.new_highs(SolveOptions())
    backend.pass_model(h, model)
    lp_format = Path(path).suffix.lower() == ".lp"
    backend.write_model(h, model, path, model_names(model, ix, lp_format))
