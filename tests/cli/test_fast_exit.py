"""`magnets` (cli.main.run) ends without freeing its objects one by one: what it printed
or wrote must all be there, and its exit status as `main` returned it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.paths import INSTANCES, ROOT

BASELINE = INSTANCES / "india-2025-baseline.json"


def magnets(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_a_plan_printed_to_a_pipe_arrives_whole() -> None:
    done = magnets("solve", str(BASELINE), "--explain")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)  # every byte of it, or this fails
    assert plan["status"] == "optimal" and plan["marginal_values"]


def test_files_written_are_whole(tmp_path: Path) -> None:
    out, xlsx = tmp_path / "plan.json", tmp_path / "plan.xlsx"
    done = magnets("solve", str(BASELINE), "--out", str(out), "--xlsx", str(xlsx))
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["status"] == "optimal"
    from openpyxl import load_workbook

    assert load_workbook(xlsx, read_only=True).sheetnames  # a readable workbook


def test_the_exit_status_is_main_s(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x", "periods": []}')
    refused = magnets("validate", str(bad))
    assert refused.returncode == 2
    assert "invalid scenario: /periods" in refused.stderr  # stderr flushed too
    assert magnets("validate", str(BASELINE)).returncode == 0
    assert magnets("validate").returncode == 2  # a usage error, through SystemExit
    assert magnets("--help").returncode == 0


def test_the_server_exits_the_usual_way() -> None:
    from cli.main import COMMAND_MODULES, NORMAL_EXIT

    assert "serve" in NORMAL_EXIT and set(COMMAND_MODULES) >= NORMAL_EXIT
