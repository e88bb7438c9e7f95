"""Hot starts against cold solves on a seeded Monte Carlo sweep of a large generated LP.

    python bench/hot_start.py            # ≥ 1M non-zeros, 200 members, 5 of them also cold
    python bench/hot_start.py --quick    # a small base and 40 members, in about a minute

The base comes from `bench/generator.py` (`generate(suppliers, periods, seed)`). The
sweep shocks four numbers at a time, each member drawn afresh (capacity of Chinese-origin
suppliers, the tariff on shipments from China, EV demand, Japanese prices), so every
member keeps the base's shape and all but the first are hot starts. Each member's time
is the wall clock of the whole member: shocks applied, scenario validated, model built,
differences handed to HiGHS, solve, plan read back.

Cold solves cost minutes each on a large base, so they are timed on a sample: the sweep's
first member (which has no previous basis) and `--cold-sample` more members, evenly
spaced, re-solved through the same pipeline with hot starts off. The cold sweep time is
extrapolated as sample mean × members. The re-solved members' objectives are compared
with their hot ones (relative 1e-6). Results go to the table under "Hot starts" in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from generator import generate  # noqa: E402

from cli.insight import ProgressBar  # noqa: E402
from optimizer.model.build import build_model  # noqa: E402
from optimizer.scenario.parsing import parse_scenario  # noqa: E402
from optimizer.solve import model_size  # noqa: E402
from optimizer.whatif.hot_start import HotStartSolver, plans_agree  # noqa: E402
from optimizer.whatif.sweep import (  # noqa: E402
    base_document,
    expand_members,
    parse_sweep_spec,
    run_sweep,
    solve_member,
)

HEADING = "## Hot starts"
INTRO = """\
`python bench/hot_start.py`: a seeded Monte Carlo sweep on a base LP from
`bench/generator.py`, every member solved from the previous member's basis (hot), against
the same pipeline with hot starts off (cold). Member time is the wall clock of a whole
member (shocks, validation, build, hand-over, solve, plan). Cold is timed on an evenly
spaced sample of members plus the sweep's first member (which always starts cold and is
left out of the hot mean) and extrapolated to the sweep; the re-solved members'
objectives are compared with their hot ones. Each member redraws four numbers (capacity
of Chinese-origin suppliers ×0.9–1.0, tariff on shipments from China 7.5–15 %, EV demand
×0.95–1.05, Japanese prices ×0.95–1.05), so neighbours differ in all four; a grid whose
neighbours differ in one level starts closer. On a shared 2-core machine the hot and the
cold timings ran at different moments under different load: read the speed-up as an
order of magnitude.

| date | machine | base (suppliers × periods) | non-zeros | members | hot members | hot s/member (mean / median) | cold s/member (sample) | speed-up | hot sweep s | cold sweep s (extrapolated) | max rel. objective diff |
|---|---|---|---|---|---|---|---|---|---|---|---|
"""


def sweep_spec(doc: dict[str, Any], members: int, seed: int) -> dict[str, Any]:
    return {
        "name": "hot-start bench",
        "base": doc,
        "mode": "monte_carlo",
        "samples": members,
        "seed": seed,
        "include_base": False,
        "axes": [
            {"name": "cn_capacity", "shock": {"kind": "capacity", "origin": "CN"},
             "distribution": {"type": "uniform", "low": 0.9, "high": 1.0}},
            {"name": "cn_tariff", "shock": {"kind": "tariff", "country": "CN"}, "parameter": "value",
             "distribution": {"type": "uniform", "low": 0.075, "high": 0.15}},
            {"name": "ev_demand", "shock": {"kind": "demand", "sector": "auto_ev"},
             "distribution": {"type": "triangular", "low": 0.95, "mode": 1.0, "high": 1.05}},
            {"name": "jp_price", "shock": {"kind": "price", "origin": "JP"},
             "distribution": {"type": "uniform", "low": 0.95, "high": 1.05}},
        ],
    }  # fmt: skip


class Clock:
    """A progress callback that also records when each member finished."""

    def __init__(self, bar: ProgressBar):
        self.bar, self.marks = bar, [time.perf_counter()]

    def __call__(self, done: int, total: int) -> None:
        self.marks.append(time.perf_counter())
        self.bar(done, total)

    def per_member(self) -> list[float]:
        return [b - a for a, b in zip(self.marks, self.marks[1:], strict=False)]


def run(suppliers: int, periods: int, members: int, cold_sample: int, seed: int) -> dict[str, Any]:
    doc = generate(suppliers, periods, seed)
    size = model_size(build_model(parse_scenario(doc))[0])
    spec = parse_sweep_spec(sweep_spec(doc, members, seed))
    clock = Clock(ProgressBar("hot sweep"))
    started = time.perf_counter()
    result = run_sweep(spec, progress=clock)
    hot_total = time.perf_counter() - started
    times = clock.per_member()
    hot_times = [t for t, r in zip(times, result.rows, strict=True) if r["start"] == "hot"]

    base = base_document(spec)
    all_members = expand_members(spec, base)
    step = max(1, members // max(cold_sample, 1))
    sample = list(range(step // 2, members, step))[:cold_sample]
    cold_times, diffs = [times[0]], []  # the sweep's first member is a cold solve too
    bar = ProgressBar("cold sample")
    for k, index in enumerate(sample):
        t = time.perf_counter()
        row = solve_member(HotStartSolver(spec.options, hot=False), base, all_members[index], False)
        cold_times.append(time.perf_counter() - t)
        hot_row = result.rows[index]
        agree = plans_agree(row, hot_row)
        diffs.append(abs(row["objective"] - hot_row["objective"]) / max(1.0, abs(row["objective"])))
        if not agree:
            print(f"MISMATCH member {index}: cold {row['objective']} hot {hot_row['objective']}")
        bar(k + 1, len(sample))
    cold_mean = statistics.mean(cold_times)
    hot_mean = statistics.mean(hot_times) if hot_times else float("nan")
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "suppliers": suppliers, "periods": periods, "nonzeros": size["nonzeros"],
        "members": members, "hot_members": len(hot_times), "starts": result.starts,
        "hot_mean_s": hot_mean, "hot_median_s": statistics.median(hot_times) if hot_times else None,
        "cold_mean_s": cold_mean, "cold_sample": len(cold_times), "speedup": cold_mean / hot_mean,
        "hot_sweep_s": hot_total, "cold_sweep_s": cold_mean * members,
        "max_rel_diff": max(diffs) if diffs else None,
        "statuses": result.statistics["statuses"],
    }  # fmt: skip


def table_row(r: dict[str, Any]) -> str:
    diff = "–" if r["max_rel_diff"] is None else f"{r['max_rel_diff']:.1e}"
    return (
        f"| {r['date']} | {r['machine']} | {r['suppliers']}×{r['periods']} | {r['nonzeros']:,} "
        f"| {r['members']} | {r['hot_members']} | {r['hot_mean_s']:.2f} / {r['hot_median_s']:.2f} "
        f"| {r['cold_mean_s']:.2f} (n={r['cold_sample']}) | {r['speedup']:.1f}× "
        f"| {r['hot_sweep_s']:.0f} | {r['cold_sweep_s']:.0f} | {diff} |\n"
    )


def record(row: str, doc: Path = ROOT / "docs" / "benchmarks.md") -> None:
    """Add the row at the end of this benchmark's own table. The section is created when
    absent (and the file with it): before the file's last section, since other
    benchmarks append their rows at the very end of the file; nothing else is changed."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    if HEADING not in text:
        section = f"{HEADING}\n\n{INTRO}\n"
        last = text.rfind("\n## ")
        text = (
            text[: last + 1] + section + text[last + 1 :]
            if last >= 0
            else text.rstrip("\n") + "\n\n" + section
        )
    start = text.index(HEADING)
    following = text.find("\n## ", start + len(HEADING))
    end = len(text) if following < 0 else following + 1
    section = text[start:end].rstrip("\n") + "\n" + row
    text = text[:start] + section + ("\n" + text[end:] if end < len(text) else "")
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--suppliers", type=int, default=3500)
    ap.add_argument("--periods", type=int, default=24)
    ap.add_argument("--members", type=int, default=200)
    ap.add_argument(
        "--cold-sample", type=int, default=5, help="members re-solved cold, besides the first"
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="300 suppliers × 12 periods, 40 members")
    ap.add_argument("--no-record", action="store_true", help="do not write docs/benchmarks.md")
    args = ap.parse_args(argv)
    if args.quick:
        args.suppliers, args.periods, args.members = 300, 12, 40
    r = run(args.suppliers, args.periods, args.members, args.cold_sample, args.seed)
    print(INTRO.splitlines()[-2])
    print(INTRO.splitlines()[-1])
    print(table_row(r), end="")
    print(f"starts {r['starts']}, statuses {r['statuses']}")
    if not args.no_record:
        record(table_row(r))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
