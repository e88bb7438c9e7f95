"""The `magnets` command line of MODEL.md §5: exit codes, stdout and stderr, files written.

Most cases call `main` in-process; a few run the installed script to check what a
shell sees (exit status, the split between stdout and stderr, no traceback).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import highspy
import pytest

from cli.main import main
from optimizer.model.build import build_model
from optimizer.report.terms import TERM_LABELS
from optimizer.scenario.loading import load_scenario
from tests.paths import conformance
from tests.scenario.test_validation import c0_document

C0_OBJECTIVE = 3340.0  # by hand: 150 kg licensed from cn1 at 12, 70 kg from jp1 at 22
C2 = conformance() / "scenarios" / "c2_realistic_milp.json"


def magnets_script() -> str:
    beside = Path(sys.executable).parent / "magnets"
    found = str(beside) if beside.is_file() else shutil.which("magnets")
    assert found, "the magnets script is not installed"
    return found


def run_magnets(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [magnets_script(), *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )


def write(tmp_path: Path, doc: Any, name: str = "scenario.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.fixture
def c0(tmp_path: Path) -> Path:
    return write(tmp_path, c0_document(), "c0.json")


def invalid_document() -> dict[str, Any]:
    """c0 with three shape errors: an empty name, a negative capacity, an unknown field."""
    doc = c0_document()
    doc["name"] = ""
    doc["suppliers"][0]["capacity"] = -1
    doc["suppliers"][1]["colour"] = "red"
    return doc


INVALID_POINTERS = ["/name", "/suppliers/0/capacity", "/suppliers/1/colour"]


def relative_gap(a: float, b: float) -> float:
    return abs(a - b) / max(1.0, abs(b))


# --- solve -------------------------------------------------------------------------------------


def test_solve_prints_the_plan(c0: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", str(c0)]) == 0
    out, err = capsys.readouterr()
    plan = json.loads(out)
    assert plan["status"] == "optimal"
    assert relative_gap(plan["objective"], C0_OBJECTIVE) < 1e-9
    terms = plan["terms"]
    signed = sum(v for k, v in terms.items() if k != "subsidy") - terms["subsidy"]
    assert relative_gap(signed, plan["objective"]) < 1e-9
    assert plan["mip_gap"] is None  # c0 is an LP
    assert err == ""


def test_solve_script_keeps_stdout_for_the_plan(c0: Path) -> None:
    done = run_magnets("solve", c0)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["objective"] == pytest.approx(C0_OBJECTIVE, rel=1e-9)
    assert done.stderr == ""


def test_solve_reads_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.scenario.test_validation import C0_YAML

    path = tmp_path / "c0.yaml"
    path.write_text(C0_YAML, encoding="utf-8")
    assert main(["solve", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["objective"] == pytest.approx(C0_OBJECTIVE)


def test_solve_out_writes_the_file_and_prints_nothing(
    c0: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_path = tmp_path / "plan.json"
    assert main(["solve", str(c0), "--out", str(out_path)]) == 0
    assert capsys.readouterr() == ("", "")
    plan = json.loads(out_path.read_text(encoding="utf-8"))
    assert plan["status"] == "optimal"
    assert plan["objective"] == pytest.approx(C0_OBJECTIVE, rel=1e-9)


def test_solve_out_into_a_missing_folder_fails_cleanly(
    c0: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["solve", str(c0), "--out", str(tmp_path / "no" / "plan.json")]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "plan.json" in err


def test_solve_table_has_every_section(c0: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", str(c0), "--format", "table"]) == 0
    out = capsys.readouterr().out
    for section in ("Cost terms", "Origin shares", "Shortages", "Licence use"):
        assert section in out
    assert "optimal" in out and "total     $3,340" in out  # money without cents
    for label in TERM_LABELS.values():  # each cost term in words
        assert label in out
    assert "CN" in out and "JP" in out
    assert re.search(r"L1 +150 +150 +100 %", out)  # the licence is used in full
    assert re.search(r"licence +L1 used up: 150 of 150 kg", out)  # and flagged as binding


def test_solve_table_lists_shortages_by_sector(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = c0_document()
    doc["suppliers"][1]["capacity"] = 0  # no Japanese supply: defence goes short
    assert main(["solve", str(write(tmp_path, doc)), "--format", "table"]) == 0
    out = capsys.readouterr().out
    shortages = out[out.index("Shortages") :].splitlines()
    assert any(re.match(r"  defence +60 ", line) for line in shortages)


def test_infeasible_scenario_exits_0_with_status_infeasible(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = c0_document()
    doc["products"][0]["min_inventory"] = 1e6  # far more stock than can ever be bought
    assert main(["solve", str(write(tmp_path, doc))]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["status"] == "infeasible"
    assert plan["objective"] is None
    assert plan["deliveries"] == [] and plan["shortages"] == []


def test_infeasible_table_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = c0_document()
    doc["products"][0]["min_inventory"] = 1e6
    assert main(["solve", str(write(tmp_path, doc)), "--format", "table"]) == 0
    assert "infeasible" in capsys.readouterr().out


def test_solve_milp_reports_its_gap(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", str(C2)]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["status"] == "optimal"
    assert plan["mip_gap"] is not None and 0 <= plan["mip_gap"] <= 1e-6


# --- rejected input ---------------------------------------------------------------------------


def test_invalid_scenario_exits_2_with_one_line_per_problem(tmp_path: Path) -> None:
    done = run_magnets("solve", write(tmp_path, invalid_document()))
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == len(INVALID_POINTERS)
    for line, where in zip(lines, INVALID_POINTERS, strict=True):
        assert line.startswith(f"invalid scenario: {where}: ")


def test_invalid_scenario_lines_name_rule_and_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["solve", str(write(tmp_path, invalid_document()))]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "invalid scenario: /name: String should have at least 1 character" in err
    assert "invalid scenario: /suppliers/0/capacity: Input should be greater than or equal" in err
    assert "(got -1)" in err
    assert "invalid scenario: /suppliers/1/colour: unknown field" in err


def test_missing_file_exits_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.json"
    assert main(["solve", str(missing)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert str(missing) in err and "cannot read scenario file" in err


def test_malformed_json_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"name": "x", "periods": ["P1"', encoding="utf-8")
    done = run_magnets("solve", path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "not valid JSON" in done.stderr and "Traceback" not in done.stderr


def test_malformed_yaml_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nperiods: [P1\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("invalid scenario: /: not valid YAML") and "line 2" in line


@pytest.mark.parametrize(
    ("option", "value"),
    [("--mip-gap", "-1"), ("--mip-gap", "2"), ("--mip-gap", "nan"),
     ("--time-limit", "0"), ("--time-limit", "-5"), ("--threads", "0")],
)  # fmt: skip
def test_bad_solver_option_exits_2_naming_it(
    c0: Path, option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["solve", str(c0), option, value]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert option in err


def test_mip_gap_not_a_number_is_a_usage_error(
    c0: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["solve", str(c0), "--mip-gap", "tight"])
    assert info.value.code == 2
    assert "--mip-gap" in capsys.readouterr().err


def test_unknown_format_is_a_usage_error(c0: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["solve", str(c0), "--format", "csv"])
    assert info.value.code == 2
    assert "--format" in capsys.readouterr().err


def test_verbose_log_goes_to_stderr(c0: Path) -> None:
    done = run_magnets("solve", c0, "--verbose")
    assert done.returncode == 0
    assert json.loads(done.stdout)["objective"] == pytest.approx(C0_OBJECTIVE)
    assert "HiGHS" in done.stderr


@pytest.mark.parametrize("field", ["lead_time", "build_lead"])
def test_huge_period_counts_never_give_a_traceback(tmp_path: Path, field: str) -> None:
    doc = c0_document()
    if field == "lead_time":
        doc["suppliers"][0]["lead_time"] = 10**30  # cn1 never delivers
        expected = 14400.0  # 100 kg/period from jp1 at 22, 10 kg auto short per period at 500
    else:
        doc["plants"] = [
            {"id": "jp_new", "country": "JP", "capacity": 50, "existing": False,
             "build_lead": 10**30, "offers": [{"product": "ndfeb", "price": 1.0}]}
        ]  # fmt: skip
        expected = C0_OBJECTIVE  # the plant can never produce
    done = run_magnets("solve", write(tmp_path, doc))
    assert "Traceback" not in done.stderr
    if done.returncode == 0:
        assert json.loads(done.stdout)["objective"] == pytest.approx(expected)
    else:
        assert done.returncode == 2
        assert done.stderr.startswith("invalid scenario: /") and field in done.stderr


def test_lead_time_past_the_horizon_shuts_the_supplier_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = c0_document()
    doc["suppliers"][0]["lead_time"] = 2
    assert main(["solve", str(write(tmp_path, doc))]) == 0
    assert json.loads(capsys.readouterr().out)["objective"] == pytest.approx(14400.0)


# --- validate --------------------------------------------------------------------------------


def test_validate_accepts_a_valid_scenario(c0: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(c0)]) == 0
    out, err = capsys.readouterr()
    assert "valid" in out and "c0 tiny" in out and err == ""


def test_validate_rejects_an_invalid_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(write(tmp_path, invalid_document()))]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert [line.split(": ")[1] for line in err.splitlines()] == INVALID_POINTERS


# --- export ----------------------------------------------------------------------------------


def solve_file(path: Path) -> tuple[highspy.Highs, float]:
    """Read an exported model into a fresh HiGHS, solve it tightly, return it and its optimum."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 1e-9)
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return h, h.getInfo().objective_function_value


def solved_objective(scenario: Path, capsys: pytest.CaptureFixture[str]) -> float:
    assert main(["solve", str(scenario)]) == 0
    return float(json.loads(capsys.readouterr().out)["objective"])


def integer_columns(h: highspy.Highs) -> int:
    return sum(int(i) == int(highspy.HighsVarType.kInteger) for i in h.getLp().integrality_)


def export_both(scenario: Path, tmp_path: Path) -> tuple[Path, Path]:
    mps, lp = tmp_path / "model.mps", tmp_path / "model.lp"
    assert main(["export", str(scenario), "--mps", str(mps), "--lp", str(lp)]) == 0
    return mps, lp


def test_export_c0_solves_to_the_same_objective(
    c0: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = solved_objective(c0, capsys)
    for path in export_both(c0, tmp_path):
        _, objective = solve_file(path)
        assert relative_gap(objective, expected) < 1e-9, path.name
        text = path.read_text(encoding="utf-8")
        for name in ("buy(cn1,ndfeb,P1)", "buy(jp1,ndfeb,P2)", "lic(L1,cn1,ndfeb,P1)"):
            assert name in text, (path.name, name)
    assert capsys.readouterr() == ("", "")


def test_export_c2_keeps_integrality(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = solved_objective(C2, capsys)
    model, _ = build_model(load_scenario(C2))
    binaries = int(model.column_arrays()[3].sum())
    assert binaries > 0  # c2 is a MILP
    for path in export_both(C2, tmp_path):
        h, objective = solve_file(path)
        assert relative_gap(objective, expected) < 1e-6, path.name
        assert integer_columns(h) == binaries, path.name
        assert (h.getNumCol(), h.getNumRow()) == (model.num_cols, model.num_rows)


def test_export_writes_only_what_is_asked(c0: Path, tmp_path: Path) -> None:
    mps = tmp_path / "only.mps"
    assert main(["export", str(c0), "--mps", str(mps)]) == 0
    assert mps.is_file() and list(tmp_path.glob("*.lp")) == []


def test_export_without_a_target_exits_2(c0: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(c0)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "--mps" in err and "--lp" in err


def test_export_of_an_invalid_scenario_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mps = tmp_path / "model.mps"
    assert main(["export", str(write(tmp_path, invalid_document())), "--mps", str(mps)]) == 2
    assert not mps.exists()
    assert "invalid scenario: /name" in capsys.readouterr().err


# --- help ------------------------------------------------------------------------------------


def help_text(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as info:
        main([*argv, "--help"])
    assert info.value.code == 0
    return capsys.readouterr().out


def test_top_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    text = help_text([], capsys)
    for word in ("solve", "export", "validate", "--help", "Exit status"):
        assert word in text


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("solve", ["--time-limit", "--mip-gap", "--threads", "--out", "--format", "--verbose",
                   "json", "table", "1e-6"]),
        ("export", ["--mps", "--lp"]),
        ("validate", ["scenario"]),
    ],
)  # fmt: skip
def test_command_help_documents_every_option(
    command: str, options: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    text = help_text([command], capsys)
    for option in options:
        assert option in text, option


def test_script_help_exits_0() -> None:
    done = run_magnets("solve", "--help")
    assert done.returncode == 0 and "--mip-gap" in done.stdout and done.stderr == ""


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    assert "usage" in capsys.readouterr().err
