"""Hedged plans (MODEL.md §6): the extensive form built as arrays against the Pyomo one.

    python bench/hedge.py                       # India, 200 sampled outcomes, 12 quarters
    python bench/hedge.py --large               # and the ≥1M non-zero case, simplex and ipm
    python bench/hedge.py --outcomes 50 --no-pyomo --no-record   # a quick look

Instances (written to bench/out/):
  india  instances/india-2025-baseline.json repeated to 12 quarters (2025-Q3 … 2028-Q2:
         each quarter's demand again six quarters later, the licence's quantity and the
         plant incentive's cap, totals over the horizon, doubled), reveal 2025-Q4, N
         sampled outcomes over three axes: Chinese-origin and Japanese capacity from
         2025-Q4 on, and China's tariff; risk alpha 0.9, weight 0.25 (CVaR rows included).
  large  a bench/generator.py scenario (200 suppliers × 12 months, seed 1) as base, reveal
         at its second month, outcomes over the same kind of axes until the extensive form
         has ≥ 1 M non-zeros.

Each route runs in its own process, which ends as `magnets` does (cli.main.run); the
parent takes its wall clock and peak resident memory (bench/run.py's `timed`):
  (a) ours: read and check the hedge document (draws included), build the extensive form
      (hedge_form.build_extensive_form), hand it to HiGHS (pass_form), HiGHS's own run,
      read the plans back (each outcome's plan, the shared values, the risk objective):
      the objective solve only, as `solve_form` does it;
  (a) full report: `magnets hedge FILE --out PLAN` (the objective solve, wait-and-see,
      EVPI, value of hedging, premium), wall clock only, with 1 and with 2 `--workers`
      (the outcomes solved alone behind the values spread over 2 processes);
  (c) Pyomo: the same document read, optimizer/model/pyomo_hedge.py's extensive form built
      and solved through Pyomo's HiGHS interface.
On the large case (a) also runs with HiGHS's `solver` option "ipm" beside "simplex".
Targets: the work outside HiGHS ≤ 5 % of (a)'s wall clock; at least 10× less work outside
the solver in (a) than in (c). Rows go to docs/benchmarks.md, "Hedged plans".
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

PYOMO_LIMIT_S = 300  # the Pyomo route is skipped where it would take longer than this
LARGE_NONZEROS = 1_000_000
LARGE_BASE = {"suppliers": 200, "periods": 12, "seed": 1}


# -- instances ------------------------------------------------------------------------------
def india_base(quarters: int = 12) -> dict[str, Any]:
    """The India baseline repeated quarter by quarter to `quarters` quarters."""
    doc = json.loads((ROOT / "instances" / "india-2025-baseline.json").read_text())
    labels = list(doc["periods"])
    while len(labels) < quarters:
        year, q = int(labels[-1][:4]), int(labels[-1][-1])
        labels.append(f"{year + q // 4}-Q{q % 4 + 1}")
    first = len(doc["periods"])
    at = {label: i for i, label in enumerate(doc["periods"])}
    doc["demand"] = [
        {**row, "period": labels[t]}
        for t in range(quarters)
        for row in doc["demand"]
        if at[row["period"]] == t % first
    ]
    scale = quarters / first
    for lic in doc.get("licences", []):
        lic["quantity"] = round(lic["quantity"] * scale, 1)
    for plant in doc.get("plants", []):
        if "incentive_cap" in plant:
            plant["incentive_cap"] = round(plant["incentive_cap"] * scale, 1)
    doc["periods"] = labels
    doc["name"] = f"india-baseline-{quarters}q"
    return doc


def hedge_document(name: str, base_file: str, periods: list[str], n: int) -> dict[str, Any]:
    later = periods[1:]
    return {
        "name": name,
        "base": base_file,
        "reveal": periods[1],
        "outcomes": {
            "sample": {
                "n": n,
                "seed": 7,
                "axes": [
                    {"name": "cn_capacity",
                     "shock": {"kind": "capacity", "origin": "CN", "periods": later},
                     "distribution": {"type": "uniform", "low": 0.3, "high": 1.0}},
                    {"name": "jp_capacity",
                     "shock": {"kind": "capacity", "origin": "JP", "periods": later},
                     "distribution": {"type": "uniform", "low": 0.6, "high": 1.2}},
                    {"name": "cn_tariff", "shock": {"kind": "tariff", "country": "CN"},
                     "parameter": "value",
                     "distribution": {"type": "uniform", "low": 0.075, "high": 0.25}},
                ],
            }
        },
        "risk": {"alpha": 0.9, "weight": 0.25},
    }  # fmt: skip


def write_india(n: int) -> Path:
    OUT.mkdir(exist_ok=True)
    base = india_base()
    (OUT / "hedge-india-base.json").write_text(json.dumps(base))
    path = OUT / "hedge-india.json"
    doc = hedge_document(f"india-12q-{n}", "hedge-india-base.json", base["periods"], n)
    path.write_text(json.dumps(doc))
    return path


def write_large(outcomes: int | None) -> tuple[Path, int]:
    """The generated base and as many outcomes as make ≥ 1 M non-zeros (or `outcomes`)."""
    from generator import generate

    from optimizer.model.build import build_model
    from optimizer.scenario.parsing import parse_scenario

    OUT.mkdir(exist_ok=True)
    base = generate(LARGE_BASE["suppliers"], LARGE_BASE["periods"], LARGE_BASE["seed"])
    per_block = len(build_model(parse_scenario(base))[0].matrix()[2])
    n = outcomes or math.ceil(LARGE_NONZEROS / per_block)
    (OUT / "hedge-large-base.json").write_text(json.dumps(base))
    path = OUT / "hedge-large.json"
    name = f"bench-{LARGE_BASE['suppliers']}x{LARGE_BASE['periods']}-{n}"
    path.write_text(json.dumps(hedge_document(name, "hedge-large-base.json", base["periods"], n)))
    return path, n


# -- the routes, each in its own process ------------------------------------------------------
def route_ours(path: str, solver: str | None) -> dict[str, Any]:
    """The objective solve of `solve_form`, step by step, each step timed."""
    t0 = time.perf_counter()
    import numpy as np

    from optimizer.model import highs_backend as backend
    from optimizer.model.plan import settled_plan
    from optimizer.options import SolveOptions
    from optimizer.whatif.hedge_document import load_hedge
    from optimizer.whatif.hedge_form import build_extensive_form, pass_form
    from optimizer.whatif.hedge_risk import risk_value

    t1 = time.perf_counter()
    hedge = load_hedge(path)
    t2 = time.perf_counter()
    ef = build_extensive_form(
        [o.scenario for o in hedge.outcomes], hedge.probabilities, hedge.reveal_at,
        hedge.base, hedge.alpha, hedge.weight,
    )  # fmt: skip
    t3 = time.perf_counter()
    h = backend.new_highs(SolveOptions())
    if solver:
        h.setOptionValue("solver", solver)
    pass_form(h, ef)
    t4 = time.perf_counter()
    outcome = backend.run(h, ef.is_mip)
    t5 = time.perf_counter()
    info = h.getInfo()
    x = outcome.x.copy()
    x[ef.integer] = np.round(x[ef.integer])
    plans = [
        settled_plan(b.model, b.ix, x[b.cols], outcome.status,
                     outcome.mip_gap if b.model.is_mip else None)
        for b in ef.blocks
    ]  # fmt: skip
    ef.shared_values(x)
    costs = [float(p.objective or 0.0) for p in plans]
    objective = risk_value(costs, hedge.probabilities, hedge.alpha, hedge.weight)
    t6 = time.perf_counter()
    return {
        "status": str(outcome.status), "objective": objective,
        "hedge_objective": float(info.objective_function_value),
        "outcomes": len(ef.blocks), "columns": ef.num_cols, "rows": ef.num_rows,
        "nonzeros": int(len(ef.value)), "integer_columns": int(ef.integer.sum()),
        "import_s": t1 - t0, "load_s": t2 - t1, "build_s": t3 - t2, "pass_s": t4 - t3,
        "highs_s": t5 - t4, "highs_own_s": h.getRunTime(), "read_s": t6 - t5,
        "simplex_iterations": int(info.simplex_iteration_count),
        "ipm_iterations": int(info.ipm_iteration_count),
        "crossover_iterations": int(info.crossover_iteration_count),
    }  # fmt: skip


def route_pyomo(path: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    from optimizer.model.pyomo_hedge import build_pyomo_hedge
    from optimizer.model.pyomo_solve import _run
    from optimizer.options import SolveOptions
    from optimizer.whatif.hedge_document import load_hedge

    t1 = time.perf_counter()
    hedge = load_hedge(path)
    t2 = time.perf_counter()
    model = build_pyomo_hedge(
        [o.scenario for o in hedge.outcomes], hedge.probabilities, hedge.reveal_at,
        hedge.alpha, hedge.weight,
    )  # fmt: skip
    t3 = time.perf_counter()
    status, objective, highs_s = _run(model, SolveOptions())
    t4 = time.perf_counter()
    return {
        "status": str(status), "objective": objective, "import_s": t1 - t0,
        "load_s": t2 - t1, "build_s": t3 - t2, "highs_s": highs_s, "solve_call_s": t4 - t3,
    }  # fmt: skip


def run_route(route: str, path: Path, *extra: str) -> dict[str, Any]:
    from run import timed  # bench/run.py: wall clock and the child's own peak memory

    wall, peak, out = timed([sys.executable, __file__, "--route", route, str(path), *extra])
    return {**json.loads(out), "wall_s": wall, "peak_mib": peak}


def run_report(path: Path, workers: int = 1) -> dict[str, Any]:
    from run import timed

    plan = OUT / f"{path.stem}-plan-{workers}.json"
    command = [str(BIN / "magnets"), "hedge", str(path), "--out", str(plan)]
    wall, peak, _ = timed([*command, "--workers", str(workers)])
    doc = json.loads(plan.read_text())
    return {"wall_s": wall, "peak_mib": peak, "objective": doc["objective"],
            "status": doc["status"], "timings": doc["timings"], "starts": doc.get("starts"),
            "values": {k: doc.get(k) for k in ("wait_and_see", "evpi", "value_of_hedging",
                                               "premium")}}  # fmt: skip


def measure(label: str, path: Path, pyomo: bool, methods: tuple[str, ...]) -> dict[str, Any]:
    r: dict[str, Any] = {"instance": label, "routes": {}}
    for method in methods:
        print(f"{label}: (a) {method}", file=sys.stderr, flush=True)
        r["routes"][method] = run_route("ours", path, "--solver", method)
    a = r["routes"][methods[0]]
    print(f"{label}: (a) full report", file=sys.stderr, flush=True)
    r["report"] = run_report(path)
    print(f"{label}: (a) full report, 2 workers", file=sys.stderr, flush=True)
    r["report_2"] = run_report(path, 2)
    pyomo_estimate = a["wall_s"] + 2 * a["highs_s"]
    if pyomo and pyomo_estimate <= PYOMO_LIMIT_S:
        print(f"{label}: (c) Pyomo", file=sys.stderr, flush=True)
        r["pyomo"] = run_route("pyomo", path)
    elif pyomo:
        r["pyomo_skipped"] = f"estimated {pyomo_estimate:.0f} s > {PYOMO_LIMIT_S} s"
    return r


# -- figures and the table --------------------------------------------------------------------
def verdict(r: dict[str, Any]) -> dict[str, Any]:
    a = next(iter(r["routes"].values()))
    outside_a = a["wall_s"] - a["highs_s"]
    v: dict[str, Any] = {"outside_a_s": outside_a, "outside_share": outside_a / a["wall_s"]}
    objectives = [x["objective"] for x in r["routes"].values()]
    if r.get("pyomo"):
        c = r["pyomo"]
        v["outside_c_s"] = c["wall_s"] - c["highs_s"]
        v["outside_c_over_a"] = v["outside_c_s"] / outside_a
        objectives.append(c["objective"])
    for report in ("report", "report_2"):
        if r.get(report):
            objectives.append(r[report]["objective"])
    v["spread"] = (max(objectives) - min(objectives)) / abs(a["objective"])
    return v


HEADING = "## Hedged plans"
TABLE_COLUMNS = (
    "date", "machine", "instance", "outcomes", "columns / rows", "non-zeros", "load s",
    "build s", "hand-over s", "HiGHS s", "plans read s", "(a) s", "outside HiGHS (a) s",
    "outside share", "full report s (1 / 2 workers)", "(c) s", "(c) build s", "(c) HiGHS s",
    "outside (c) s", "outside (c)/(a)", "peak MiB (a) / report / (c)", "objectives' spread",
)  # fmt: skip
METHOD_COLUMNS = (
    "date", "machine", "instance", "non-zeros", "solver", "HiGHS s", "iterations (simplex / ipm / crossover)",
    "(a) s", "peak MiB", "objective", "vs simplex",
)  # fmt: skip
INTRO = f"""{HEADING}

```bash
.venv/bin/python bench/hedge.py                 # India, 200 sampled outcomes, 12 quarters
.venv/bin/python bench/hedge.py --large         # and the ≥1M non-zero case, simplex and ipm
```

`bench/hedge.py` writes two hedge documents (MODEL.md §6) to bench/out/ and runs each route
in its own process. **india**: instances/india-2025-baseline.json repeated to 12 quarters
(each quarter's demand again six quarters later; the licence quantity and the incentive
cap, totals over the horizon, doubled), reveal 2025-Q4, 200 outcomes sampled over
Chinese-origin capacity ×0.3–1.0 and Japanese capacity ×0.6–1.2 from 2025-Q4, and China's
tariff 7.5–25 %; alpha 0.9, weight 0.25, so the CVaR rows are in. **large**: a
`bench/generator.py` scenario (200 suppliers × 12 months, seed 1) as base, reveal at its
second month, the same kind of axes, and as many outcomes as make ≥ 1 M non-zeros.

- **(a)** the array-built extensive form, step by step as `solve_form` does it: reading
  and checking the document (every draw applied and validated: "load"), building
  (`build_extensive_form`), the hand-over (`pass_form`), HiGHS's run, and reading each
  outcome's plan back ("plans read"); "(a) s" is the process's wall clock (interpreter
  and imports included; since 2026-12-06 every route's process ends as `magnets` does,
  its output flushed and its memory handed back at once, not freed object by object).
  The objective solve only; "full report" is `magnets hedge FILE
  --out PLAN`, which also solves every outcome alone, base, and base's decisions fixed in
  every outcome (wait-and-see, EVPI, value of hedging, premium), with `--workers 1` and
  `--workers 2`.
- **(c)** the same document read, `optimizer/model/pyomo_hedge.py` built and solved through
  Pyomo's HiGHS interface: wall clock, build, and the HiGHS time Pyomo reports.

Targets: the work outside HiGHS ≤ 5 % of (a); at least 10× less of it in (a) than in (c).
Peak memory is each process's maximum resident set. The machine has 2 cores shared with
other work running at the same time: compare within a row, not rows with each other.

| {" | ".join(TABLE_COLUMNS)} |
|{"---|" * len(TABLE_COLUMNS)}

HiGHS's `solver` option on the large case, the same build (a) with "simplex" and with
"ipm" (crossover on, HiGHS's default):

| {" | ".join(METHOD_COLUMNS)} |
|{"---|" * len(METHOD_COLUMNS)}
"""


def rows(r: dict[str, Any], v: dict[str, Any], date: str, machine: str) -> tuple[str, list[str]]:
    a = next(iter(r["routes"].values()))
    rep = r.get("report")
    c = r.get("pyomo")
    if c:
        pyomo = (f"{c['wall_s']:.1f} | {c['build_s']:.2f} | {c['highs_s']:.1f} "
                 f"| {v['outside_c_s']:.2f} | {v['outside_c_over_a']:.1f}×")  # fmt: skip
    else:
        pyomo = "– | – | – | – | –"
    main = (
        (
            f"| {date} | {machine} | {r['instance']} | {a['outcomes']} "
            f"| {a['columns']:,} / {a['rows']:,} | {a['nonzeros']:,} | {a['load_s']:.2f} "
            f"| {a['build_s']:.2f} | {a['pass_s']:.2f} | {a['highs_s']:.1f} | {a['read_s']:.2f} "
            f"| {a['wall_s']:.1f} | {v['outside_a_s']:.2f} | {100 * v['outside_share']:.1f} % "
        )
        + (f"| {rep['wall_s']:.1f} / {_wall(r.get('report_2'))} " if rep else "| – ")
        + f"| {pyomo} | {a['peak_mib']} / {rep['peak_mib'] if rep else '–'} / "
        + f"{c['peak_mib'] if c else '–'} | {v['spread']:.1e} |"
    )
    methods = []
    if len(r["routes"]) > 1:
        ref = r["routes"].get("simplex", a)
        for name, x in r["routes"].items():
            diff = abs(x["objective"] - ref["objective"]) / abs(ref["objective"])
            methods.append(
                f"| {date} | {machine} | {r['instance']} | {x['nonzeros']:,} | {name} "
                f"| {x['highs_s']:.1f} | {x['simplex_iterations']:,} / {x['ipm_iterations']:,} "
                f"/ {x['crossover_iterations']:,} | {x['wall_s']:.1f} | {x['peak_mib']} "
                f"| {x['objective']:,.2f} | {diff:.1e} |"
            )
    return main, methods


def _wall(report: dict[str, Any] | None) -> str:
    return f"{report['wall_s']:.1f}" if report else "–"


def record(results: list[dict[str, Any]]) -> None:
    # imported here: a route's process is timed whole, and needs neither
    import platform
    from datetime import UTC, datetime

    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text()
    if HEADING not in text.splitlines():
        text = text.rstrip("\n") + "\n\n" + INTRO
    lines = text.splitlines()
    section = lines.index(HEADING)
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    machine = f"{platform.machine()} {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    for r in results:
        main, methods = rows(r, r["verdict"], date, machine)
        for rule, new in (("|---" * len(METHOD_COLUMNS) + "|", methods),
                          ("|---" * len(TABLE_COLUMNS) + "|", [main])):  # fmt: skip
            at = lines.index(rule, section) + 1
            while at < len(lines) and lines[at].startswith("|"):
                at += 1
            lines[at:at] = new
    doc.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--outcomes", type=int, default=200, help="sampled outcomes of india")
    ap.add_argument("--large", action="store_true", help="also the ≥1M non-zero case")
    ap.add_argument(
        "--large-outcomes", type=int, help="outcomes of the large case (default: ≥1M nz)"
    )
    ap.add_argument("--no-india", action="store_true", help="the large case only")
    ap.add_argument("--no-pyomo", action="store_true", help="skip route (c)")
    ap.add_argument("--no-record", action="store_true", help="do not append to docs/benchmarks.md")
    ap.add_argument("--route", nargs=1, help=argparse.SUPPRESS)
    ap.add_argument("--solver", help=argparse.SUPPRESS)
    ap.add_argument("hedge", nargs="?", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.route:
        found = route_ours(args.hedge, args.solver) if args.route[0] == "ours" else None
        print(json.dumps(found if found is not None else route_pyomo(args.hedge)), flush=True)
        # a route's process ends as `magnets` does (cli.main.run): its output flushed, the
        # memory handed back at once rather than freed object by object
        os._exit(0)
    results = []
    if not args.no_india:
        results.append(
            measure("india", write_india(args.outcomes), not args.no_pyomo, ("simplex",))
        )
    if args.large:
        path, _ = write_large(args.large_outcomes)
        results.append(measure("large", path, not args.no_pyomo, ("simplex", "ipm")))
    for r in results:
        r["verdict"] = verdict(r)
    print(json.dumps(results, indent=1))
    (OUT / "hedge-results.json").write_text(json.dumps(results, indent=1))
    if not args.no_record:
        record(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
