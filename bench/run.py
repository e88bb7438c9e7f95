"""End-to-end benchmark: `magnets solve` against HiGHS alone and against the Pyomo route.

    python bench/run.py                     # default: ≥1M non-zeros, seed 1
    python bench/run.py --suppliers 400     # a quick smaller run
    python bench/run.py --rules --suppliers 400 --periods 12   # the MILP with MODEL.md §7

Three routes on one generated LP, each in its own process, measured side by side:
  (a) `magnets solve SCENARIO --out PLAN` end to end (wall clock of the process);
  (b) HiGHS alone on the MPS file `magnets export` writes (HiGHS's own run time);
  (c) the Pyomo formulation built and solved with HiGHS (wall clock, and its HiGHS time).
Targets: (a) ≤ 1.15 × (b), and (a) − (b), the work around the solver, at least 8× smaller
than the Pyomo route's wall time minus its own HiGHS time. Results are appended to
docs/benchmarks.md; peak memory is each process's maximum resident set.

With --rules the generated scenario carries the sourcing rules (MODEL.md §7: discount
brackets, qualification, max_suppliers, min_service, a soft origin cap), which makes a
MILP; (b) then runs HiGHS with the options `magnets solve` sets for a MILP (gap 1e-6,
feasibility jump off), and after the three routes `bench/rules.py` solves the same model
in each formulation variant of the discount brackets. Those rows go to the "Sourcing
rules" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
VARIANTS = ("built", "next", "columns", "no_y0")  # bench/rules.py
ROOT = HERE.parent
BIN = Path(sys.executable).parent

HIGHS_ALONE = """
import json, sys, time, highspy
h = highspy.Highs(); h.setOptionValue("output_flag", False)
for k, v in (json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}).items():
    h.setOptionValue(k, v)
h.readModel(sys.argv[1])
t = time.perf_counter(); h.run(); run_s = time.perf_counter() - t
print(json.dumps({"run_s": run_s, "objective": h.getInfo().objective_function_value,
                  "nodes": int(h.getInfo().mip_node_count),
                  "nonzeros": h.getNumNz(), "status": h.modelStatusToString(h.getModelStatus())}))
"""

PYOMO_ROUTE = """
import json, sys
from optimizer.scenario.loading import load_scenario
from optimizer.model.pyomo_solve import solve_pyomo
print(json.dumps(solve_pyomo(load_scenario(sys.argv[1]))))
"""
# What `magnets solve` sets for a MILP (optimizer/model/highs_backend.py), for (b) on --rules.
MILP_OPTIONS = {"mip_rel_gap": 1e-6, "mip_heuristic_run_feasibility_jump": False}


def timed(cmd: list[str]) -> tuple[float, int, str]:
    """Run a process; return its wall time, its own peak resident memory (MiB) and stdout."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's rusage alone
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        if proc.returncode != 0:
            raise RuntimeError(f"{cmd[:3]} failed: {err.read()[-2000:]}")
        return wall, int(usage.ru_maxrss / 1024), out.read()


def run(
    suppliers: int, periods: int, seed: int, pyomo: bool, rules: bool = False
) -> dict[str, Any]:
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    scenario, mps, plan = out / "scenario.json", out / "model.mps", out / "plan.json"
    subprocess.run(
        [sys.executable, str(HERE / "generator.py"), f"--suppliers={suppliers}", f"--periods={periods}",
         f"--seed={seed}", *(["--rules"] if rules else [])], stdout=scenario.open("w"), check=True,
    )  # fmt: skip
    subprocess.run([str(BIN / "magnets"), "export", str(scenario), "--mps", str(mps)], check=True)

    options = [json.dumps(MILP_OPTIONS)] if rules else []
    b_wall, b_peak, b_out = timed([sys.executable, "-c", HIGHS_ALONE, str(mps), *options])
    b = json.loads(b_out)
    a_wall, a_peak, _ = timed([str(BIN / "magnets"), "solve", str(scenario), "--out", str(plan)])
    a = json.loads(plan.read_text())
    result: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "suppliers": suppliers, "periods": periods, "seed": seed,
        "rows": a["model"]["rows"], "columns": a["model"]["columns"], "nonzeros": b["nonzeros"],
        "a_wall_s": a_wall, "a_peak_mib": a_peak, "a_objective": a["objective"],
        "a_timings": a["timings"],
        "b_highs_s": b["run_s"], "b_wall_s": b_wall, "b_objective": b["objective"],
    }  # fmt: skip
    if rules:
        result.update(rules=True, binaries=a["model"]["binaries"], a_status=a["status"],
                      b_nodes=b["nodes"])  # fmt: skip
    if pyomo:
        c_wall, c_peak, c_out = timed([sys.executable, "-c", PYOMO_ROUTE, str(scenario)])
        c = json.loads(c_out)
        result.update(c_wall_s=c_wall, c_highs_s=c["solve_s"], c_build_s=c["build_s"],
                      c_objective=c["objective"], c_peak_mib=c_peak)  # fmt: skip
    if rules:
        result["variants"] = [
            json.loads(timed([sys.executable, str(HERE / "rules.py"), str(scenario),
                              f"--variant={name}"])[2])
            for name in VARIANTS
        ]  # fmt: skip
    return result


def verdict(r: dict[str, Any]) -> dict[str, float]:
    """Ratios. The same LP can take minutes longer on a loaded machine, so besides the raw
    (a)/(b) the work outside the solver is also taken from (a)'s own HiGHS time, and
    (a)/(b) is restated as if both solves had taken (b)'s time."""
    a, b = float(r["a_wall_s"]), float(r["b_highs_s"])
    outside_a = a - float(r["a_timings"]["solve_s"])
    out = {
        "ratio_a_to_b": a / b,
        "outside_solver_a_s": outside_a,
        "ratio_equal_solve": (b + outside_a) / b,
    }
    if "c_wall_s" in r:
        outside_c = float(r["c_wall_s"]) - float(r["c_highs_s"])
        out["outside_solver_c_s"] = outside_c
        out["outside_c_over_a"] = outside_c / max(outside_a, 1e-9)
    return out


TABLE_RULE = "|---" * 15 + "|"


def table_row(r: dict[str, Any], v: dict[str, float]) -> str:
    pyomo = (
        f"{r['c_wall_s']:.1f} | {r['c_highs_s']:.1f} | {v['outside_solver_c_s']:.2f} | {v['outside_c_over_a']:.1f}×"
        if "c_wall_s" in r
        else "– | – | – | –"
    )
    return (
        f"| {r['date']} | {r['machine']} | {r['suppliers']}×{r['periods']} | {r['nonzeros']:,} "
        f"| {r['a_wall_s']:.1f} | {r['a_timings']['solve_s']:.1f} | {r['b_highs_s']:.1f} "
        f"| {v['ratio_a_to_b']:.3f} | {v['outside_solver_a_s']:.2f} | {v['ratio_equal_solve']:.4f} "
        f"| {pyomo} | {r['a_peak_mib']} / {r.get('c_peak_mib', '–')} |"
    )


def append_table(r: dict[str, Any], v: dict[str, float]) -> None:
    """Add the row at the end of the end-to-end table (other sections follow it)."""
    doc = ROOT / "docs" / "benchmarks.md"
    lines = doc.read_text().splitlines()
    at = lines.index(TABLE_RULE) + 1
    while at < len(lines) and lines[at].startswith("|"):
        at += 1
    lines.insert(at, table_row(r, v))
    doc.write_text("\n".join(lines) + "\n")


RULES_HEADING = "### Sourcing rules"
RULES_TABLE_RULE = "|---" * 17 + "|"
VARIANTS_TABLE_RULE = "|---" * 11 + "|"


def rules_rows(r: dict[str, Any], v: dict[str, float]) -> tuple[str, list[str]]:
    """The end-to-end row of a --rules run, and one row per formulation variant."""
    objectives = [r["a_objective"], r["b_objective"], r.get("c_objective", r["a_objective"])]
    spread = (max(objectives) - min(objectives)) / abs(r["a_objective"])
    row = table_row(r, v).replace(
        f"| {r['nonzeros']:,} ", f"| {r['columns']:,} / {r['binaries']:,} | {r['nonzeros']:,} ", 1
    )
    row += f" {spread:.1e} |"
    best = r["a_objective"]
    variants = [
        f"| {r['date']} | {r['suppliers']}×{r['periods']} | {x['variant']} | {x['changed']:,} "
        f"| {x['run_s']:.1f} | {x['nodes']:,} | {x['lp_iterations']:,} "
        f"| {x['relaxation']:,.0f} | {100 * (best - x['relaxation']) / abs(best):.4f} % "
        f"| {x['objective']:,.2f} | {x['relaxation_s']:.2f} |"
        for x in r.get("variants", [])
    ]
    return row, variants


def append_rules(r: dict[str, Any], v: dict[str, float]) -> None:
    """Add the rows at the end of the two tables of the "Sourcing rules" section."""
    doc = ROOT / "docs" / "benchmarks.md"
    lines = doc.read_text().splitlines()
    row, variants = rules_rows(r, v)
    section = lines.index(RULES_HEADING)
    for rule, new in ((VARIANTS_TABLE_RULE, variants), (RULES_TABLE_RULE, [row])):
        at = lines.index(rule, section) + 1
        while at < len(lines) and lines[at].startswith("|"):
            at += 1
        lines[at:at] = new
    doc.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--suppliers", type=int, default=3600)
    ap.add_argument("--periods", type=int, default=24)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-pyomo", action="store_true", help="skip route (c)")
    ap.add_argument(
        "--rules", action="store_true", help="the MILP with MODEL.md §7's rules, and its variants"
    )
    ap.add_argument("--no-record", action="store_true", help="do not append to docs/benchmarks.md")
    ap.add_argument("--from-json", metavar="FILE", help="record the figures a previous run printed")
    args = ap.parse_args(argv)
    if args.from_json:
        r = json.loads(Path(args.from_json).read_text())
    else:
        r = run(args.suppliers, args.periods, args.seed, not args.no_pyomo, args.rules)
    v = verdict(r)
    print(json.dumps({**r, **v}, indent=1))
    if not args.no_record:
        (append_rules if r.get("rules") else append_table)(r, v)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
