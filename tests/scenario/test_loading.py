"""Reading scenario files: spelling by suffix, unreadable files, odd documents and numbers.

Whatever is in the file, the outcome is a `Scenario` or a `ScenarioError` that says why,
never another exception.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from optimizer.errors import Problem, ScenarioError
from optimizer.scenario.loading import load_scenario
from optimizer.scenario.parsing import decode, parse_scenario
from tests.scenario.test_validation import C0_YAML, c0_document


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    problems = info.value.problems
    assert problems
    json.dumps([p.as_dict() for p in problems], allow_nan=False)
    return problems


def only_problem(path: Path) -> Problem:
    problems = problems_of(path)
    assert len(problems) == 1, problems
    return problems[0]


def write_text(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- spelling by suffix ------------------------------------------------------------------------


def test_json_file(tmp_path: Path) -> None:
    path = write_text(tmp_path, "c0.json", json.dumps(c0_document()))
    assert load_scenario(path) == parse_scenario(c0_document())


def test_path_may_be_a_string(tmp_path: Path) -> None:
    path = write_text(tmp_path, "c0.json", json.dumps(c0_document()))
    assert load_scenario(str(path)).name == c0_document()["name"]


@pytest.mark.parametrize("name", ["c0.yaml", "c0.yml", "C0.YAML"])
def test_yaml_file_by_suffix(tmp_path: Path, name: str) -> None:
    path = write_text(tmp_path, name, C0_YAML)
    assert load_scenario(path) == parse_scenario(c0_document())


def test_yaml_text_in_a_json_file_is_not_json(tmp_path: Path) -> None:
    problem = only_problem(write_text(tmp_path, "c0.json", C0_YAML))
    assert problem.pointer == "" and problem.rule.startswith("not valid JSON")


def test_json_text_in_a_yaml_file_is_read(tmp_path: Path) -> None:
    # JSON is (nearly) a subset of YAML, so a .yaml file holding JSON text reads fine.
    path = write_text(tmp_path, "c0.yaml", json.dumps(c0_document(), indent=1))
    assert load_scenario(path) == parse_scenario(c0_document())


def test_malformed_yaml(tmp_path: Path) -> None:
    problem = only_problem(write_text(tmp_path, "bad.yaml", "name: x\nperiods: [P1\n"))
    assert problem.pointer == "" and problem.rule.startswith("not valid YAML")
    assert "line 2" in problem.rule  # where the reader stopped


def test_malformed_json_says_where(tmp_path: Path) -> None:
    problem = only_problem(write_text(tmp_path, "bad.json", '{"name": "x",\n "periods": [}'))
    assert problem.rule.startswith("not valid JSON") and "line 2" in problem.rule


# --- files that cannot be read ------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.json"
    problem = only_problem(path)
    assert (problem.pointer, problem.value) == ("", str(path))
    assert "cannot read scenario file" in problem.rule and "No such file" in problem.rule


def test_a_folder_is_not_a_scenario(tmp_path: Path) -> None:
    problem = only_problem(tmp_path)
    assert problem.value == str(tmp_path) and "cannot read scenario file" in problem.rule


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0, reason="file permissions do not bind this user"
)
def test_unreadable_file(tmp_path: Path) -> None:
    path = write_text(tmp_path, "locked.json", json.dumps(c0_document()))
    path.chmod(0)
    try:
        problem = only_problem(path)
    finally:
        path.chmod(0o600)
    assert "cannot read scenario file" in problem.rule and "Permission denied" in problem.rule


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(
        json.dumps({"name": "Société", "periods": ["P1"]}, ensure_ascii=False).encode("latin-1")
    )
    problem = only_problem(path)
    assert problem.value == str(path)
    assert "cannot read scenario file" in problem.rule and "utf-8" in problem.rule.lower()


def test_utf8_names_are_kept(tmp_path: Path) -> None:
    doc = c0_document()
    doc["name"] = "Société — 稀土"
    path = tmp_path / "utf8.json"
    path.write_bytes(json.dumps(doc, ensure_ascii=False).encode("utf-8"))
    assert load_scenario(path).name == "Société — 稀土"


def test_a_byte_order_mark_is_a_clean_error_or_read(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(c0_document()).encode("utf-8"))
    try:
        assert load_scenario(path).name == c0_document()["name"]
    except ScenarioError as exc:
        assert "BOM" in exc.problems[0].rule


# --- documents that are not a scenario object ----------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("list.json", "[1, 2]", [1, 2]),
        ("text.json", '"a scenario"', "a scenario"),
        ("number.json", "42", 42),
        ("null.json", "null", None),
        ("empty.yaml", "", None),
        ("list.yaml", "- a\n- b\n", ["a", "b"]),
    ],
)
def test_top_level_must_be_an_object(tmp_path: Path, name: str, text: str, value: Any) -> None:
    problem = only_problem(write_text(tmp_path, name, text))
    assert (problem.pointer, problem.value) == ("", value)
    assert "must be an object" in problem.rule


def test_empty_json_file(tmp_path: Path) -> None:
    problem = only_problem(write_text(tmp_path, "empty.json", ""))
    assert problem.rule.startswith("not valid JSON")


def test_a_list_where_an_object_belongs(tmp_path: Path) -> None:
    doc = c0_document()
    doc["policy"] = [0.5]
    problem = only_problem(write_text(tmp_path, "c0.json", json.dumps(doc)))
    assert (problem.pointer, problem.value) == ("/policy", [0.5])


# --- numbers -----------------------------------------------------------------------------------


def c0_text_with_price(literal: str) -> str:
    text = json.dumps(c0_document())
    assert text.count('"price": 10.0') == 1
    return text.replace('"price": 10.0', f'"price": {literal}')


@pytest.mark.parametrize("literal", ["1e400", "-1e400", "1E+999"])
def test_a_number_too_big_for_a_float_is_rejected(tmp_path: Path, literal: str) -> None:
    # Python reads 1e400 as infinity; the schema must not let it through as a price.
    problem = only_problem(write_text(tmp_path, "huge.json", c0_text_with_price(literal)))
    assert problem.pointer == "/suppliers/0/offers/0/price"
    assert problem.value in ("inf", "-inf")
    assert "finite" in problem.rule


def test_decode_reads_1e400_as_infinity() -> None:
    assert decode('{"a": 1e400}') == {"a": float("inf")}


def test_a_huge_integer_is_rejected(tmp_path: Path) -> None:
    problem = only_problem(write_text(tmp_path, "huge.json", c0_text_with_price("1" + "0" * 400)))
    assert problem.pointer == "/suppliers/0/offers/0/price"
    assert problem.value == 10**400


def test_an_integer_too_long_to_read_is_not_json(tmp_path: Path) -> None:
    problem = only_problem(write_text(tmp_path, "huge.json", c0_text_with_price("9" * 5000)))
    assert problem.pointer == "" and problem.rule.startswith("not valid JSON")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_json_text(tmp_path: Path, literal: str) -> None:
    problem = only_problem(write_text(tmp_path, "nan.json", c0_text_with_price(literal)))
    assert problem.pointer == "/suppliers/0/offers/0/price" and problem.value == literal
    assert "not a finite number" in problem.rule and "not JSON" in problem.rule


@pytest.mark.parametrize(
    ("literal", "shown"), [(".nan", "nan"), (".inf", "inf"), ("-.inf", "-inf")]
)
def test_nan_and_infinity_in_yaml_text(tmp_path: Path, literal: str, shown: str) -> None:
    text = C0_YAML.replace("price: 10.0", f"price: {literal}")
    problem = only_problem(write_text(tmp_path, "nan.yaml", text))
    assert (problem.pointer, problem.value) == ("/suppliers/0/offers/0/price", shown)
    assert "finite" in problem.rule


# --- YAML's implicit types ---------------------------------------------------------------------


def test_yaml_no_is_a_boolean_not_a_country_id(tmp_path: Path) -> None:
    # YAML 1.1 reads an unquoted NO (Norway) as false: rejected, not silently renamed.
    text = C0_YAML.replace("{id: JP,", "{id: NO,").replace("country: JP", "country: 'NO'")
    problem = only_problem(write_text(tmp_path, "norway.yaml", text))
    assert (problem.pointer, problem.value) == ("/countries/1/id", False)
    assert "string" in problem.rule


def test_yaml_date_label_is_rejected_with_a_json_value(tmp_path: Path) -> None:
    text = C0_YAML.replace("periods: [P1, P2]", "periods: [2025-01-01, P2]")
    problem = problems_of(write_text(tmp_path, "dates.yaml", text))[0]
    assert (problem.pointer, problem.value) == ("/periods/0", "2025-01-01")


def test_yaml_date_label_is_rejected(tmp_path: Path) -> None:
    text = C0_YAML.replace("periods: [P1, P2]", "periods: [2025-01-01, P2]")
    path = write_text(tmp_path, "dates.yaml", text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    problem = info.value.problems[0]
    assert problem.pointer == "/periods/0" and "string" in problem.rule
    assert "2025-01-01" in str(problem)


def test_quoted_yaml_date_label_is_a_string(tmp_path: Path) -> None:
    text = C0_YAML.replace("periods: [P1, P2]", "periods: ['2025-01-01', P2]")
    text = text.replace("period: P1", "period: '2025-01-01'")
    assert load_scenario(write_text(tmp_path, "dates.yaml", text)).periods[0] == "2025-01-01"
