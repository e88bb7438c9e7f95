"""Every rule of MODEL.md §1, one test each: the JSON pointer, the value and the rule.

Cases start from a small valid document and change one field, addressed by the same
JSON pointer the problem is expected to carry.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from optimizer.errors import Problem, ScenarioError
from optimizer.scenario.parsing import decode, parse_scenario
from optimizer.scenario.schema import Scenario

# The conformance scenario c0 (licence and end-use ban); its optimum is 3340 by hand.
C0: dict[str, Any] = {
    "name": "c0 tiny: licence and end-use ban",
    "periods": ["P1", "P2"],
    "products": [{"id": "ndfeb"}],
    "sectors": [
        {"id": "defence", "tags": ["defence"], "shortage_penalty": 1000},
        {"id": "auto", "tags": [], "shortage_penalty": 500},
    ],
    "countries": [
        {"id": "CN", "tariff": 0.1, "freight": 1.0, "restricted_end_uses": ["defence"]},
        {"id": "JP", "tariff": 0.0, "freight": 2.0},
    ],
    "suppliers": [
        {"id": "cn1", "country": "CN", "capacity": 100, "licence_required": True,
         "offers": [{"product": "ndfeb", "price": 10.0}]},
        {"id": "jp1", "country": "JP", "capacity": 100,
         "offers": [{"product": "ndfeb", "price": 20.0}]},
    ],
    "licences": [{"id": "L1", "suppliers": ["cn1"], "quantity": 150}],
    "demand": [
        {"product": "ndfeb", "sector": "defence", "period": "P1", "quantity": 30},
        {"product": "ndfeb", "sector": "defence", "period": "P2", "quantity": 30},
        {"product": "ndfeb", "sector": "auto", "period": "P1", "quantity": 80},
        {"product": "ndfeb", "sector": "auto", "period": "P2", "quantity": 80},
    ],
}  # fmt: skip

C0_YAML = """\
name: "c0 tiny: licence and end-use ban"
periods: [P1, P2]
products:
  - id: ndfeb
sectors:
  - {id: defence, tags: [defence], shortage_penalty: 1000}
  - {id: auto, tags: [], shortage_penalty: 500}
countries:
  - id: CN
    tariff: 0.1
    freight: 1.0
    restricted_end_uses: [defence]
  - {id: JP, tariff: 0.0, freight: 2.0}
suppliers:
  - id: cn1
    country: CN
    capacity: 100
    licence_required: true
    offers:
      - {product: ndfeb, price: 10.0}
  - id: jp1
    country: JP
    capacity: 100
    offers:
      - {product: ndfeb, price: 20.0}
licences:
  - {id: L1, suppliers: [cn1], quantity: 150}
demand:
  - {product: ndfeb, sector: defence, period: P1, quantity: 30}
  - {product: ndfeb, sector: defence, period: P2, quantity: 30}
  - {product: ndfeb, sector: auto, period: P1, quantity: 80}
  - {product: ndfeb, sector: auto, period: P2, quantity: 80}
"""


def c0_document() -> dict[str, Any]:
    return copy.deepcopy(C0)


def rich_document() -> dict[str, Any]:
    """c0 plus one of every optional list: plants (existing and candidate) and a policy."""
    doc = c0_document()
    doc["products"][0].update(holding_cost=0.5, initial_inventory={"JP": 5}, min_inventory=1)
    doc["suppliers"][1].update(lead_time=1, min_order=10, fixed_cost=50, price_index=1.0)
    doc["licences"][0].update(periods=["P1", "P2"], products=["ndfeb"])
    doc["plants"] = [
        {"id": "jp_mill", "country": "JP", "capacity": 20,
         "offers": [{"product": "ndfeb", "price": 30.0}]},
        {"id": "jp_new", "country": "JP", "capacity": 50, "existing": False,
         "build_cost": 1000, "build_lead": 1, "earliest_build": 0,
         "incentive": 2.0, "incentive_cap": 100, "offers": [{"product": "ndfeb", "price": 25.0}]},
    ]  # fmt: skip
    doc["policy"] = {"max_origin_share": {"CN": 0.8}, "max_supplier_share": 0.9, "budget": 1e6}
    return doc


REMOVE = object()


def edited(path: str, value: Any = REMOVE, doc: dict[str, Any] | None = None) -> dict[str, Any]:
    """A copy of `doc` (default: the rich document) with the field at `path` set or removed.

    `path` is a JSON pointer; an index one past a list's end appends.
    """
    doc = copy.deepcopy(doc) if doc is not None else rich_document()
    parts = path.split("/")[1:]
    parent: Any = doc
    for part in parts[:-1]:
        parent = parent[int(part)] if isinstance(parent, list) else parent[part]
    last = parts[-1]
    if isinstance(parent, list):
        index = int(last)
        if value is REMOVE:
            del parent[index]
        elif index == len(parent):
            parent.append(value)
        else:
            parent[index] = value
    elif value is REMOVE:
        del parent[last]
    else:
        parent[last] = value
    return doc


def rejected(doc: Any) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(doc)
    problems = info.value.problems
    assert problems, "a rejected scenario must say why"
    # Problems go back to HTTP clients as strict JSON: no NaN, no Python-only values.
    json.dumps([p.as_dict() for p in problems], allow_nan=False)
    return problems


def assert_only_problem(doc: Any, where: str, value: Any, *words: str) -> Problem:
    """`doc` is rejected for exactly one reason, at `where`, about `value`, saying `words`."""
    problems = rejected(doc)
    assert len(problems) == 1, problems
    (problem,) = problems
    assert problem.pointer == where
    assert problem.value == value
    for word in words:
        assert word.lower() in problem.rule.lower(), (word, problem.rule)
    return problem


def test_the_base_documents_are_valid() -> None:
    assert parse_scenario(c0_document()).name == C0["name"]
    scenario = parse_scenario(rich_document())
    assert [k.id for k in scenario.plants] == ["jp_mill", "jp_new"]


# --- unique ids and period labels ---------------------------------------------------------


@pytest.mark.parametrize(
    "field", ["products", "sectors", "countries", "suppliers", "licences", "plants"]
)
def test_ids_are_unique_within_each_list(field: str) -> None:
    doc = rich_document()
    twin = copy.deepcopy(doc[field][0])
    doc[field].append(twin)
    where = f"/{field}/{len(doc[field]) - 1}/id"
    assert_only_problem(doc, where, twin["id"], "unique", field)


def test_ids_may_repeat_across_lists() -> None:
    doc = rich_document()
    doc["licences"][0]["id"] = "cn1"  # a licence named like a supplier is no clash
    assert parse_scenario(doc).licences[0].id == "cn1"


def test_period_labels_are_unique() -> None:
    assert_only_problem(edited("/periods", ["P1", "P2", "P2"]), "/periods/2", "P2", "unique")


def test_at_least_one_period() -> None:
    assert_only_problem(edited("/periods", []), "/periods", [], "at least 1")


def test_at_most_240_periods() -> None:
    (problem,) = rejected(edited("/periods", [f"P{i}" for i in range(1, 242)]))
    assert problem.pointer == "/periods"
    assert "at most 240" in problem.rule and "241" in problem.rule
    # A long value is shown as its JSON text, shortened.
    assert isinstance(problem.value, str) and problem.value.startswith('["P1", "P2"')
    assert len(problem.value) <= 200


def test_240_periods_are_accepted() -> None:
    labels = ["P1", "P2"] + [f"Q{i}" for i in range(238)]
    assert len(parse_scenario(edited("/periods", labels)).periods) == 240


def test_period_labels_are_strings() -> None:
    assert_only_problem(edited("/periods/1", 2), "/periods/1", 2, "string")


@pytest.mark.parametrize(
    ("path", "value"),
    [("/demand/0/period", 1), ("/licences/0/periods/0", 1)],
    ids=["demand", "licence"],
)
def test_period_references_are_strings(path: str, value: Any) -> None:
    assert_only_problem(edited(path, value), path, value, "string")


# --- name ------------------------------------------------------------------------------------


def test_name_is_required() -> None:
    assert_only_problem(edited("/name"), "/name", None, "required")


def test_name_is_not_empty() -> None:
    assert_only_problem(edited("/name", ""), "/name", "", "at least 1")


def test_name_has_at_most_200_characters() -> None:
    assert_only_problem(edited("/name", "n" * 201), "/name", "n" * 201, "at most 200")
    assert parse_scenario(edited("/name", "n" * 200)).name == "n" * 200


def test_name_is_a_string() -> None:
    assert_only_problem(edited("/name", 7), "/name", 7, "string")


# --- references --------------------------------------------------------------------------------

REFERENCES = [
    ("/suppliers/0/country", "countries"),
    ("/suppliers/0/origin", "countries"),
    ("/plants/0/country", "countries"),
    ("/suppliers/1/offers/0/product", "products"),
    ("/plants/1/offers/0/product", "products"),
    ("/licences/0/suppliers/0", "suppliers"),
    ("/licences/0/products/0", "products"),
    ("/licences/0/periods/0", "periods"),
    ("/demand/2/product", "products"),
    ("/demand/2/sector", "sectors"),
    ("/demand/2/period", "periods"),
]


@pytest.mark.parametrize(("path", "kind"), REFERENCES, ids=[p for p, _ in REFERENCES])
def test_references_resolve(path: str, kind: str) -> None:
    assert_only_problem(edited(path, "nowhere"), path, "nowhere", "must be", kind)


def test_initial_inventory_is_keyed_by_a_known_origin() -> None:
    doc = edited("/products/0/initial_inventory", {"JP": 5, "XX": 3})
    assert_only_problem(doc, "/products/0/initial_inventory/XX", "XX", "countries", "origin")


def test_max_origin_share_is_keyed_by_a_known_origin() -> None:
    doc = edited("/policy/max_origin_share", {"CN": 0.5, "XX": 0.5})
    assert_only_problem(doc, "/policy/max_origin_share/XX", "XX", "countries", "origin")


def test_pointer_escapes_keys_with_slash_and_tilde() -> None:
    doc = edited("/products/0/initial_inventory", {"A/B~C": 1})
    assert_only_problem(doc, "/products/0/initial_inventory/A~1B~0C", "A/B~C", "countries")


def test_references_are_to_ids_not_to_other_lists() -> None:
    # "defence" is a sector id and a tag, not a country: an origin must be a country.
    assert_only_problem(edited("/suppliers/0/origin", "defence"), "/suppliers/0/origin", "defence")


def test_restricted_end_uses_name_tags_that_need_not_exist() -> None:
    # End-use bans match sector tags; a tag no sector carries bans nothing and is no error.
    doc = edited("/countries/0/restricted_end_uses", ["defence", "us_reexport"])
    assert parse_scenario(doc).countries[0].restricted_end_uses == ["defence", "us_reexport"]


# --- per-period lists ----------------------------------------------------------------------

PER_PERIOD = [
    "/suppliers/0/capacity",
    "/suppliers/0/price_index",
    "/plants/0/capacity",
    "/policy/budget",
]


@pytest.mark.parametrize("path", PER_PERIOD)
@pytest.mark.parametrize("values", [[1.0], [1.0, 2.0, 3.0], []], ids=["short", "long", "empty"])
def test_per_period_lists_have_one_value_per_period(path: str, values: list[float]) -> None:
    problem = assert_only_problem(edited(path, values), path, values, "one value per period")
    assert f"({len(C0['periods'])})" in problem.rule and f"got {len(values)}" in problem.rule


@pytest.mark.parametrize("path", PER_PERIOD)
def test_per_period_lists_of_the_right_length_are_accepted(path: str) -> None:
    parse_scenario(edited(path, [1.0, 2.0]))


@pytest.mark.parametrize("path", PER_PERIOD)
def test_per_period_list_entries_are_non_negative(path: str) -> None:
    assert_only_problem(edited(path, [1.0, -2.0]), path + "/1", -2.0, "greater than or equal to 0")


# --- numbers: finite and non-negative ------------------------------------------------------

NON_NEGATIVE = [
    "/products/0/holding_cost",
    "/products/0/initial_inventory/JP",
    "/products/0/min_inventory",
    "/sectors/0/shortage_penalty",
    "/countries/0/tariff",
    "/countries/0/freight",
    "/suppliers/0/capacity",
    "/suppliers/1/min_order",
    "/suppliers/1/fixed_cost",
    "/suppliers/1/price_index",
    "/suppliers/0/offers/0/price",
    "/licences/0/quantity",
    "/plants/0/capacity",
    "/plants/0/offers/0/price",
    "/plants/1/build_cost",
    "/plants/1/incentive",
    "/plants/1/incentive_cap",
    "/demand/0/quantity",
    "/policy/budget",
]


@pytest.mark.parametrize("path", NON_NEGATIVE)
def test_numbers_are_non_negative(path: str) -> None:
    assert_only_problem(edited(path, -1.5), path, -1.5, "greater than or equal to 0")


@pytest.mark.parametrize("path", NON_NEGATIVE)
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")], ids=str)
def test_numbers_are_finite(path: str, value: float) -> None:
    # A Python NaN or infinity reaches the schema only from a mapping, never from JSON text.
    assert_only_problem(edited(path, value), path, str(value), "finite")


@pytest.mark.parametrize("path", ["/suppliers/0/offers/0/price", "/countries/0/tariff"])
@pytest.mark.parametrize("value", ["10", True, None, [10]], ids=["text", "bool", "null", "list"])
def test_numbers_are_numbers(path: str, value: Any) -> None:
    assert_only_problem(edited(path, value), path, value, "number")


def test_integers_are_accepted_for_numbers() -> None:
    scenario = parse_scenario(edited("/suppliers/0/offers/0/price", 10))
    assert scenario.suppliers[0].offers[0].price == 10.0


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ('{"a": NaN}', "NaN"),
        ('{"b": [0, Infinity]}', "Infinity"),
        ('{"a": -Infinity}', "-Infinity"),
    ],
)
def test_json_text_with_nan_or_infinity_names_the_field(text: str, number: str) -> None:
    with pytest.raises(ScenarioError) as info:
        decode(text)
    (problem,) = info.value.problems
    assert problem.pointer == ("/b/1" if number == "Infinity" else "/a")
    assert problem.value == number and "not a finite number" in problem.rule


def test_every_nan_in_the_text_is_named() -> None:
    with pytest.raises(ScenarioError) as info:
        decode('{"a": NaN, "b": {"c": [1, Infinity]}}')
    assert [p.pointer for p in info.value.problems] == ["/a", "/b/c/1"]


def test_a_nan_price_in_json_text_is_rejected_before_the_schema() -> None:
    text = json.dumps(C0).replace('"price": 10.0', '"price": NaN')
    with pytest.raises(ScenarioError) as info:
        parse_scenario(decode(text))
    assert "NaN" in info.value.problems[0].rule


# --- shares --------------------------------------------------------------------------------


def test_origin_share_is_at_most_one() -> None:
    path = "/policy/max_origin_share/CN"
    assert_only_problem(edited(path, 1.5), path, 1.5, "less than or equal to 1")


def test_origin_share_is_not_negative() -> None:
    path = "/policy/max_origin_share/CN"
    assert_only_problem(edited(path, -0.2), path, -0.2, "greater than or equal to 0")


def test_supplier_share_is_not_negative() -> None:
    path = "/policy/max_supplier_share"
    assert_only_problem(edited(path, -0.1), path, -0.1, "greater than or equal to 0")


def test_supplier_share_is_at_most_one() -> None:
    path = "/policy/max_supplier_share"
    assert_only_problem(edited(path, 1.01), path, 1.01, "less than or equal to 1")


@pytest.mark.parametrize("share", [0, 0.0, 1, 1.0])
def test_shares_at_the_bounds_are_accepted(share: float) -> None:
    doc = edited("/policy", {"max_origin_share": {"CN": share}, "max_supplier_share": share})
    assert parse_scenario(doc).policy.max_supplier_share == share


# --- integers ------------------------------------------------------------------------------

INTEGERS = ["/suppliers/1/lead_time", "/plants/1/build_lead", "/plants/1/earliest_build"]


@pytest.mark.parametrize("path", INTEGERS)
@pytest.mark.parametrize("value", [1.5, "1", True], ids=["fraction", "text", "bool"])
def test_period_counts_are_integers(path: str, value: Any) -> None:
    assert_only_problem(edited(path, value), path, value, "valid integer")


@pytest.mark.parametrize("path", INTEGERS)
def test_a_whole_float_is_the_integer_json_schema_calls_it(path: str) -> None:
    # JSON has one number type: 1.0 is the integer 1 (JSON Schema says so too).
    scenario = parse_scenario(edited(path, 1.0)).model_dump()
    parts = path.strip("/").split("/")
    value = scenario[parts[0]][int(parts[1])][parts[2]]
    assert value == 1 and isinstance(value, int)


@pytest.mark.parametrize(
    "path", ["/suppliers/0/capacity", "/sectors/0/shortage_penalty", "/demand/0/quantity"]
)
@pytest.mark.parametrize("value", [1.000001e12, 1e20, 1e25])
def test_amounts_beyond_a_trillion_are_refused_with_the_rule(path: str, value: float) -> None:
    assert_only_problem(edited(path, value), path, value, "at most 1e12")


def test_an_amount_of_a_trillion_is_accepted() -> None:
    assert (
        parse_scenario(edited("/sectors/0/shortage_penalty", 1e12)).sectors[0].shortage_penalty
        == 1e12
    )


@pytest.mark.parametrize("path", INTEGERS)
def test_period_counts_are_non_negative(path: str) -> None:
    assert_only_problem(edited(path, -1), path, -1, "greater than or equal to 0")


# --- booleans ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/suppliers/0/licence_required", "/plants/0/existing"])
@pytest.mark.parametrize("value", ["yes", "true", 1, 0], ids=["yes", "true-text", "one", "zero"])
def test_booleans_are_strict(path: str, value: Any) -> None:
    assert_only_problem(edited(path, value), path, value, "valid boolean")


# --- unknown fields --------------------------------------------------------------------------

UNKNOWN = [
    "/colour",
    "/products/0/colour",
    "/sectors/0/colour",
    "/countries/0/colour",
    "/suppliers/0/colour",
    "/suppliers/0/offers/0/colour",
    "/licences/0/colour",
    "/plants/1/colour",
    "/demand/0/colour",
    "/policy/colour",
]


@pytest.mark.parametrize("path", UNKNOWN)
def test_unknown_fields_are_rejected(path: str) -> None:
    assert_only_problem(edited(path, "red"), path, "red", "unknown field")


def test_a_misspelt_field_is_rejected_not_ignored() -> None:
    doc = edited("/suppliers/0/lead_tme", 1)
    assert_only_problem(doc, "/suppliers/0/lead_tme", 1, "unknown field")


# --- demand rows -----------------------------------------------------------------------------


def test_at_most_one_demand_row_per_product_sector_period() -> None:
    doc = rich_document()
    doc["demand"].append({"product": "ndfeb", "sector": "auto", "period": "P1", "quantity": 5})
    where = f"/demand/{len(doc['demand']) - 1}"
    assert_only_problem(doc, where, ["ndfeb", "auto", "P1"], "at most one demand row")


def test_demand_rows_differing_in_one_key_are_distinct() -> None:
    doc = edited("/products/1", {"id": "smco"})
    doc["demand"].append({"product": "smco", "sector": "auto", "period": "P1", "quantity": 5})
    assert len(parse_scenario(doc).demand) == len(C0["demand"]) + 1


# --- required fields -------------------------------------------------------------------------

REQUIRED = [
    "/periods",
    "/products/0/id",
    "/sectors/0/id",
    "/countries/0/id",
    "/suppliers/0/id",
    "/licences/0/id",
    "/plants/0/id",
    "/suppliers/0/country",
    "/suppliers/0/capacity",
    "/suppliers/0/offers/0/product",
    "/suppliers/0/offers/0/price",
    "/plants/0/capacity",
    "/plants/0/country",
    "/plants/0/offers/0/price",
    "/licences/0/suppliers",
    "/licences/0/quantity",
    "/sectors/0/shortage_penalty",
    "/demand/0/product",
    "/demand/0/sector",
    "/demand/0/period",
    "/demand/0/quantity",
]


@pytest.mark.parametrize("path", REQUIRED)
def test_required_fields(path: str) -> None:
    assert_only_problem(edited(path), path, None, "required")


@pytest.mark.parametrize("path", ["/products/0/id", "/suppliers/0/id", "/plants/0/id"])
def test_ids_are_not_empty(path: str) -> None:
    assert_only_problem(edited(path, ""), path, "", "at least 1")


def test_only_name_and_periods_are_required_at_the_top() -> None:
    scenario = parse_scenario({"name": "empty", "periods": ["P1"]})
    assert scenario.products == [] and scenario.suppliers == [] and scenario.demand == []


# --- offers and plants -----------------------------------------------------------------------


@pytest.mark.parametrize("owner", ["suppliers/0", "plants/1"])
def test_one_offer_per_product(owner: str) -> None:
    doc = edited(f"/{owner}/offers/1", {"product": "ndfeb", "price": 99.0})
    assert_only_problem(doc, f"/{owner}/offers/1/product", "ndfeb", "one offer per product")


def test_candidate_plant_earliest_build_is_a_period_index() -> None:
    problem = assert_only_problem(
        edited("/plants/1/earliest_build", 2), "/plants/1/earliest_build", 2, "below", "periods"
    )
    assert "(2)" in problem.rule
    assert parse_scenario(edited("/plants/1/earliest_build", 1)).plants[1].earliest_build == 1


def test_existing_plant_earliest_build_is_not_checked() -> None:
    # An existing plant takes no build decision, so its earliest_build has no meaning.
    assert parse_scenario(edited("/plants/0/earliest_build", 9)).plants[0].existing is True


# --- all problems at once --------------------------------------------------------------------


def test_three_shape_errors_give_three_problems() -> None:
    doc = edited("/name", "")
    doc = edited("/suppliers/0/capacity", -1, doc)
    doc = edited("/suppliers/1/colour", "red", doc)
    pointers = {p.pointer for p in rejected(doc)}
    assert pointers == {"/name", "/suppliers/0/capacity", "/suppliers/1/colour"}


def test_three_reference_errors_give_three_problems() -> None:
    doc = edited("/demand/0/sector", "navy")
    doc = edited("/suppliers/0/country", "XX", doc)
    doc = edited("/periods", ["P1", "P2", "P1"], doc)
    pointers = {p.pointer for p in rejected(doc)}
    assert pointers == {"/demand/0/sector", "/suppliers/0/country", "/periods/2"}


def test_shape_errors_come_first_then_domain_errors_together() -> None:
    """Documented in docs/model-notes.md: the rules check what the schema did not refuse."""
    doc = edited("/name", "")
    doc = edited("/suppliers/0/capacity", -1, doc)
    doc = edited("/demand/0/sector", "navy", doc)
    problems = rejected(doc)
    assert [p.pointer for p in problems] == ["/name", "/suppliers/0/capacity", "/demand/0/sector"]
    fixed = edited("/suppliers/0/capacity", 10, edited("/name", "ok", doc))
    assert {p.pointer for p in rejected(fixed)} == {"/demand/0/sector"}


def test_problems_read_pointer_rule_and_value() -> None:
    (problem,) = rejected(edited("/suppliers/0/country", "XX"))
    assert (
        str(problem)
        == '/suppliers/0/country: must be the id of one of the scenario\'s countries (got "XX")'
    )


# --- defaults --------------------------------------------------------------------------------


def test_defaults() -> None:
    doc = {
        "name": "defaults",
        "periods": ["P1", "P2"],
        "products": [{"id": "p"}],
        "sectors": [{"id": "e", "shortage_penalty": 1}],
        "countries": [{"id": "C"}],
        "suppliers": [{"id": "s", "country": "C", "capacity": 1}],
        "licences": [{"id": "l", "suppliers": ["s"], "quantity": 1}],
        "plants": [{"id": "k", "country": "C", "capacity": 1}],
    }
    sc = parse_scenario(doc)
    assert sc.currency == "USD"
    (p,) = sc.products
    assert (p.holding_cost, p.initial_inventory, p.min_inventory) == (0, {}, 0)
    assert sc.sectors[0].tags == []
    (c,) = sc.countries
    assert (c.tariff, c.freight, c.restricted_end_uses) == (0, 0, [])
    (s,) = sc.suppliers
    assert s.origin is None and s.origin_id == "C"
    assert (s.lead_time, s.licence_required, s.min_order, s.fixed_cost) == (0, False, 0, 0)
    assert (s.price_index, s.offers) == (1, [])
    (lic,) = sc.licences
    assert lic.periods is None and lic.products is None  # None = all; [] would cover nothing
    (k,) = sc.plants
    assert (k.existing, k.build_cost, k.build_lead, k.earliest_build) == (True, 0, 0, 0)
    assert (k.incentive, k.incentive_cap, k.offers) == (0, None, [])
    assert sc.policy.max_origin_share == {} and sc.policy.max_supplier_share == 1
    assert sc.policy.budget is None
    assert sc.demand == []


def test_supplier_origin_given_differs_from_country() -> None:
    sc = parse_scenario(edited("/suppliers/1/origin", "CN"))
    assert (sc.suppliers[1].country, sc.suppliers[1].origin_id) == ("JP", "CN")


def test_empty_licence_lists_are_kept_apart_from_omitted_ones() -> None:
    doc = edited("/licences/0/periods", [])
    doc = edited("/licences/0/products", [], doc)
    lic = parse_scenario(doc).licences[0]
    assert lic.periods == [] and lic.products == []


def test_currency_is_kept() -> None:
    assert parse_scenario(edited("/currency", "EUR")).currency == "EUR"


# --- YAML spelling ---------------------------------------------------------------------------


def test_yaml_spelling_of_c0_parses_to_the_same_scenario() -> None:
    from_yaml = parse_scenario(decode(C0_YAML, yaml_syntax=True))
    from_json = parse_scenario(decode(json.dumps(C0)))
    assert isinstance(from_yaml, Scenario)
    assert from_yaml == from_json
    assert from_yaml.model_dump() == from_json.model_dump()
