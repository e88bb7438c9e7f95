"""Formulation choices for the discount brackets of MODEL.md §7, measured on one scenario.

    python bench/rules.py SCENARIO --variant built      # one variant, one process; prints JSON

The model is the one `magnets solve` builds (`optimizer.model.build`), changed here only,
after building, and handed to HiGHS with the options `magnets solve` sets. Variants:

- `built`: as built: `q[s,p,t,b] <= capacity[s,t] · y[s,p,t,b]` for every bracket;
- `next`: the ceiling of every bracket but the last is the next bracket's min_kg where
  that is below the capacity: `q[b] <= min(capacity[s,t], min_kg[b+1]) · y[b]`. Valid at
  the optimum: a delivery of at least min_kg[b+1] kg priced at bracket b costs more than
  the same delivery priced at b+1 (lower price, same index, tariff and freight), spends
  less of the budget and is as feasible, so no optimum is cut off;
- `columns`: as built, plus the capacity as an upper bound on each q column
  (`0 <= q[s,p,t,b] <= capacity[s,t]`), which the rows imply with y <= 1;
- `no_y0`: no binary for bracket 0 (the offer's own price, from 0 kg): its ceiling reads
  `q[0] <= capacity[s,t] · (1 − Σ_{b>=1} y[b])` and y[0] is fixed at 0, one binary fewer
  per discounted delivery (HiGHS's presolve removes the fixed column). The same set of
  solutions: `discount_choice` already allows one bracket at most.

The MILP's HiGHS run time is timed alone (building is not), then the LP relaxation of
the same variant is solved to compare the bounds the formulations give.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VARIANTS = ("built", "next", "columns", "no_y0")


def build(scenario: str, variant: str):  # noqa: ANN201 — the project's LinearModel
    from optimizer.model.build import build_model
    from optimizer.model.variables import bracket_position
    from optimizer.scenario.loading import load_scenario

    m, ix = build_model(load_scenario(scenario))
    q, y = m.variables["q"], m.variables["y"]
    capacity = ix.supplier_capacity[q.index["supplier"], q.index["period"]]
    changed = 0
    if variant == "next":
        offer, bracket = q.index["offer"], q.index["bracket"]
        last = np.bincount(ix.brackets.offer, minlength=len(ix.supplier_offers.owner))[offer]
        inner = np.nonzero(bracket < last)[0]
        ceiling = capacity.copy()
        nxt = ix.brackets.min_kg[bracket_position(ix, offer[inner], bracket[inner] + 1)]
        ceiling[inner] = np.minimum(capacity[inner], nxt)
        changed = int((ceiling < capacity).sum())
        rows = m.constraints["discount_ceiling"]  # one row per q column, in q's order
        on_y = (rows.cols >= y.start) & (rows.cols < y.start + y.size)
        rows.vals[on_y] = -ceiling[rows.rows[on_y]]
    elif variant == "columns":
        q.upper[:] = capacity
        changed = q.size
    elif variant == "no_y0":
        rows = m.constraints["discount_ceiling"]
        first = np.nonzero(q.index["bracket"] == 0)[0]  # bracket 0's q, row and y
        row_of_buy = np.full(m.variables["buy"].size, -1)
        row_of_buy[q.index["buy"][first]] = first
        others = np.nonzero(q.index["bracket"] > 0)[0]
        r0 = row_of_buy[q.index["buy"][others]]  # bracket 0's row of each other bracket
        on_y0 = np.isin(rows.cols, y.start + first)
        rows.vals[on_y0] = 0.0  # dropped when the matrix is assembled
        rows.rows = np.concatenate([rows.rows, r0])
        rows.cols = np.concatenate([rows.cols, y.start + others])
        rows.vals = np.concatenate([rows.vals, capacity[r0]])
        rows.upper[first] = capacity[first]
        y.upper[first] = 0.0
        changed = len(first)
    return m, changed


def solve(scenario: str, variant: str) -> dict:
    import highspy

    from optimizer.model.highs_backend import new_highs, pass_model
    from optimizer.options import SolveOptions

    m, changed = build(scenario, variant)
    h = new_highs(SolveOptions())
    pass_model(h, m)
    t = time.perf_counter()
    h.run()
    run_s = time.perf_counter() - t
    info = h.getInfo()
    out = {
        "variant": variant,
        "changed": changed,
        "run_s": run_s,
        "status": h.modelStatusToString(h.getModelStatus()),
        "objective": info.objective_function_value,
        "dual_bound": info.mip_dual_bound,
        "nodes": int(info.mip_node_count),
        "lp_iterations": int(info.simplex_iteration_count),
    }
    # The LP relaxation of the same variant: the bound before any branching.
    r = new_highs(SolveOptions())
    pass_model(r, m)
    r.changeColsIntegrality(
        m.num_cols, np.arange(m.num_cols, dtype=np.int32), np.zeros(m.num_cols, np.uint8)
    )
    t = time.perf_counter()
    r.run()
    out["relaxation_s"] = time.perf_counter() - t
    out["relaxation"] = r.getInfo().objective_function_value
    assert r.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("scenario")
    ap.add_argument("--variant", choices=VARIANTS, default="built")
    args = ap.parse_args(argv)
    print(json.dumps(solve(args.scenario, args.variant)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
