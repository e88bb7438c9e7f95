"""The outcome blocks of a hedged plan's extensive form (MODEL.md §6) laid side by side:
which global column each block's column is, and the columns' and rows' numbers.

Each here-and-now variable is ONE column that every block's rows point at (see
`hedge_form.py`); shared columns are matched by what they stand for — family and ids,
as `KeyCoder` numbers them — not by position, since blocks may differ in which columns
they have. Bounds of a shared column are intersected, its costs summed by probability.

Outcomes drawn from a sample (or given by shocks that change numbers only) usually have
one structure: the same columns standing for the same things, the same matrix entries
in the same places. Then the first block's layout is worked out once and repeated, and
the numbers of all blocks are laid in as stacked arrays (`_repeated`); the arrays are
those the matching of every block by key (`_matched`) gives, at a fraction of its cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from optimizer.model.indexing import ScenarioIndex
from optimizer.model.lp import LinearModel
from optimizer.scenario.schema import MAX_BRACKETS, Scenario

BRACKETS = "brackets"  # a discount bracket's number, 0 … MAX_BRACKETS
# family -> the id list each subscript names (None: the period)
SHARED: dict[str, tuple[tuple[str, str | None], ...]] = {
    "buy": (("supplier", "suppliers"), ("product", "products"), ("period", None)),
    "make": (("plant", "plants"), ("product", "products"), ("period", None)),
    "use": (
        ("product", "products"),
        ("origin", "countries"),
        ("sector", "sectors"),
        ("period", None),
    ),
    "inv": (("product", "products"), ("origin", "countries"), ("period", None)),
    "short": (("product", "products"), ("sector", "sectors"), ("period", None)),
    "lic": (
        ("licence", "licences"),
        ("supplier", "suppliers"),
        ("product", "products"),
        ("period", None),
    ),
    "order": (("supplier", "suppliers"), ("period", None)),
    "active": (("supplier", "suppliers"),),
    "build": (("plant", "plants"), ("period", None)),
    # MODEL.md §7: discount brackets and soft-cap excess before reveal, qualifications and
    # the chosen suppliers always
    "q": (("supplier", "suppliers"), ("product", "products"), ("period", None),
          ("bracket", BRACKETS)),
    "y": (("supplier", "suppliers"), ("product", "products"), ("period", None),
          ("bracket", BRACKETS)),
    "excess": (("origin", "countries"), ("period", None)),
    "qual": (("supplier", "suppliers"), ("period", None)),
    "u": (("supplier", "suppliers"), ("product", "products")),
}  # fmt: skip
EVERY_PERIOD = frozenset({"active", "build", "qual", "u"})  # decided up front, every period
# an outcome without it is not constrained by it: it has no such rule (no fixed cost,
# minimum order, discount, qualification, cap on suppliers or penalty) for that id
ABSENT_FREE = frozenset({"active", "order", "q", "y", "qual", "u", "excess"})
_IDS = {
    "suppliers": "supplier_ids", "products": "product_ids", "plants": "plant_ids",
    "countries": "country_ids", "sectors": "sector_ids", "licences": "licence_ids",
}  # fmt: skip


class KeyCoder:
    """Turns a shared column's ids into one integer, the same in every outcome: positions
    in the reference scenario's lists (base's), combined in mixed radix."""

    def __init__(self, reference: Scenario):
        self.positions = {
            name: {item.id: i for i, item in enumerate(getattr(reference, name))} for name in _IDS
        }
        self.sizes = {name: len(ids) for name, ids in self.positions.items()}
        self.T = len(reference.periods)

    def keys(self, m: LinearModel, ix: ScenarioIndex, reveal_at: int) -> dict[str, tuple]:
        """family -> (local columns, keys) of the block's here-and-now columns."""
        out = {}
        for family, subscripts in SHARED.items():
            block = m.variables[family]
            if family in EVERY_PERIOD:
                local = np.arange(block.size)
            else:
                local = np.flatnonzero(block.index["period"] < reveal_at)
            key = np.zeros(len(local), np.int64)
            for sub, ids in subscripts:
                pos = block.index[sub][local].astype(np.int64)
                if ids is None:
                    size = self.T
                elif ids == BRACKETS:
                    size = MAX_BRACKETS + 1
                else:
                    to_ref = np.array(
                        [self.positions[ids][i] for i in getattr(ix, _IDS[ids])], np.int64
                    )
                    pos = to_ref[pos] if len(to_ref) else pos
                    size = max(self.sizes[ids], 1)
                key = key * size + pos
            out[family] = (block.start + local, key)
        return out


@dataclass
class OutcomeBlock:
    """One outcome's model and where its columns sit in the extensive form."""

    model: LinearModel
    ix: ScenarioIndex
    cols: np.ndarray  # global column of each of the block's columns


@dataclass
class Assembly:
    """The blocks' columns and rows in the extensive form, before fixing and CVaR rows:
    `row_parts` holds (entries per row, global column, value) arrays in row order."""

    blocks: list[OutcomeBlock]
    shared: dict[str, tuple[np.ndarray, np.ndarray]]  # family -> (keys, global columns)
    zero_cols: np.ndarray  # shared columns some outcome rules out
    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    row_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
    row_lower: list[np.ndarray]
    row_upper: list[np.ndarray]
    block_costs: list[np.ndarray]  # each block's own cost coefficients (C_w)


@dataclass(frozen=True)
class _Numbers:
    """One block's arrays, each made once: columns, row bounds, matrix (CSR)."""

    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray

    @classmethod
    def of(cls, m: LinearModel) -> _Numbers:
        return cls(*m.column_arrays(), *m.row_bounds(), *m.matrix())


def assemble(
    coder: KeyCoder,
    built: Sequence[tuple[LinearModel, ScenarioIndex]],
    probabilities: np.ndarray,
    weight: float,
    reveal_at: int,
) -> Assembly:
    first = _Template(*built[0])
    numbers: list[_Numbers | None] = [first.numbers]
    for m, ix in built[1:]:
        numbers.append(first.numbers_of(m, ix))
        if numbers[-1] is None:
            break
    if len(built) > 1 and len(numbers) == len(built) and numbers[-1] is not None:
        alike = [x for x in numbers if x is not None]
        return _repeated(coder, built, alike, probabilities, weight, reveal_at)
    every = [_Numbers.of(m) for m, _ in built]
    return _matched(coder, built, every, probabilities, weight, reveal_at)


def _entries(m: LinearModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The matrix as the builder made it (COO, block by block, zeros kept)."""
    blocks = list(m.constraints.values())
    if not blocks:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    rows = np.concatenate([b.rows + b.start for b in blocks])
    return rows, np.concatenate([b.cols for b in blocks]), np.concatenate([b.vals for b in blocks])


class _Template:
    """The first block's structure, against which the others are held: the same ids in
    the same order, the same columns standing for the same things (families, their
    integrality and subscripts), the same matrix entries in the same places, zeros the
    same. A block that matches takes the first block's row order of its entries, so its
    numbers come without sorting its matrix again."""

    def __init__(self, m: LinearModel, ix: ScenarioIndex):
        self.numbers = _Numbers.of(m)
        self.size = (m.num_cols, m.num_rows)
        self.ids = [getattr(ix, name) for name in _IDS.values()]
        self.layout = _column_layout(m)
        self.column_ids = _column_ids(m)
        self.rows, self.cols, vals = _entries(m)
        self.kept = vals != 0
        # the kept entries in `LinearModel.matrix`'s row order (its sort, on the same rows,
        # orders them the same way); checked on this block, else no block is taken as alike
        self.order = np.argsort(self.rows[self.kept], kind="quicksort")
        x0 = self.numbers
        self.reorders = np.array_equal(self.cols[self.kept][self.order], x0.index) and (
            np.array_equal(vals[self.kept][self.order], x0.value)
        )

    def numbers_of(self, m: LinearModel, ix: ScenarioIndex) -> _Numbers | None:
        """The block's numbers in the first block's layout; None for another structure."""
        if not self.reorders:
            return None
        if (m.num_cols, m.num_rows) != self.size or _column_layout(m) != self.layout:
            return None
        if any(getattr(ix, name) != ids for name, ids in zip(_IDS.values(), self.ids, strict=True)):
            return None
        rows, cols, vals = _entries(m)
        if not (
            np.array_equal(rows, self.rows)
            and np.array_equal(cols, self.cols)
            and np.array_equal(vals != 0, self.kept)
            and np.array_equal(_column_ids(m), self.column_ids)
        ):
            return None
        cost, lower, upper = _column_numbers(m)
        row_lower, row_upper = m.row_bounds()
        x0 = self.numbers
        value = vals[self.kept][self.order]
        return _Numbers(
            cost, lower, upper, x0.integer, row_lower, row_upper, x0.start, x0.index, value
        )


def _column_numbers(m: LinearModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    blocks = list(m.variables.values())
    if not blocks:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    cost = np.concatenate([b.cost for b in blocks])
    return (
        cost,
        np.concatenate([b.lower for b in blocks]),
        np.concatenate([b.upper for b in blocks]),
    )


def _column_layout(m: LinearModel) -> list[tuple[str, int, int, bool, tuple[str, ...]]]:
    return [(f, b.start, b.size, b.binary, tuple(b.index)) for f, b in m.variables.items()]


def _column_ids(m: LinearModel) -> np.ndarray:
    """Every column's subscripts (positions in the id lists) in one array: one
    comparison in C instead of one per family and subscript."""
    parts = [a for b in m.variables.values() for a in b.index.values()]
    return np.concatenate(parts).astype(np.int64, copy=False) if parts else np.zeros(0, np.int64)


def _matched(
    coder: KeyCoder,
    built: Sequence[tuple[LinearModel, ScenarioIndex]],
    numbers: Sequence[_Numbers],
    p: np.ndarray,
    weight: float,
    reveal_at: int,
) -> Assembly:
    """Every block matched by key: the general case."""
    blocks, shared, zero_cols, n = _layout(coder, built, reveal_at)
    cost, lower = np.zeros(n), np.zeros(n)
    upper, integer = np.full(n, np.inf), np.zeros(n, bool)
    row_parts = []
    for w, (b, x) in enumerate(zip(blocks, numbers, strict=True)):
        np.add.at(cost, b.cols, (1 - weight) * p[w] * x.cost)
        np.maximum.at(lower, b.cols, x.lower)
        np.minimum.at(upper, b.cols, x.upper)
        np.logical_or.at(integer, b.cols, x.integer)
        row_parts.append((np.diff(x.start.astype(np.int64)), b.cols[x.index], x.value))
    return Assembly(
        blocks, shared, zero_cols, cost, lower, upper, integer, row_parts,
        [x.row_lower for x in numbers], [x.row_upper for x in numbers],
        [x.cost for x in numbers],
    )  # fmt: skip


def _layout(
    coder: KeyCoder, built: Sequence[tuple[LinearModel, ScenarioIndex]], reveal_at: int
) -> tuple[list[OutcomeBlock], dict[str, tuple[np.ndarray, np.ndarray]], np.ndarray, int]:
    """The shared columns first, one per key present in any outcome, then each block's
    own columns in turn; the shared columns an outcome without them rules out."""
    keyed = [coder.keys(m, ix, reveal_at) for m, ix in built]
    n_out = len(built)
    shared: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    where: list[dict[str, np.ndarray]] = [{} for _ in built]  # family -> global col per local
    zero_cols, next_col = [np.zeros(0, np.int64)], 0
    for family in SHARED:
        all_keys = [k[family][1] for k in keyed]
        uniq, inverse = np.unique(np.concatenate(all_keys), return_inverse=True)
        cols = np.arange(next_col, next_col + len(uniq))
        next_col += len(uniq)
        shared[family] = (uniq, cols)
        if family not in ABSENT_FREE:
            present = np.bincount(inverse, minlength=len(uniq))
            zero_cols.append(cols[present < n_out])
        offsets = np.cumsum([0, *(len(k) for k in all_keys)])
        for w in range(n_out):
            where[w][family] = cols[inverse[offsets[w] : offsets[w + 1]]]
    blocks = []
    for w, (m, ix) in enumerate(built):
        cols = np.full(m.num_cols, -1, np.int64)
        for family, (local, _) in keyed[w].items():
            cols[local] = where[w][family]
        own = np.flatnonzero(cols < 0)
        cols[own] = np.arange(next_col, next_col + len(own))
        next_col += len(own)
        blocks.append(OutcomeBlock(m, ix, cols))
    return blocks, shared, np.concatenate(zero_cols), next_col


def _repeated(
    coder: KeyCoder,
    built: Sequence[tuple[LinearModel, ScenarioIndex]],
    numbers: Sequence[_Numbers],
    p: np.ndarray,
    weight: float,
    reveal_at: int,
) -> Assembly:
    """Blocks of one structure: the first block's layout, its own columns shifted block
    by block, and every block's numbers laid in at once. The shared costs are summed
    block by block, in the order `_matched` sums them, so the sums agree to the bit."""
    [first], shared, zero_cols, n_first = _layout(coder, built[:1], reveal_at)
    n_shared = sum(len(cols) for _, cols in shared.values())
    n_own, k = n_first - n_shared, len(built)
    mine = first.cols >= n_shared  # the block's own columns (not shared)
    cols = first.cols[None, :] + np.where(mine, n_own, 0)[None, :] * np.arange(k)[:, None]
    n = n_shared + k * n_own
    stack = {f: np.stack([getattr(x, f) for x in numbers]) for f in ("cost", "lower", "upper")}
    cost, lower = np.zeros(n), np.zeros(n)
    upper, integer = np.full(n, np.inf), np.zeros(n, bool)
    at_shared = first.cols[~mine]
    scaled = (1 - weight) * p[:, None] * stack["cost"]
    cost[cols[:, mine].ravel()] = scaled[:, mine].ravel()
    total = np.zeros(len(at_shared))
    for w in range(k):
        total += scaled[w, ~mine]
    cost[at_shared] = total
    lower[cols[:, mine].ravel()] = np.maximum(0.0, stack["lower"][:, mine]).ravel()
    lower[at_shared] = np.maximum(0.0, stack["lower"][:, ~mine].max(axis=0))
    upper[cols[:, mine].ravel()] = stack["upper"][:, mine].ravel()
    upper[at_shared] = stack["upper"][:, ~mine].min(axis=0)
    integer[cols.ravel()] = np.tile(numbers[0].integer, k)
    x0 = numbers[0]
    counts = np.tile(np.diff(x0.start.astype(np.int64)), k)
    row_parts = [(counts, cols[:, x0.index].ravel(), np.concatenate([x.value for x in numbers]))]
    blocks = [OutcomeBlock(m, ix, cols[w]) for w, (m, ix) in enumerate(built)]
    return Assembly(
        blocks, shared, zero_cols, cost, lower, upper, integer, row_parts,
        [x.row_lower for x in numbers], [x.row_upper for x in numbers],
        [x.cost for x in numbers],
    )  # fmt: skip
