"""A hedge job on the service's own solver processes: its outcomes solved alone (wait-and-see,
value of hedging, premium) lent to the pool's idle processes (service/run_sharing.py)
against the same job on a pool of one process, side by side in one run.

    python bench/hedge_job.py                  # India, 200 sampled outcomes, 12 quarters
    python bench/hedge_job.py --outcomes 50 --no-record

The job item goes through `workers.LocalPool`, the executor the dispatcher drives, as the
service hands it over (JSON text, the `hedge` change); the pool's processes are started
and warm before the clock starts, as a running service's are. Each pool size runs
`--rounds` times, alternating; the table takes the median wall clock of each. The
hedge is bench/hedge.py's india instance. Rows go to docs/benchmarks.md, "Hedge jobs on
the service's processes".
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from hedge import hedge_document, india_base  # noqa: E402

from service.solving import hedge_change  # noqa: E402
from service.workers import LocalPool  # noqa: E402

HEADING = "## Hedge jobs on the service's processes"
COLUMNS = ["date", "machine", "outcomes", "processes", "wall s (median)",
           "values s (median)", "rounds",
           "runs lent", "starts", "objective", "wait-and-see", "same values"]  # fmt: skip


def india_hedge(n: int) -> dict[str, Any]:
    """bench/hedge.py's india hedge with its base inline, as a job body holds it."""
    base = india_base()
    document = hedge_document(f"india-12q-{n}", "", base["periods"], n)
    document["base"] = base
    return document


def solve_job(pool: LocalPool, item_id: int, document: str) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    pool.submit(item_id, document, {}, hedge_change())
    while True:
        done = pool.finished()
        pool.lend_idle()  # as the dispatcher does: nothing else is queued here
        if done:
            plan = done[0][1].plan
            assert plan is not None, done
            return time.perf_counter() - started, plan
        pool.wait(0.5)


def warm(pool: LocalPool, processes: int) -> None:
    """Every process started and its imports done: a tiny hedge each, one by one."""
    small = json.dumps(india_hedge(2))
    for k in range(processes):
        solve_job(pool, -1 - k, small)


def measure(n: int, rounds: int) -> list[dict[str, Any]]:
    document = json.dumps(india_hedge(n))
    pools = {1: LocalPool(1), 2: LocalPool(2)}
    walls: dict[int, list[float]] = {1: [], 2: []}
    values: dict[int, list[float]] = {1: [], 2: []}  # the outcomes solved alone
    plans: dict[int, dict[str, Any]] = {}
    lent: dict[int, int] = {}
    try:
        for processes, pool in pools.items():
            pool.start()
            warm(pool, processes)
            lent[processes] = -pool.runs_lent()
        for r in range(rounds):
            for processes in (1, 2) if r % 2 == 0 else (2, 1):
                wall, plan = solve_job(pools[processes], r + 1, document)
                walls[processes].append(wall)
                values[processes].append(plan["timings"]["values_s"])
                plans[processes] = plan
                print(f"round {r + 1}: {processes} process(es) {wall:.1f} s", file=sys.stderr)
        for processes, pool in pools.items():
            lent[processes] += pool.runs_lent()
    finally:
        for pool in pools.values():
            pool.stop()
    same = all(
        abs((plans[2][k] or 0) - (plans[1][k] or 0)) <= 1e-6 * max(1.0, abs(plans[1][k] or 0))
        for k in ("objective", "wait_and_see", "evpi", "value_of_hedging", "premium")
    )
    return [
        {"outcomes": n, "processes": p, "wall_s": statistics.median(walls[p]),
         "values_s": statistics.median(values[p]), "rounds": rounds,
         "runs_lent": lent[p] // rounds, "starts": plans[p].get("starts"),
         "objective": plans[p]["objective"], "wait_and_see": plans[p]["wait_and_see"],
         "same": same}
        for p in (1, 2)
    ]  # fmt: skip


def record(results: list[dict[str, Any]]) -> None:
    import platform
    from datetime import UTC, datetime

    doc = ROOT / "docs" / "benchmarks.md"
    lines = doc.read_text().splitlines()
    rule = "|---" * len(COLUMNS) + "|"
    at = lines.index(rule, lines.index(HEADING)) + 1
    while at < len(lines) and lines[at].startswith("|"):
        at += 1
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    machine = f"{platform.machine()} {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    for r in results:
        starts = ", ".join(f"{k} {v}" for k, v in sorted((r["starts"] or {}).items()))
        cells = [date, machine, str(r["outcomes"]), str(r["processes"]), f"{r['wall_s']:.1f}",
                 f"{r['values_s']:.1f}", str(r["rounds"]), str(r["runs_lent"]), starts, f"{r['objective']:,.0f}",
                 f"{r['wait_and_see']:,.0f}", "yes" if r["same"] else "NO"]  # fmt: skip
        lines.insert(at, "| " + " | ".join(cells) + " |")
        at += 1
    doc.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--outcomes", type=int, default=200, help="sampled outcomes of india")
    ap.add_argument("--rounds", type=int, default=3, help="solves of each pool size")
    ap.add_argument("--no-record", action="store_true", help="do not append to docs/benchmarks.md")
    args = ap.parse_args(argv)
    results = measure(args.outcomes, args.rounds)
    print(json.dumps(results, indent=1))
    if not args.no_record:
        record(results)
    return 0 if all(r["same"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
