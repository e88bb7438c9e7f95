"""Start-up benchmark: how long `magnets` takes before and around the solver.

    python bench/startup.py                              # 15 rounds; appends a row
    python bench/startup.py --compare-with ../old-tree   # another checkout in the same rounds
    python bench/startup.py --runs 5 --no-record         # a quick look

Four commands, each in a fresh process, wall clock from start to exit:
  `python -c pass`                   the interpreter alone (with the venv's site);
  `magnets --help`                   the parser, every command's options;
  `magnets validate BASELINE`        read and check instances/india-2025-baseline.json;
  `magnets solve BASELINE`           the whole solve, plan JSON to a pipe; with HiGHS's own
                                     time from the plan's `timings.solve_s`.
The commands run round-robin (one of each, then again) so that the machine's drift
spreads over all of them alike; the table gives the median of the rounds, after one
unmeasured round. `magnets` is `python -m cli.main` (`python -m optimizer.cli` in a tree
from before the cli package) run in the tree with PYTHONPATH set to it, so that every
tree, this one (or --tree) and the one of --compare-with, starts the same way. Bytecode
is cached (in a temporary PYTHONPYCACHEPREFIX, whatever PYTHONDONTWRITEBYTECODE says),
as after an install; --no-pycache leaves the environment as it is. Targets: `--help` and `validate` under 0.15 s on a quiet machine.
Rows are appended to docs/benchmarks.md, "Start-up".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BASELINE = ROOT / "instances" / "india-2025-baseline.json"
COMMANDS = ("python -c pass", "magnets --help", "magnets validate", "magnets solve")
TABLE_HEADER = (
    "| date | machine | code | rounds | `python -c pass` ms | `magnets --help` ms "
    "| `magnets validate` ms | `magnets solve` ms | its HiGHS ms |"
)


class Tree:
    """One checkout of the code and how to start its command line."""

    def __init__(self, root: Path, pycache: str | None):
        self.root = root.resolve()
        self.label = revision(self.root)
        module = "cli.main" if (self.root / "cli" / "main.py").is_file() else "optimizer.cli"
        self.launcher = [sys.executable, "-m", module]
        self.env = {**os.environ, "PYTHONPATH": str(self.root)}
        if pycache is not None:  # bytecode written once and read after, as after an install
            self.env.pop("PYTHONDONTWRITEBYTECODE", None)
            self.env["PYTHONPYCACHEPREFIX"] = pycache

    def argv(self, command: str) -> list[str]:
        if command == "python -c pass":
            return [sys.executable, "-c", "pass"]
        words = {"magnets --help": ["--help"], "magnets validate": ["validate", str(BASELINE)],
                 "magnets solve": ["solve", str(BASELINE)]}[command]  # fmt: skip
        return [*self.launcher, *words]


def revision(root: Path) -> str:
    """The commit of a tree, `+` when it has changes of its own; its folder name otherwise."""
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return root.name
    return head + ("+" if dirty else "")


def timed(tree: Tree, command: str) -> tuple[float, str]:
    """Wall seconds of one run of `command` and its stdout; a failure stops the benchmark."""
    started = time.perf_counter()
    done = subprocess.run(
        tree.argv(command), cwd=tree.root, env=tree.env, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(
            f"{tree.label}: {command} exited {done.returncode}: {done.stderr[-2000:]}"
        )
    return wall, done.stdout


def run(trees: list[Tree], rounds: int, pycache: bool) -> list[dict[str, Any]]:
    walls: dict[tuple[int, str], list[float]] = {}
    highs: dict[int, list[float]] = {i: [] for i in range(len(trees))}
    for tree in trees:  # one unmeasured round: the files into the page cache, .pyc written
        for command in COMMANDS:
            timed(tree, command)
    for _ in range(rounds):
        for command in COMMANDS:
            for i, tree in enumerate(trees):
                wall, out = timed(tree, command)
                walls.setdefault((i, command), []).append(wall)
                if command == "magnets solve":
                    highs[i].append(json.loads(out)["timings"]["solve_s"])
    stamp = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
        + ("" if pycache else ", no bytecode cache"),
        "rounds": rounds,
    }
    return [
        {
            **stamp,
            "code": tree.label,
            "median_ms": {c: 1e3 * statistics.median(walls[i, c]) for c in COMMANDS},
            "min_ms": {c: 1e3 * min(walls[i, c]) for c in COMMANDS},
            "highs_ms": 1e3 * statistics.median(highs[i]),
        }
        for i, tree in enumerate(trees)
    ]


def table_row(r: dict[str, Any]) -> str:
    m = r["median_ms"]
    cells = [r["date"], r["machine"], r["code"], str(r["rounds"]),
             *(f"{m[c]:.0f}" for c in COMMANDS), f"{r['highs_ms']:.0f}"]  # fmt: skip
    return "| " + " | ".join(cells) + " |"


def append_rows(rows: list[dict[str, Any]]) -> None:
    """Add the rows at the end of the start-up table (other sections may follow it)."""
    doc = ROOT / "docs" / "benchmarks.md"
    lines = doc.read_text().splitlines()
    at = lines.index(TABLE_HEADER) + 2  # past the header and its rule
    while at < len(lines) and lines[at].startswith("|"):
        at += 1
    lines[at:at] = [table_row(r) for r in rows]
    doc.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runs", type=int, default=15, help="measured rounds (default 15)")
    ap.add_argument("--tree", metavar="DIR", default=str(ROOT), help="the checkout to measure")
    ap.add_argument("--compare-with", metavar="DIR", help="another checkout, measured alongside")
    ap.add_argument(
        "--no-pycache",
        action="store_true",
        help="no bytecode cache of its own: the environment as it is (PYTHONDONTWRITEBYTECODE)",
    )
    ap.add_argument("--no-record", action="store_true", help="do not append to docs/benchmarks.md")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="startup-pycache-") as pycache:
        cache = None if args.no_pycache else pycache
        trees = [Tree(Path(d), cache) for d in (args.compare_with, args.tree) if d]
        rows = run(trees, args.runs, not args.no_pycache)
    print(TABLE_HEADER)
    print("|---" * (TABLE_HEADER.count("|") - 1) + "|")
    for r in rows:
        print(table_row(r))
    print(json.dumps(rows, indent=1), file=sys.stderr)
    if not args.no_record:
        append_rows(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
