"""A linear model held as arrays: variable blocks, row blocks and a sparse matrix.

Each block keeps its index arrays (positions into the scenario's id lists), so that
a solution can be read back and names can be written without a per-element lookup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

INF = np.inf


def _filled(value: np.ndarray | float, n: int) -> np.ndarray:
    """`value` as a new array of n floats: a number repeated, or an array's copy. (What
    np.broadcast_to(...).copy() gives, at a fraction of its cost, which counted in
    models built by the hundred: a hedge's outcome blocks.)"""
    if isinstance(value, int | float):
        return _repeated(float(value), n)
    given = np.asarray(value, float)
    return given.copy() if given.shape == (n,) else np.broadcast_to(given, (n,)).copy()


def _coefficients(value: np.ndarray | float, n: int) -> np.ndarray:
    """n coefficients from a number or an array of n (not copied: they are concatenated)."""
    if isinstance(value, int | float):
        return _repeated(float(value), n)
    given = np.asarray(value, float)
    return given if given.shape == (n,) else np.broadcast_to(given, (n,))


def _repeated(value: float, n: int) -> np.ndarray:
    """np.full(n, value) without its Python-level overhead."""
    filled = np.empty(n)
    filled.fill(value)
    return filled


@dataclass
class VarBlock:
    """A family of columns, e.g. buy[s,p,t]; `index` holds one position array per subscript."""

    name: str
    index: dict[str, np.ndarray]
    lower: np.ndarray
    upper: np.ndarray
    cost: np.ndarray
    binary: bool = False
    start: int = 0

    @property
    def size(self) -> int:
        return len(self.cost)

    @property
    def cols(self) -> np.ndarray:
        return np.arange(self.start, self.start + self.size)


@dataclass
class RowBlock:
    """A constraint family: lower <= A x <= upper, with A given as COO entries."""

    name: str
    index: dict[str, np.ndarray]
    lower: np.ndarray
    upper: np.ndarray
    rows: np.ndarray  # local row of each entry
    cols: np.ndarray  # global column of each entry
    vals: np.ndarray
    start: int = 0

    @property
    def size(self) -> int:
        return len(self.lower)


@dataclass
class LinearModel:
    """Columns and rows in order of addition; `matrix` assembles them row-wise."""

    variables: dict[str, VarBlock] = field(default_factory=dict)
    constraints: dict[str, RowBlock] = field(default_factory=dict)
    num_cols: int = 0
    num_rows: int = 0

    def add_variables(
        self,
        name: str,
        index: dict[str, np.ndarray],
        cost: np.ndarray,
        upper: np.ndarray | float = INF,
        binary: bool = False,
    ) -> VarBlock:
        n = len(cost)
        ub = _filled(upper, n)
        block = VarBlock(
            name, index, np.zeros(n), ub, np.asarray(cost, float), binary, self.num_cols
        )
        self.variables[name] = block
        self.num_cols += n
        return block

    def add_constraints(
        self,
        name: str,
        index: dict[str, np.ndarray],
        lower: np.ndarray | float,
        upper: np.ndarray | float,
        entries: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray | float]],
        size: int,
    ) -> RowBlock:
        """Add `size` rows; `entries` are (local row, global column, coefficient) arrays."""
        lo = _filled(lower, size)
        up = _filled(upper, size)
        parts = [(r, c, _coefficients(v, len(r))) for r, c, v in entries if len(r)]
        rows = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
        cols = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
        vals = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0)
        block = RowBlock(name, index, lo, up, rows, cols, vals, self.num_rows)
        self.constraints[name] = block
        self.num_rows += size
        return block

    # -- assembly ----------------------------------------------------------------
    def column_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        blocks = list(self.variables.values())
        cat = (
            (lambda attr: np.concatenate([getattr(b, attr) for b in blocks]))
            if blocks
            else (lambda attr: np.zeros(0))
        )
        integer = (
            np.concatenate([np.full(b.size, b.binary) for b in blocks])
            if blocks
            else np.zeros(0, bool)
        )
        return cat("cost"), cat("lower"), cat("upper"), integer

    def row_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        blocks = list(self.constraints.values())
        if not blocks:
            return np.zeros(0), np.zeros(0)
        return np.concatenate([b.lower for b in blocks]), np.concatenate([b.upper for b in blocks])

    def matrix(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row-wise sparse matrix (start, index, value), entries with 0 coefficient dropped."""
        blocks = [b for b in self.constraints.values() if len(b.rows)]
        if not blocks:
            return np.zeros(self.num_rows + 1, np.int32), np.zeros(0, np.int32), np.zeros(0)
        rows = np.concatenate([b.rows + b.start for b in blocks])
        cols = np.concatenate([b.cols for b in blocks])
        vals = np.concatenate([b.vals for b in blocks])
        keep = vals != 0
        rows, cols, vals = rows[keep], cols[keep], vals[keep]
        # HiGHS needs entries grouped by row, not ordered within one, so an unstable
        # sort on the row alone will do (about twice as fast as a stable one).
        order = np.argsort(rows, kind="quicksort")
        rows, cols, vals = rows[order], cols[order], vals[order]
        start = np.zeros(self.num_rows + 1, np.int64)
        np.cumsum(np.bincount(rows, minlength=self.num_rows), out=start[1:])
        return start.astype(np.int32), cols.astype(np.int32), vals

    @property
    def is_mip(self) -> bool:
        return any(b.binary and b.size for b in self.variables.values())
