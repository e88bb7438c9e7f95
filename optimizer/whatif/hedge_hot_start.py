"""Extensive forms solved one after another on one HiGHS object, each from the state the
previous one left: what `hot_start.HotStartSolver` does for scenarios, done for the forms
behind a hedged plan's values (an outcome alone, an outcome with here-and-now decisions
fixed).

A hedge's outcomes differ from each other in numbers only (MODEL.md §6), so the forms of
two outcomes usually have one shape: only costs, bounds, right-hand sides and
coefficients are handed over, and the simplex goes on from the basis it kept. A form of
another shape (an outcome whose numbers leave a column out) is passed whole. The
hand-over is `hot_start.py`'s: new costs first, re-optimised by primal simplex, then the
new limits by dual simplex. A MILP form keeps only the hand-over: HiGHS searches it
afresh, and offering the neighbour's solution as a start made the 200 one-outcome MILPs
of bench/hedge.py's india case 10-25 % slower, not faster.
"""

from __future__ import annotations

import time

import highspy
import numpy as np

from optimizer.model import highs_backend as backend
from optimizer.options import SolveOptions
from optimizer.whatif.hedge_form import ExtensiveForm, FormSolution, form_solution, pass_form
from optimizer.whatif.hot_start import (
    COLD,
    HOT,
    REBUILT,
    ModelArrays,
    hand_over,
)


def form_arrays(ef: ExtensiveForm) -> ModelArrays:
    """The form as the arrays HiGHS holds, so that two forms line up entry by entry."""
    rows = np.repeat(np.arange(ef.num_rows, dtype=np.int64), np.diff(ef.start))
    return ModelArrays(
        ef.cost, ef.lower, ef.upper, ef.integer.astype(bool), ef.row_lower, ef.row_upper,
        rows, ef.index.astype(np.int64), ef.value,
    )  # fmt: skip


class FormSolver:
    """Solves extensive forms in turn; `starts` counts how each was started (HOT, COLD,
    REBUILT as `hot_start.py` names them)."""

    def __init__(self, options: SolveOptions, hot: bool = True):
        self.options = options
        self.hot = hot
        self.starts: dict[str, int] = {}
        self._h: highspy.Highs | None = None
        self._arrays: ModelArrays | None = None

    def solve(self, ef: ExtensiveForm) -> tuple[FormSolution, str]:
        started = time.perf_counter()
        start = self._load(ef, form_arrays(ef))
        passed = time.perf_counter()
        assert self._h is not None
        if self.options.time_limit is not None:
            backend.limit_time(self._h, self.options.time_limit - ef.build_s - (passed - started))
        outcome = backend.run(self._h, ef.is_mip)
        solved = time.perf_counter()
        self.starts[start] = self.starts.get(start, 0) + 1
        return form_solution(ef, outcome, ef.build_s + (passed - started), solved - passed), start

    def _load(self, ef: ExtensiveForm, arrays: ModelArrays) -> str:
        if self.hot and self._h is not None and self._arrays is not None:
            if self._arrays.same_shape(arrays):
                try:
                    self._hand_over(ef, arrays)
                    return HOT
                except RuntimeError:
                    pass  # a change HiGHS refused: the form goes over whole
            start = REBUILT
        else:
            start = COLD if self._h is None else REBUILT
        self._h = backend.new_highs(self.options)
        pass_form(self._h, ef)
        self._arrays = arrays
        return start

    def _hand_over(self, ef: ExtensiveForm, arrays: ModelArrays) -> None:
        """Only the differences (`hot_start.hand_over`: costs by primal, then limits)."""
        assert self._h is not None and self._arrays is not None
        hand_over(self._h, self._arrays, arrays, ef.is_mip)
        self._arrays = arrays
