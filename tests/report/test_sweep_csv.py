"""The sweep's comparison CSV is read by people in a spreadsheet, like the workbooks: its
numbers are rounded (money to cents, kg to 0.1 kg, shares to 4 decimals), its text is
inert, and the JSON result keeps the exact values."""

from __future__ import annotations

import csv
from pathlib import Path

from optimizer.model.plan import TERMS
from optimizer.whatif.sweep import SweepResult, write_csv


def noisy_result() -> SweepResult:
    row = {
        "member": "=cn=0.3",
        "levels": {"cn": 0.30000000000000004},
        "status": "optimal",
        "objective": 90444565.00000001,
        "terms": dict.fromkeys(TERMS, 0.0) | {"purchase": 46258585.004999998, "subsidy": -0.0},
        "shortage_kg": {"auto": 91200.00000000001, "wind": -2.91e-11},
        "origin_share": {"CN": 0.8000000000000002, "JP": 0.19354838709677413},
        "start": "hot",
        "verified": False,
    }
    return SweepResult("s", "grid", ("cn",), ("auto", "wind"), ("CN", "JP"), (row,), {}, {"hot": 1})


def test_the_sweep_csv_is_rounded_for_people(tmp_path: Path) -> None:
    result = noisy_result()
    path = tmp_path / "t.csv"
    write_csv(result, path)
    with path.open(newline="", encoding="utf-8") as f:
        (row,) = list(csv.DictReader(f))
    assert row["member"] == "'=cn=0.3"  # a formula stays text
    assert row["cn"] == "0.3"
    assert row["objective"] == "90444565.0" and row["purchase"] == "46258585.0"
    assert row["subsidy"] == "0.0"
    assert row["shortage_kg:auto"] == "91200.0" and row["shortage_kg:wind"] == "0.0"
    assert row["share:CN"] == "0.8" and row["share:JP"] == "0.1935"
    assert row["start"] == "hot" and row["verified"] == "False"
    # the result itself, which the JSON is written from, keeps the exact values
    assert result.rows[0]["origin_share"]["CN"] == 0.8000000000000002
