"""The shipped scenarios in `instances/`: each solves to the result stored beside it.

Every `instances/NAME.json` with a `NAME.meta.json` sidecar is validated and solved, and
its status and objective are compared with the sidecar's `expected` (relative 1e-6).
Domain checks follow: end-use bans hold in every plan, the China-stops scenario gets
nothing of Chinese origin once the stop begins, the four-licences scenario carries the
four named licences, the sourcing-rules scenario uses every rule of MODEL.md §7 with each
importer's licence serving only its own demand and its what-if cases reach their results,
and every what-if differs from its baseline only where its sidecar says it does.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from optimizer.scenario.loading import load_scenario
from optimizer.solve import solve

INSTANCES = Path(__file__).resolve().parents[1] / "instances"
META_SUFFIX = ".meta.json"
SCENARIOS = sorted(p for p in INSTANCES.glob("*.json") if not p.name.endswith(META_SUFFIX))
CHECKED = [p for p in SCENARIOS if p.with_name(p.stem + META_SUFFIX).is_file()]
WHAT_IFS = [
    p
    for p in CHECKED
    if "baseline" in json.loads(p.with_name(p.stem + META_SUFFIX).read_text(encoding="utf-8"))
]

BASELINE = INSTANCES / "india-2025-baseline.json"
CHINA_STOPS = INSTANCES / "india-2025-china-stops.json"
CHINA_STOPS_FROM = "2025-Q4"  # first period in which nothing of Chinese origin ships
FOUR_LICENCES = INSTANCES / "india-2025-four-licences.json"
FOUR_IMPORTERS = {"lic-de-diamond", "lic-hitachi", "lic-continental-india", "lic-jay-ushin"}
INFEASIBLE = INSTANCES / "india-2025-infeasible.json"
SOURCING_RULES = INSTANCES / "india-2025-sourcing-rules.json"
BANNED_TAGS = {"defence", "us_reexport"}


def ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def document(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def meta(path: Path) -> dict[str, Any]:
    return document(path.with_name(path.stem + META_SUFFIX))


@cache
def plan_of(path: Path) -> dict[str, Any]:
    return solve(load_scenario(path))


def origin_of(supplier: dict[str, Any]) -> str:
    return supplier.get("origin") or supplier["country"]


def json_differences(a: Any, b: Any, where: str = "") -> list[str]:
    """JSON pointers (RFC 6901) of every place where two decoded documents differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = list(a) + [k for k in b if k not in a]
        escape = {k: str(k).replace("~", "~0").replace("/", "~1") for k in keys}
        return [
            d
            for k in keys
            for d in (
                json_differences(a[k], b[k], f"{where}/{escape[k]}")
                if k in a and k in b
                else [f"{where}/{escape[k]}"]
            )
        ]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in json_differences(x, y, f"{where}/{i}")
        ]
    return [] if _same_value(a, b) else [where]


def _same_value(a: Any, b: Any) -> bool:
    """Equal leaves; 300000 and 300000.0 are the same number, True and 1 are not."""
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers):
        return isinstance(a, bool) == isinstance(b, bool) and a == b
    return type(a) is type(b) and a == b


def covered(pointer: str, changes: list[str]) -> bool:
    return any(pointer == c or pointer.startswith(c + "/") for c in changes)


def test_json_differences_names_each_changed_leaf() -> None:
    a = {"a": [1, {"b": 2}], "c": 1, "n": 3, "f": True, "s/x": [1, 2]}
    b = {"a": [1, {"b": 3}], "d": 1, "n": 3.0, "f": 1, "s/x": [1, 2, 3]}
    assert json_differences(a, b) == ["/a/1/b", "/c", "/f", "/s~1x", "/d"]
    assert covered("/suppliers/0/capacity", ["/suppliers/0"])
    assert not covered("/suppliers/10", ["/suppliers/1"])


def test_every_shipped_scenario_has_its_expected_result_beside_it() -> None:
    assert SCENARIOS, f"no scenarios in {INSTANCES}"
    assert [p.name for p in SCENARIOS] == [p.name for p in CHECKED]


@pytest.mark.parametrize("path", CHECKED, ids=ids(CHECKED))
def test_sidecar_documents_the_scenario(path: Path) -> None:
    m = meta(path)
    assert m["description"].strip()
    assert m["sources"] and all(isinstance(s, str) and s.strip() for s in m["sources"])
    assert m["estimates"] and all(isinstance(s, str) and s.strip() for s in m["estimates"])
    assert set(m["expected"]) == {"status", "objective"}
    assert document(path)["name"] == path.stem


@pytest.mark.parametrize("path", CHECKED, ids=ids(CHECKED))
def test_solves_to_the_expected_status_and_objective(path: Path) -> None:
    expected = meta(path)["expected"]
    plan = plan_of(path)
    assert plan["status"] == expected["status"], plan.get("message")
    if expected["objective"] is None:
        assert plan["objective"] is None
    else:
        assert plan["objective"] == pytest.approx(expected["objective"], rel=1e-6)


@pytest.mark.parametrize("path", CHECKED, ids=ids(CHECKED))
def test_no_banned_origin_reaches_a_restricted_end_use(path: Path) -> None:
    sc = document(path)
    tags = {e["id"]: set(e.get("tags", [])) for e in sc["sectors"]}
    banned = {c["id"]: set(c.get("restricted_end_uses", [])) for c in sc["countries"]}
    assert banned["CN"] >= BANNED_TAGS, "China's licences ban defence use and re-export to the US"
    for row in plan_of(path)["consumption"]:
        clash = tags[row["sector"]] & banned[row["origin"]]
        assert not clash, (
            f"{row['kg']} kg of {row['origin']}-origin {row['product']} used by {row['sector']}"
        )


def test_restricted_sectors_are_served_in_the_baseline() -> None:
    """The ban check above is not vacuous: defence and US-export sectors do consume material."""
    sc = document(BASELINE)
    restricted = {e["id"] for e in sc["sectors"] if set(e.get("tags", [])) & BANNED_TAGS}
    served = {row["sector"] for row in plan_of(BASELINE)["consumption"]}
    assert restricted and restricted <= served


def test_china_stops_ships_nothing_of_chinese_origin_once_stopped() -> None:
    sc = document(CHINA_STOPS)
    stopped = sc["periods"][sc["periods"].index(CHINA_STOPS_FROM) :]
    chinese = {s["id"] for s in sc["suppliers"] if origin_of(s) == "CN"}
    assert "vn_processor" in chinese, "the Vietnamese processor uses Chinese feedstock"
    for s in sc["suppliers"]:
        if s["id"] in chinese:
            per_period = (
                s["capacity"]
                if isinstance(s["capacity"], list)
                else [s["capacity"]] * len(sc["periods"])
            )
            capacity = dict(zip(sc["periods"], per_period, strict=True))
            assert all(capacity[t] == 0 for t in stopped), (
                f"{s['id']} has capacity in or after {CHINA_STOPS_FROM}"
            )
    plan = plan_of(CHINA_STOPS)
    late = [d for d in plan["deliveries"] if d["supplier"] in chinese and d["period"] in stopped]
    assert late == []
    assert not [r for r in plan["origin_share"] if r["origin"] == "CN" and r["period"] in stopped]


def test_four_licences_are_the_four_named_importers() -> None:
    sc = document(FOUR_LICENCES)
    licences = sc["licences"]
    assert len(licences) == 4
    assert {lic["id"] for lic in licences} == FOUR_IMPORTERS
    licensed = {s["id"] for s in sc["suppliers"] if s.get("licence_required")}
    for lic in licences:
        assert lic["quantity"] > 0
        assert set(lic["suppliers"]) <= licensed, (
            f"{lic['id']} names a supplier that needs no licence"
        )
    assert {row["licence"] for row in plan_of(FOUR_LICENCES)["licences"]} == FOUR_IMPORTERS


def test_infeasible_scenario_has_no_plan() -> None:
    plan = plan_of(INFEASIBLE)
    assert plan["status"] == "infeasible"
    assert plan["objective"] is None
    assert plan["deliveries"] == [] and plan["consumption"] == []


@pytest.mark.parametrize("path", WHAT_IFS, ids=ids(WHAT_IFS))
def test_what_if_differs_from_its_baseline_only_where_documented(path: Path) -> None:
    m = meta(path)
    changes = m["changes"]
    differences = json_differences(document(INSTANCES / m["baseline"]), document(path))
    undocumented = [d for d in differences if not covered(d, changes)]
    stale = [c for c in changes if not any(covered(d, [c]) for d in differences)]
    assert undocumented == [], "differences from the baseline missing from the sidecar's changes"
    assert stale == [], "changes listed in the sidecar that are not differences"


def test_the_india_2025_what_ifs_are_compared_with_the_baseline() -> None:
    what_ifs = {CHINA_STOPS, FOUR_LICENCES, INFEASIBLE}
    what_ifs |= {
        INSTANCES / f"india-2025-{n}.json"
        for n in ("domestic-plant", "tariff-shock", "sourcing-rules")
    }
    assert what_ifs <= set(WHAT_IFS)
    assert all(meta(p)["baseline"] == BASELINE.name for p in what_ifs)


def test_sourcing_rules_uses_every_rule_of_section_7() -> None:
    sc = document(SOURCING_RULES)
    sectors = {e["id"]: e for e in sc["sectors"]}
    suppliers = {s["id"]: s for s in sc["suppliers"]}
    assert sectors["defence"]["min_service"] == 1.0
    ev = [e for e in sectors.values() if e["id"] == "auto_ev" or e["id"].startswith("ev_")]
    assert len(ev) == 4 and all(e["min_service"] >= 0.95 for e in ev)
    assert {"vn_newmag", "kz_newmag", "in_pli_first"} <= {
        s["id"] for s in sc["suppliers"] if s.get("qualification")
    }
    assert suppliers["vn_newmag"]["country"] == "VN" and suppliers["kz_newmag"]["country"] == "KZ"
    assert suppliers["in_pli_first"]["country"] == "IN"
    assert any(o.get("discounts") for o in suppliers["jp_ndfeb"]["offers"])
    assert sc["policy"]["origin_share_penalty"] == {"CN": 20.0}
    assert sc["policy"]["max_origin_share"] == {"CN": 0.8}
    assert sc["policy"]["max_suppliers"] == {"ndfeb_hc": 4}
    plan = plan_of(SOURCING_RULES)
    assert plan["qualified"] and plan["cap_excess"]
    assert plan["terms"]["qualification"] > 0 and plan["terms"]["cap_excess"] > 0
    discounted = [
        d for d in plan["deliveries"] if d["supplier"] == "jp_ndfeb" and d["product"] == "ndfeb_hc"
    ]
    assert discounted and all(d["landed_cost"] == pytest.approx(81.2) for d in discounted)
    pooled = {d["supplier"] for d in plan["deliveries"] if d["product"] == "ndfeb_hc"}
    assert len(pooled) == 4  # the cap of four suppliers of the pooled grade is reached
    served = {e: 0.0 for e in sectors}
    for row in plan["shortages"]:
        served[row["sector"]] += row["kg"]
    asked = {e: 0.0 for e in sectors}
    for row in sc["demand"]:
        asked[row["sector"]] += row["quantity"]
    for e in sectors.values():
        if "min_service" in e:
            assert served[e["id"]] <= (1 - e["min_service"]) * asked[e["id"]] + 1e-6, e["id"]


def test_each_importer_s_licence_serves_only_its_own_demand() -> None:
    """A licence lists one product of its own, and only its holder's sector asks for it: a
    kg delivered under it can be consumed by no other importer, nor by the pool."""
    sc = document(SOURCING_RULES)
    licensed = {s["id"] for s in sc["suppliers"] if s.get("licence_required")}
    assert {lic["id"] for lic in sc["licences"]} == FOUR_IMPORTERS
    owner: dict[str, str] = {}
    for lic in sc["licences"]:
        assert len(lic["products"]) == 1 and set(lic["suppliers"]) <= licensed
        sectors = {d["sector"] for d in sc["demand"] if d["product"] == lic["products"][0]}
        assert len(sectors) == 1, f"{lic['id']}'s product serves {sectors}"
        owner[lic["products"][0]] = sectors.pop()
    assert len(set(owner.values())) == 4
    plan = plan_of(SOURCING_RULES)
    for row in plan["consumption"]:
        if row["product"] in owner:
            assert row["sector"] == owner[row["product"]]
    assert {r["licence"]: r["used"] for r in plan["licences"]} == pytest.approx(
        {lic["id"]: lic["quantity"] for lic in sc["licences"]}
    )


def test_sourcing_rules_what_if_cases_reach_their_results() -> None:
    from optimizer.scenario.parsing import parse_scenario
    from optimizer.whatif.shocks import apply_shocks, parse_shocks

    what_if = meta(SOURCING_RULES)["what_if"]
    assert what_if["question"].strip() and what_if["answer"].strip()
    base = load_scenario(SOURCING_RULES).model_dump(mode="json", exclude_none=True)
    got = {}
    for case in what_if["cases"]:
        doc = apply_shocks(base, parse_shocks(case["shocks"], [case["name"]]))
        plan = solve(parse_scenario(doc))
        assert plan["status"] == case["status"], case["name"]
        if case["objective"] is None:
            assert plan["objective"] is None
        else:
            assert plan["objective"] == pytest.approx(case["objective"], rel=1e-6), case["name"]
        got[case["name"]] = plan["objective"]
    assert got["china-ships"] == pytest.approx(meta(SOURCING_RULES)["expected"]["objective"])
    worth = got["china-halts-no-vn"] - got["china-halts"]
    assert worth == pytest.approx(3_268_888, abs=1.0)
    assert got["china-ships-no-vn"] == pytest.approx(got["china-ships"])


def test_readme_lists_every_scenario() -> None:
    readme = (INSTANCES / "README.md").read_text(encoding="utf-8")
    missing = [p.name for p in CHECKED if p.name not in readme]
    assert missing == []


# ---------------------------------------------------------------- the hedged India scenario

LICENCE_RISK = INSTANCES / "india-2026-licence-risk.yaml"


@cache
def hedged_plan_of(path: Path) -> dict[str, Any]:
    from optimizer.whatif.hedge_document import load_hedge
    from optimizer.whatif.hedge_values import hedged_plan

    return hedged_plan(load_hedge(path))


def test_the_licence_risk_hedge_has_its_notes_beside_it() -> None:
    m = document(LICENCE_RISK.with_name(LICENCE_RISK.stem + META_SUFFIX))
    assert m["description"].strip() and m["base"] == FOUR_LICENCES.name
    for key in ("expressed", "sources", "estimates", "plausibility"):
        assert m[key] and all(isinstance(s, str) and s.strip() for s in m[key]), key
    assert {"status", "objective", "evpi", "value_of_hedging"} <= set(m["expected"])


def test_the_licence_risk_hedge_reaches_its_expected_result() -> None:
    m = document(LICENCE_RISK.with_name(LICENCE_RISK.stem + META_SUFFIX))
    plan = hedged_plan_of(LICENCE_RISK)
    assert plan["status"] == m["expected"]["status"], plan.get("message")
    for key, value in m["expected"].items():
        if key != "status":
            assert plan[key] == pytest.approx(value, rel=1e-6, abs=1e-6), key
    assert plan["name"] == LICENCE_RISK.stem
    hold = next(o for o in plan["outcomes"] if o["name"] == "licences-hold")
    assert hold["objective"] == pytest.approx(
        meta(FOUR_LICENCES)["expected"]["objective"], rel=1e-6
    )


def test_the_licence_revocation_is_exact() -> None:
    """Revoked from reveal: quantity 0 is exact only if nothing licensed can arrive before
    reveal, i.e. every licensed supplier's lead time reaches it."""
    from optimizer.whatif.hedge_document import load_hedge

    hedge = load_hedge(LICENCE_RISK)
    licensed = [s for s in hedge.base.suppliers if s.licence_required]
    assert licensed and all(s.lead_time >= hedge.reveal_at for s in licensed)
    revoked = next(o for o in hedge.outcomes if o.name == "continental-revoked")
    quantities = {lic.id: lic.quantity for lic in revoked.scenario.licences}
    assert quantities["lic-continental-india"] == 0
    plan = hedged_plan_of(LICENCE_RISK)
    assert not [r for r in plan["here_and_now"]["deliveries"] if r["supplier"] in
                {s.id for s in licensed}]  # fmt: skip
