"""`magnets hedge`: JSON or YAML in, the hedged plan out; exit codes as `solve`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli.main import main
from tests.whatif.test_hedge_values import hedge


def write(tmp_path: Path, doc: Any, name: str = "hedge.json") -> str:
    path = tmp_path / name
    text = yaml.safe_dump(doc) if name.endswith((".yaml", ".yml")) else json.dumps(doc)
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("name", ["hedge.json", "hedge.yaml"])
def test_prints_the_hedged_plan(tmp_path: Path, capsys: Any, name: str) -> None:
    assert main(["hedge", write(tmp_path, hedge(0.5), name)]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["status"] == "optimal"
    assert plan["objective"] == pytest.approx(1050.0)
    assert {"wait_and_see", "evpi", "value_of_hedging", "here_and_now", "outcomes"} <= set(plan)
    assert "plan" not in plan["outcomes"][0]


def test_outcome_plans_and_out_file(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "plan.json"
    args = ["hedge", write(tmp_path, hedge(0.5)), "--outcome-plans", "--out", str(out)]
    assert main([*args, "--time-limit", "30", "--mip-gap", "1e-4"]) == 0
    assert capsys.readouterr().out == ""
    plan = json.loads(out.read_text())
    assert plan["outcomes"][1]["plan"]["deliveries"]


def test_table_says_what_to_order_now_and_what_the_hedge_costs(tmp_path: Path, capsys: Any) -> None:
    assert main(["hedge", write(tmp_path, hedge(0.5)), "--format", "table"]) == 0
    text = capsys.readouterr().out
    assert "order now: cn 100 kg p in t0" in text
    assert "if cn-halt (p=0.5): cost 1,050.00" in text
    assert "cost of the hedge: 50.00" in text and "200.00 more (value of hedging)" in text


def test_a_rejected_document_exits_2_with_every_problem(tmp_path: Path, capsys: Any) -> None:
    doc = hedge(0.5)
    doc["outcomes"][1]["probability"] = 0.7
    doc["reveal"] = "t7"
    assert main(["hedge", write(tmp_path, doc)]) == 2
    err = capsys.readouterr().err
    assert "invalid hedge document: /outcomes: the probabilities must sum to 1" in err
    assert "invalid hedge document: /reveal: not a period label" in err


def test_a_bad_option_exits_2_and_an_unreadable_file_too(tmp_path: Path, capsys: Any) -> None:
    assert main(["hedge", write(tmp_path, hedge(0.5)), "--mip-gap", "2"]) == 2
    assert "--mip-gap" in capsys.readouterr().err
    assert main(["hedge", str(tmp_path / "missing.json")]) == 2
    assert "cannot read hedge file" in capsys.readouterr().err


def test_an_infeasible_hedge_is_still_a_plan(tmp_path: Path, capsys: Any) -> None:
    doc = hedge(0.5)
    doc["base"]["products"][0]["min_inventory"] = 5000.0  # more than can ever be bought
    assert main(["hedge", write(tmp_path, doc)]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["status"] == "infeasible" and plan["objective"] is None


def test_base_may_be_a_scenario_file_beside_the_hedge(tmp_path: Path, capsys: Any) -> None:
    doc = hedge(0.5)
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "two.json").write_text(json.dumps(doc["base"]), encoding="utf-8")
    doc["base"] = "scenarios/two.json"  # relative to the hedge file's folder
    assert main(["hedge", write(tmp_path, doc, "hedge.yaml")]) == 0
    assert json.loads(capsys.readouterr().out)["objective"] == pytest.approx(1050.0)
    doc["base"] = "scenarios/missing.json"
    assert main(["hedge", write(tmp_path, doc)]) == 2
    assert "invalid hedge document: /base: " in capsys.readouterr().err


def test_two_workers_give_the_plan_of_one(tmp_path: Path, capsys: Any) -> None:
    path = write(tmp_path, hedge(0.5))
    assert main(["hedge", path]) == 0
    one = json.loads(capsys.readouterr().out)
    assert main(["hedge", path, "--workers", "2"]) == 0
    two = json.loads(capsys.readouterr().out)
    for key in ("objective", "wait_and_see", "evpi", "value_of_hedging", "premium"):
        assert two[key] == pytest.approx(one[key], rel=1e-9), key
    assert sum(two["starts"].values()) == sum(one["starts"].values())


@pytest.mark.parametrize(
    ("option", "words"), [(["--workers", "0"], "--workers"), (["--dask", "here"], "--dask")]
)
def test_a_bad_executor_exits_2(tmp_path: Path, capsys: Any, option: list[str], words: str) -> None:
    assert main(["hedge", write(tmp_path, hedge(0.5)), *option]) == 2
    assert words in capsys.readouterr().err


def test_xlsx_writes_the_hedged_plans_workbook_beside_the_json(tmp_path: Path, capsys: Any) -> None:
    from openpyxl import load_workbook

    book = tmp_path / "hedge.xlsx"
    assert main(["hedge", write(tmp_path, hedge(0.5)), "--xlsx", str(book)]) == 0
    plan = json.loads(capsys.readouterr().out)
    sheets = load_workbook(book, read_only=True)
    assert sheets.sheetnames == ["summary", "order_now", "outcomes"]
    summary = {r[0]: r[1] for r in sheets["summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["objective"] == pytest.approx(plan["objective"])
    orders = list(sheets["order_now"].iter_rows(min_row=2, values_only=True))
    assert orders[0][:6] == ("buy", "cn", "CN", "p", "t0", 100)
    names = [r[0] for r in sheets["outcomes"].iter_rows(min_row=2, values_only=True)]
    assert names == ["hold", "cn-halt"]
