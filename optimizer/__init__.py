"""The optimizer: scenario in, plan out. Its rooms, in the order a scenario meets them:

- `scenario/`  the scenario document: schema, domain rules, JSON/YAML/Excel spellings
- `model/`     MODEL.md §3 as arrays, handed to HiGHS; the plan; the Pyomo reference
- `insight/`   marginal values and the diagnosis of an infeasible scenario, in words
- `solve.py`   the one entry point: validated scenario → plan
- `whatif/`    shocks, sweeps, hot starts, why-this-source and the frontier
- `report/`    the table summary, the HTML report and its charts, plan workbooks

Arrows only go down (docs/architecture.md); nothing here imports `service` or `cli`.
"""

from optimizer import moved as _moved  # old module paths keep importing for one release

MOVED = _moved.MOVED
