"""`magnets report`: the HTML page of a plan, a sweep, a frontier and a job, and its PNGs.

Pages are parsed back with `html.parser` into a small tree and checked against numbers
computed here from the plan itself (or numpy, for percentiles). Budget: under 30 s on two
busy cores, most of it drawing charts (about 0.2 s each).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cli.report import add_commands
from optimizer.options import SolveOptions
from optimizer.report.drawing import svg_markup
from optimizer.report.inputs import Report, ReportInputError, plan_context, read_plan
from optimizer.report.render import (
    build_plan_report,
    render_frontier_report,
    render_job_report,
    render_plan_report,
    render_sweep_report,
    write_pngs,
)
from optimizer.scenario.loading import load_scenario
from optimizer.scenario.parsing import parse_scenario
from optimizer.scenario.schema import Scenario
from optimizer.solve import solve
from tests.paths import INSTANCES
from tests.random_scenarios import random_scenario

PLAN_CHARTS = {"flows", "origin-share", "costs", "inventory", "licences"}
SHAPES = {"path", "use", "rect", "polyline", "line", "circle"}
VOID = {"meta", "br", "img", "hr", "input", "link", "col", "wbr"}


# ---------------------------------------------------------------- a page, parsed back


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list[Node] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()

    def content(self) -> str:
        return "".join(self.text) + "".join(c.content() for c in self.children)

    def find(self, tag: str, **attrs: str) -> list[Node]:
        return [
            n
            for n in self.walk()
            if n.tag == tag and all(n.attrs.get(k) == v for k, v in attrs.items())
        ]


class TreeBuilder(HTMLParser):
    """A strict tree: every element opened is closed, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.open[-1].children.append(node)
        if tag not in VOID:
            self.open.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        assert self.open[-1].tag == tag, f"</{tag}> closes <{self.open[-1].tag}>"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.open[-1].text.append(data)


def parse(page: str) -> Node:
    builder = TreeBuilder()
    builder.feed(page)
    builder.close()
    assert builder.open == [builder.root], "elements left open"
    return builder.root


def figures(root: Node) -> dict[str, Node]:
    return {f.attrs["id"] or "": f for f in root.find("figure")}


def shape_count(figure: Node) -> int:
    return sum(1 for n in figure.walk() if n.tag in SHAPES)


def coloured_shapes(figure: Node) -> int:
    """Shapes filled or stroked in a colour: bars, lines, markers (axes are black on white)."""
    paint = re.compile(r"(?:fill|stroke): ?#([0-9a-f]{6})")
    return sum(
        1
        for n in figure.walk()
        if n.tag in SHAPES
        and any(
            len(set(c[i : i + 2] for i in (0, 2, 4))) > 1
            for c in paint.findall(n.attrs.get("style") or "")
        )
    )


def table_values(root: Node, table_id: str) -> list[float]:
    (table,) = root.find("table", id=table_id)
    return [
        float(td.attrs["data-value"] or "nan") for td in table.walk() if "data-value" in td.attrs
    ]


def assert_self_contained(page: str, root: Node) -> None:
    """Nothing fetched from anywhere: no script, no stylesheet link, no remote src/href."""
    for node in root.walk():
        for name, value in node.attrs.items():
            if name in ("src", "href", "xlink:href") and value:
                assert value.startswith("#"), f"<{node.tag} {name}={value!r}>"
    assert not root.find("script") and not root.find("link") and not root.find("img")
    assert "@import" not in page and "url(http" not in page


def assert_unique_ids(root: Node) -> None:
    ids = [n.attrs["id"] for n in root.walk() if n.attrs.get("id")]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})[:5]


# ---------------------------------------------------------------- the shipped baseline


@pytest.fixture(scope="module")
def baseline() -> tuple[Scenario, dict[str, Any]]:
    scenario = load_scenario(INSTANCES / "india-2025-baseline.json")
    return scenario, solve(scenario, SolveOptions())


@pytest.fixture(scope="module")
def baseline_report(baseline: tuple[Scenario, dict[str, Any]]) -> Report:
    scenario, plan = baseline
    return build_plan_report(plan, scenario)


@pytest.fixture(scope="module")
def page(baseline_report: Report) -> Node:
    return parse(baseline_report.html)


def test_the_plan_page_parses_and_draws_every_chart(baseline_report: Report, page: Node) -> None:
    found = figures(page)
    assert set(found) == PLAN_CHARTS
    for chart_id, figure in found.items():
        assert len(figure.find("svg")) == 1, chart_id
        assert shape_count(figure) > 20 and coloured_shapes(figure) >= 2, chart_id
        (caption,) = figure.find("figcaption")
        assert len(caption.content()) > 40
    assert [c.id for c in baseline_report.charts] == [f.attrs["id"] for f in page.find("figure")]
    assert_self_contained(baseline_report.html, page)
    assert_unique_ids(page)


def test_the_header_states_status_objective_and_currency(baseline: Any, page: Node) -> None:
    _, plan = baseline
    (facts,) = page.find("dl", id="facts")
    pairs = dict(
        zip(
            [d.content() for d in facts.find("dt")],
            [d.content() for d in facts.find("dd")],
            strict=True,
        )
    )
    assert pairs["Status"] == "optimal"
    assert pairs["Objective"] == f"{plan['objective']:,.0f} USD"  # no cents: for people
    assert (
        pairs["Spend"] == "47,058,565 USD"
        and pairs["Shortage penalty (notional)"] == "43,386,000 USD"
    )
    assert pairs["Currency"] == "USD"


def test_the_cost_table_holds_the_plan_s_terms(baseline: Any, page: Node) -> None:
    _, plan = baseline
    (table,) = page.find("table", id="cost-table")
    shown = {}
    for row in table.find("tr"):
        term = row.attrs.get("data-term")
        if term:
            (cell,) = row.find("td")
            shown[term] = float(cell.attrs["data-value"] or "nan")
            text = float(cell.content().replace(",", "").replace("−", "-"))
            assert text == pytest.approx(shown[term], abs=0.005)
    expected = {t: (-v if t == "subsidy" else v) for t, v in plan["terms"].items()}
    assert shown == {**expected, "objective": plan["objective"]}
    assert sum(expected.values()) == pytest.approx(plan["objective"], rel=1e-12)


def test_the_shortage_table_lists_every_unmet_kg(baseline: Any, page: Node) -> None:
    _, plan = baseline
    values = table_values(page, "shortage-table")
    assert values[:-1] == [r["kg"] for r in plan["shortages"]]
    assert values[-1] == pytest.approx(sum(r["kg"] for r in plan["shortages"]))


def test_the_charts_show_the_plan_s_own_numbers(baseline: Any, page: Node) -> None:
    _, plan = baseline
    found = figures(page)
    by_origin: dict[str, float] = defaultdict(float)
    for row in plan["consumption"]:
        by_origin[row["origin"]] += row["kg"]
    lead = max(by_origin, key=lambda o: by_origin[o])
    share = by_origin[lead] / sum(by_origin.values())
    flows = found["flows"].content()
    assert f"The largest origin is {lead}, with {share:.0%} of all consumption" in flows
    assert all(o in flows for o in by_origin) and "unmet demand" in flows
    assert "CN cap 80%" in found["origin-share"].content()  # policy.max_origin_share
    assert f"{plan['terms']['purchase']:,.0f}" in found["costs"].content()
    licence = plan["licences"][0]
    assert f"{licence['used'] / licence['quantity']:.0%}" in found["licences"].content()
    assert "ndfeb_hc safety stock" in found["inventory"].content()


def test_caps_and_safety_stocks_are_drawn_above_their_series(baseline_report: Report) -> None:
    """CN runs at its 80 % cap and every stock at its safety stock: in SVG, what comes later
    is painted on top, so each limit's group must follow its series' group."""
    svg = {c.id: svg_markup(c) for c in baseline_report.charts}
    for chart_id, limit, series, key in (
        ("origin-share", "cap", "share", "CN"),
        ("inventory", "safety", "stock", "ndfeb_hc"),
    ):
        drawn_line = svg[chart_id].index(f'id="{chart_id}-{series}-{key}"')
        assert svg[chart_id].index(f'id="{chart_id}-{limit}-{key}"') > drawn_line, chart_id


def test_the_flows_caption_says_why_a_share_can_exceed_its_cap(page: Node) -> None:
    """82 % of consumption beside an 80 % cap: consumption counts the opening stock."""
    flows = figures(page)["flows"].content()
    assert "includes the opening stock" in flows and "CN at 80%" in flows
    shares = figures(page)["origin-share"].content()
    assert "enlarges the origins that stay below 10%" in shares


def test_without_the_scenario_no_cap_is_drawn(baseline: Any) -> None:
    scenario, plan = baseline
    assert plan_context(read_plan(plan)).periods == tuple(scenario.periods)
    shares = figures(parse(render_plan_report(plan)))["origin-share"].content()
    assert "cap 80%" not in shares and "no cap is drawn" in shares


def test_pngs_are_real_images_with_something_drawn(baseline_report: Report, tmp_path: Path) -> None:
    import matplotlib.image

    written = write_pngs(baseline_report.charts, tmp_path / "png")
    assert sorted(p.name for p in written) == sorted(f"{c}.png" for c in PLAN_CHARTS)
    for path in written:
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000, path.name
        pixels = matplotlib.image.imread(path)[..., :3]
        assert pixels.std() > 0.05, path.name
        ink = (pixels.min(axis=2) < 0.9).mean()  # anything not near white
        coloured = (pixels.max(axis=2) - pixels.min(axis=2) > 0.25).mean()
        assert ink > 0.02 and coloured > 0.002, (path.name, ink, coloured)


# ---------------------------------------------------------------- plans without a solution, odd ids


def test_an_infeasible_plan_gets_a_page_without_charts() -> None:
    scenario = load_scenario(INSTANCES / "india-2025-infeasible.json")
    plan = solve(scenario, SolveOptions())
    assert plan["objective"] is None
    root = parse(render_plan_report(plan, scenario))
    assert not root.find("figure")
    assert "infeasible" in root.content() and "No plan: nothing to draw." in root.content()


def tiny_plan(**changes: Any) -> dict[str, Any]:
    """A hand-made plan: 2 periods, one sector fed from two origins, one licence."""
    plan: dict[str, Any] = {
        "status": "optimal",
        "objective": 1450.0,
        "scenario": "tiny",
        "currency": "EUR",
        "terms": {
            "purchase": 1500.0,
            "fixed": 0.0,
            "production": 0.0,
            "subsidy": 100.0,
            "build": 0.0,
            "holding": 50.0,
            "shortage": 0.0,
        },
        "consumption": [
            {"product": "p", "origin": "A", "sector": "s", "period": "t1", "kg": 60.0},
            {"product": "p", "origin": "B", "sector": "s", "period": "t1", "kg": 40.0},
            {"product": "p", "origin": "A", "sector": "s", "period": "t2", "kg": 50.0},
        ],
        "inventory": [{"product": "p", "origin": "A", "period": "t1", "kg": 10.0}],
        "shortages": [],
        "licences": [{"licence": "L", "used": 30.0, "quantity": 120.0}],
        "origin_share": [
            {"period": "t1", "origin": "A", "share": 0.6},
            {"period": "t1", "origin": "B", "share": 0.4},
            {"period": "t2", "origin": "A", "share": 1.0},
        ],
    }
    return plan | changes


def test_a_hand_made_plan_reads_as_expected() -> None:
    root = parse(render_plan_report(tiny_plan()))
    found = figures(root)
    assert set(found) == PLAN_CHARTS
    assert (
        "The largest origin is A, with 73% of all consumption" in found["flows"].content()
    )  # 110/150
    assert "25%" in found["licences"].content()  # 30 of 120 kg
    assert "0 of 1 licence used in full" in found["licences"].content()
    assert table_values(root, "cost-table") == [1500.0, 0.0, 0.0, -100.0, 0.0, 50.0, 0.0, 1450.0]
    assert "No shortages" in root.content()


def test_markup_and_mathtext_in_ids_are_shown_as_written() -> None:
    plan = tiny_plan(scenario="<script>alert(1)</script>")
    plan["consumption"] = [
        {"product": "p", "origin": "A&B", "sector": "cost $x$ <i>", "period": "t1", "kg": 5.0}
    ]
    page = render_plan_report(plan)
    root = parse(page)
    assert not root.find("script") and not root.find("i")
    assert "<script>alert(1)</script>" in root.find("h1")[0].content()
    flows = figures(root)["flows"].content()
    assert "cost $x$ <i>" in flows and "A&B" in flows


def test_the_same_plan_gives_the_same_page() -> None:
    assert render_plan_report(tiny_plan()) == render_plan_report(tiny_plan())


def test_a_period_missing_from_every_table_still_has_its_place() -> None:
    """Without the scenario, periods come from the plan; with it (here a document), every
    period is drawn, and the cap too."""
    scenario = {
        "name": "tiny",
        "currency": "EUR",
        "periods": ["t0", "t1", "t2"],
        "countries": [{"id": "A"}, {"id": "B"}],
        "policy": {"max_origin_share": {"A": 0.75}},
    }
    shares = figures(parse(render_plan_report(tiny_plan(), scenario)))["origin-share"].content()
    assert "t0" in shares and "A cap 75%" in shares
    assert "t0" not in figures(parse(render_plan_report(tiny_plan())))["origin-share"].content()


def test_without_the_scenario_periods_are_put_in_time_order() -> None:
    """t0 has no supply (stock only), so origin_share starts at t1; the consumption rows of
    (p, A, s) run t0, t1, t3; t2 shows only in the shortages (t2, t3). Nothing orders t1
    and t2: first appearance puts t1 first."""
    plan = tiny_plan(
        origin_share=[{"period": p, "origin": "A", "share": 1.0} for p in ("t1", "t3")],
        consumption=[
            {"product": "p", "origin": "A", "sector": "s", "period": p, "kg": 1.0}
            for p in ("t0", "t1", "t3")
        ],
        shortages=[{"product": "p", "sector": "s", "period": p, "kg": 1.0} for p in ("t2", "t3")],
    )
    assert plan_context(read_plan(plan)).periods == ("t0", "t1", "t2", "t3")
    assert plan_context(read_plan(tiny_plan())).periods == ("t1", "t2")


@pytest.mark.parametrize(("seed", "milp"), [(3, False), (10, True)])
def test_random_plans_get_a_sound_page(seed: int, milp: bool) -> None:
    scenario = parse_scenario(random_scenario(seed, milp, periods=30))
    plan = solve(scenario, SolveOptions(time_limit=10))
    page = render_plan_report(plan, scenario)
    root = parse(page)
    assert {"flows", "costs"} <= set(figures(root)) <= PLAN_CHARTS
    assert table_values(root, "cost-table")[-1] == plan["objective"]
    assert_unique_ids(root)
    assert_self_contained(page, root)


# ---------------------------------------------------------------- rejected inputs


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"status": None}, "/status"),
        ({"objective": "12"}, "/objective"),
        ({"terms": {"purchase": float("nan")}}, "/terms/purchase"),
        (
            {
                "consumption": [
                    {"product": "p", "origin": "A", "sector": "s", "period": "t1", "kg": "5"}
                ]
            },
            "/consumption/0/kg",
        ),
        ({"licences": [{"used": 1.0, "quantity": 2.0}]}, "/licences/0/licence"),
        ({"inventory": {"p": 1}}, "/inventory"),
    ],
)
def test_a_malformed_plan_is_rejected_with_the_field_named(
    changes: dict[str, Any], where: str
) -> None:
    with pytest.raises(ReportInputError) as caught:
        read_plan(tiny_plan(**changes))
    assert [p.pointer for p in caught.value.problems] == [where]


def test_a_plan_of_another_scenario_is_refused(baseline: Any) -> None:
    scenario, _ = baseline
    with pytest.raises(ReportInputError, match="not of scenario 'india-2025-baseline'"):
        render_plan_report(tiny_plan(), scenario)


# ---------------------------------------------------------------- sweeps, frontiers, jobs


def sweep_result() -> dict[str, Any]:
    """The sweep producer's shape: the base first (levels all null), one member without a plan."""
    costs = [1000.0 + 37.0 * ((7 * k) % 20) for k in range(20)]
    members = [
        {
            "member": "base",
            "levels": {"cap": None},
            "status": "optimal",
            "objective": 500.0,
            "terms": {"purchase": 500.0},
            "shortage_kg": {"wind": 0.0},
        }
    ]
    members += [
        {
            "member": f"mc-{k}",
            "levels": {"cap": k / 20},
            "status": "optimal",
            "objective": c,
            "terms": {"purchase": c - 10, "shortage": 10.0},
            "shortage_kg": {"wind": 1.0, "ev": 2.0},
        }
        for k, c in enumerate(costs)
    ]
    members.append(
        {
            "member": "mc-x",
            "levels": {"cap": 0.0},
            "status": "infeasible",
            "objective": None,
            "terms": None,
            "shortage_kg": None,
        }
    )
    return {
        "name": "cn-capacity",
        "members": members,
        "statistics": {"members": 21, "total_cost": {"p50": float(np.percentile(costs, 50))}},
    }


def test_the_sweep_page_marks_p5_p50_p95_of_the_members() -> None:
    result = sweep_result()
    costs = [m["objective"] for m in result["members"][1:-1]]
    root = parse(render_sweep_report(result))
    assert table_values(root, "percentile-table") == pytest.approx(
        np.percentile(costs, [5, 50, 95]), rel=1e-12
    )
    (figure,) = figures(root).values()
    assert figure.attrs["id"] == "cost-distribution" and shape_count(figure) > 30
    text = figure.content()
    assert (
        "20 members with a plan" in text
        and "1 member without a plan" in text
        and "base 500" in text
    )
    assert "total_cost.p50" in root.find("table", id="stats-table")[0].content()
    assert len(root.find("table", id="member-table")[0].find("tr")) == 1 + 22
    assert_self_contained(render_sweep_report(result), root)


def test_a_sweep_in_the_short_format_is_read_too() -> None:
    result = {
        "members": [
            {
                "name": f"m{k}",
                "status": "optimal",
                "objective": float(k),
                "terms": {},
                "shortage_kg": 3.0,
            }
            for k in range(1, 6)
        ],
        "stats": {"note": "five"},
    }
    root = parse(render_sweep_report(result))
    assert table_values(root, "percentile-table") == pytest.approx([1.2, 3.0, 4.8])  # by hand
    assert "five" in root.find("table", id="stats-table")[0].content()


def test_the_frontier_page_draws_cost_against_share() -> None:
    points = [
        {
            "cap": c,
            "status": "optimal",
            "objective": 100.0 + 50 * (1 - c),
            "share": c,
            "shortage_kg": 5 * (1 - c),
        }
        for c in (0.2, 0.5, 0.8)
    ]
    failed = {
        "cap": 0.0,
        "status": "infeasible",
        "objective": None,
        "share": None,
        "shortage_kg": None,
    }
    result = {"origin": "CN", "points": points, "evaluated": [*points, failed]}
    root = parse(render_frontier_report(result))
    found = figures(root)
    assert set(found) == {"frontier", "frontier-shortage"}
    assert "Caps without a plan: 0%." in found["frontier"].content()
    assert "cap 50%" in found["frontier"].content()
    rows = root.find("table", id="frontier-table")[0].find("tr")
    assert len(rows) == 1 + 4 and [r.find("td")[-1].content() for r in rows[1:]] == ["yes"] * 3 + [
        ""
    ]


def test_a_job_page_compares_its_plans_and_keeps_ids_unique(baseline: Any) -> None:
    _, plan = baseline
    infeasible = {"status": "infeasible", "objective": None, "terms": None}
    items = [("baseline", plan), ("tiny", tiny_plan()), ("stuck", infeasible)]
    page = render_job_report(items)
    root = parse(page)
    assert_unique_ids(root)
    assert_self_contained(page, root)
    assert {"compare-costs", "s1-flows", "s2-licences"} <= set(figures(root))
    assert not any(i.startswith("s3-") for i in figures(root))
    (table,) = root.find("table", id="comparison-table")
    assert [r.find("td")[0].content() for r in table.find("tr")[1:]] == [
        "baseline",
        "tiny",
        "stuck",
    ]
    pairs = items[1:]  # the same page from a job's `{"items": [...]}` (without the big plan)
    as_items = {"items": [{"scenario": n, "plan": p} for n, p in pairs]}
    assert render_job_report(as_items) == render_job_report(pairs)


def test_the_report_agrees_with_the_sweep_statistics() -> None:
    sweep = pytest.importorskip("optimizer.whatif.sweep")
    spec = {
        "base": json.loads((INSTANCES / "india-2025-baseline.json").read_text()),
        "mode": "grid",
        "axes": [
            {
                "name": "cn",
                "shock": {"kind": "capacity", "origin": "CN"},
                "levels": [0.4, 0.7, 1.0, 1.3],
            }
        ],
    }
    result = sweep.run_sweep(spec).as_dict()
    spread = result["statistics"]["total_cost"]
    values = table_values(parse(render_sweep_report(result)), "percentile-table")
    assert values == pytest.approx([spread["p5"], spread["p50"], spread["p95"]], rel=1e-12)


def test_the_report_reads_the_frontier_as_produced() -> None:
    frontier = pytest.importorskip("optimizer.whatif.frontier")
    doc = json.loads((INSTANCES / "india-2025-baseline.json").read_text())
    result = frontier.frontier(doc, "CN", caps=[1.0, 0.9, 0.5]).as_dict()
    root = parse(render_frontier_report(result))
    assert "frontier" in figures(root)
    rows = root.find("table", id="frontier-table")[0].find("tr")[1:]
    assert len(rows) == len(result["evaluated"])
    on = [r for r in rows if r.find("td")[-1].content() == "yes"]
    assert len(on) == len(result["points"])


# ---------------------------------------------------------------- the command line


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="magnets")
    add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["report", *argv])
    return int(args.handler(args))


def test_the_command_writes_the_page_and_the_pngs(baseline: Any, tmp_path: Path) -> None:
    _, plan = baseline
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    scenario = str(INSTANCES / "india-2025-baseline.json")
    code = run_cli(
        str(tmp_path / "plan.json"),
        "--scenario",
        scenario,
        "--out",
        str(tmp_path / "r.html"),
        "--png-dir",
        str(tmp_path / "png"),
    )
    assert code == 0
    assert set(figures(parse((tmp_path / "r.html").read_text()))) == PLAN_CHARTS
    assert sorted(p.stem for p in (tmp_path / "png").iterdir()) == sorted(PLAN_CHARTS)


def test_the_command_says_what_is_wrong(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "r.html")
    (tmp_path / "bad.json").write_text('{"status": "optimal", "objective": "x"}')
    (tmp_path / "broken.json").write_text("{")
    (tmp_path / "plan.json").write_text(json.dumps(tiny_plan()))
    assert run_cli(str(tmp_path / "bad.json"), "--out", out) == 2
    assert "/objective: must be a finite number" in capsys.readouterr().err
    assert run_cli(str(tmp_path / "broken.json"), "--out", out) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert run_cli(str(tmp_path / "missing.json"), "--out", out) == 2
    assert "cannot read the file" in capsys.readouterr().err
    (tmp_path / "sweep.json").write_text(json.dumps(sweep_result()))
    scenario = str(INSTANCES / "india-2025-baseline.json")
    assert run_cli(str(tmp_path / "sweep.json"), "--scenario", scenario, "--out", out) == 2
    assert "a scenario goes with a plan" in capsys.readouterr().err
    assert (
        run_cli(str(tmp_path / "plan.json"), "--out", str(tmp_path / "no" / "dir" / "r.html")) == 1
    )
    assert "magnets report:" in capsys.readouterr().err
    assert not Path(out).exists()


def test_importing_the_report_does_not_load_matplotlib() -> None:
    """`magnets solve` builds the same parser: it must not pay for matplotlib's import."""
    code = "import sys, optimizer.report.render; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# ---------------------------------------------------------------- hedged plans


def tiny_hedge(**changes: Any) -> dict[str, Any]:
    """A hand-made hedged plan: three outcomes, one delivery and one build before reveal."""
    doc: dict[str, Any] = {
        "status": "optimal",
        "name": "prebuy",
        "currency": "EUR",
        "reveal": "t1",
        "risk": {"alpha": 0.8, "weight": 0.0},
        "objective": 1125.0,  # 0.7 × 1,000 + 0.2 × 1,250 + 0.1 × 1,750
        "expected_cost": 1125.0,
        "cvar": 1500.0,  # the worst 20 %: 'halt' (10 %) and half of 'slow': (175 + 125) / 0.2
        "here_and_now": {
            "deliveries": [
                {"supplier": "cn", "product": "p", "period": "t0", "kg": 100.0,
                 "landed_cost": 10.0, "cost": 1000.0},
            ],
            "production": [],
            "contracts": [{"supplier": "cn", "fixed_cost": 50.0}],
            "plants_built": [{"plant": "k", "period": "t0"}],
        },
        "outcomes": [
            {"name": "hold", "probability": 0.7, "objective": 1000.0, "terms": {},
             "shortage_kg": 0.0},
            {"name": "slow", "probability": 0.2, "objective": 1250.0, "terms": {},
             "shortage_kg": 5.0},
            {"name": "halt", "probability": 0.1, "objective": 1750.0, "terms": {},
             "shortage_kg": 40.0},
        ],
        "wait_and_see": 1100.0,
        "evpi": 25.0,
        "value_of_hedging": 200.0,
        "premium": 50.0,
    }  # fmt: skip
    return doc | changes


def test_a_hedged_plan_is_told_apart_and_drawn() -> None:
    from optimizer.report.render import build_report, input_kind, render_hedge_report

    doc = tiny_hedge()
    assert input_kind(doc) == "hedge"  # it has a status, too: here_and_now decides
    page = render_hedge_report(doc)
    assert build_report(doc).html == page
    root = parse(page)
    assert_self_contained(page, root)
    assert_unique_ids(root)
    assert table_values(root, "hedge-values-table") == [1125.0, 1500.0, 1125.0, 1100.0, 25.0,
                                                        200.0, 50.0]  # fmt: skip
    assert table_values(root, "order-now-table") == [100.0, 10.0, 1000.0, 50.0]
    orders = root.find("table", id="order-now-table")[0].content()
    assert "contract" in orders and "build" in orders and "before t1" in root.content()
    assert table_values(root, "hedge-outcome-table") == [
        0.7,
        1000.0,
        0.0,
        0.2,
        1250.0,
        5.0,
        0.1,
        1750.0,
        40.0,
    ]
    (figure,) = figures(root).values()
    assert figure.attrs["id"] == "hedge-costs" and shape_count(figure) > 20
    text = figure.content()
    assert "expected 1,125" in text and "CVaR 80% 1,500" in text
    assert "halt (10%)" in text and "one bar each" in text


def test_a_sampled_hedge_is_a_histogram_with_its_evaluation() -> None:
    from optimizer.report.render import render_hedge_report

    rows = [
        {"name": f"mc-{k:02d}", "probability": 1 / 40, "objective": 1000.0 + 10 * (k % 7),
         "shortage_kg": 0.0}
        for k in range(40)
    ]  # fmt: skip
    evaluation = {"outcomes": 400, "seed": 8, "objective": 1031.0, "ci95": [1029.5, 1032.5],
                  "in_sample_objective": 1029.0, "standard_error": 0.77, "infeasible": 0}  # fmt: skip
    root = parse(render_hedge_report(tiny_hedge(outcomes=rows, evaluation=evaluation)))
    text = figures(root)["hedge-costs"].content()
    assert "histogram whose heights are probabilities" in text and "40 outcomes" in text
    facts = root.find("dl", id="evaluation-facts")[0].content()
    assert "1,031 EUR" in facts and "1,030 EUR to 1,032 EUR" in facts and "1,029 EUR" in facts
    assert root.find("details")  # 40 rows folded away


def test_a_hedged_plan_without_a_solution_and_a_malformed_one() -> None:
    from optimizer.report.render import render_hedge_report

    root = parse(render_hedge_report(tiny_hedge(status="infeasible", objective=None)))
    assert not root.find("figure") and "No hedged plan" in root.content()
    bad = tiny_hedge()
    bad["outcomes"][1]["probability"] = "0.2"
    with pytest.raises(ReportInputError) as caught:
        render_hedge_report(bad)
    assert [p.pointer for p in caught.value.problems] == ["/outcomes/1/probability"]
    bad = tiny_hedge()
    bad["here_and_now"]["deliveries"][0]["kg"] = None
    with pytest.raises(ReportInputError, match="/here_and_now/deliveries/0/kg"):
        render_hedge_report(bad)


def test_the_report_reads_the_hedged_plan_as_produced(tmp_path: Path) -> None:
    hedge_values = pytest.importorskip("optimizer.whatif.hedge_values")
    from optimizer.whatif.hedge_document import load_hedge

    plan = hedge_values.hedged_plan(load_hedge(INSTANCES / "india-2026-licence-risk.yaml"))
    (tmp_path / "hedge.json").write_text(json.dumps(plan))
    out = tmp_path / "r.html"
    assert run_cli(str(tmp_path / "hedge.json"), "--out", str(out), "--png-dir", str(tmp_path)) == 0
    root = parse(out.read_text())
    assert set(figures(root)) == {"hedge-costs"} and (tmp_path / "hedge-costs.png").is_file()
    values = table_values(root, "hedge-values-table")
    assert values[:3] == [plan["expected_cost"], plan["cvar"], plan["objective"]]
    assert values[3:] == [plan[k] for k in ("wait_and_see", "evpi", "value_of_hedging", "premium")]
    kg = [r["kg"] for r in plan["here_and_now"]["deliveries"] + plan["here_and_now"]["production"]]
    (table,) = root.find("table", id="order-now-table")
    rows = table.find("tr")[1:]
    assert len(rows) == len(kg)
    assert [float(r.find("td")[4].attrs["data-value"] or "nan") for r in rows] == kg
    text = figures(root)["hedge-costs"].content()
    assert f"expected {plan['expected_cost']:,.0f}" in text and f"{plan['cvar']:,.0f}" in text
