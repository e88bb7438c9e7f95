"""The report pages as a browser draws them: headless Chromium, no network, no GPU.

Chromium (Debian package `chromium`) runs `--dump-dom` on four pages (the baseline's
plan, its frontier on CN, a small sweep of it, the India licence-risk hedge) with a measuring script appended: it writes
each chart's box, how many of its shapes have a non-empty box, the box of every text and
of every axes, the ids of the chart's groups in drawing order and the points of its share
lines. From those: no two texts of a chart overlap, no text straddles an axes' edge, caps
and safety stocks are drawn above the series they bound, series that differ are somewhere
a marker apart, histogram counts are whole numbers. Then `--screenshot` of the plan page,
in whose chart boxes there must be ink and colour. Skipped when no Chromium is installed;
`MAGNETS_CHROMIUM` names one that is not on the PATH. Budget: under 30 s.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from optimizer.options import SolveOptions
from optimizer.report.render import (
    render_frontier_report,
    render_hedge_report,
    render_plan_report,
    render_sweep_report,
)
from optimizer.scenario.loading import load_scenario
from optimizer.solve import solve
from tests.paths import INSTANCES

PLAN_CHARTS = {"flows", "origin-share", "costs", "inventory", "licences"}
WIDTH = 1200
MEASURE = """<script>
(() => {
  const root = document.documentElement;
  const out = {page: [root.scrollWidth, root.scrollHeight], charts: {}};
  for (const figure of document.querySelectorAll("figure.chart")) {
    const svg = figure.querySelector("svg");
    const box = svg.getBoundingClientRect();
    const drawn = [...svg.querySelectorAll("path, use, rect, text")].filter((e) => {
      const b = e.getBoundingClientRect();
      return b.width > 0 || b.height > 0;
    }).length;
    const rect = (e) => {
      const b = e.getBoundingClientRect();
      return [b.left, b.top, b.right, b.bottom];
    };
    const texts = [...svg.querySelectorAll("text")]
      .map((t) => ({text: t.textContent, box: rect(t)}))
      .filter((t) => t.box[2] > t.box[0]);
    const groups = [...svg.querySelectorAll("g[id]")];
    const axes = groups.filter((g) => /-axes_[0-9]+$/.test(g.id))
      .map((g) => rect(g.firstElementChild.querySelector("path")));
    const lines = {};
    const series = ["share", "zoom"].map((kind) => `${figure.id}-${kind}-`);
    for (const g of groups.filter((g) => series.some((s) => g.id.startsWith(s)))) {
      lines[g.id] = g.querySelector("path").getAttribute("d");
    }
    const yticks = [...svg.querySelectorAll('g[id*="-ytick_"] text')].map((t) => t.textContent);
    out.charts[figure.id] = {x: box.left + scrollX, y: box.top + scrollY, w: box.width,
                             h: box.height, drawn: drawn, texts: texts, axes: axes,
                             order: groups.map((g) => g.id), lines: lines, yticks: yticks};
  }
  const pre = document.createElement("pre");
  pre.id = "measured";
  pre.textContent = JSON.stringify(out);
  document.body.append(pre);
})();
</script>
"""


def chromium() -> str:
    names = [
        os.environ.get("MAGNETS_CHROMIUM", ""),
        "chromium",
        "chromium-browser",
        "google-chrome",
    ]
    for name in filter(None, names):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium found (Debian: apt-get install chromium); set MAGNETS_CHROMIUM")


def run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
    ]
    done = subprocess.run(
        [binary, *flags, *args], capture_output=True, text=True, timeout=90, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def baseline_doc() -> dict[str, Any]:
    return dict(json.loads((INSTANCES / "india-2025-baseline.json").read_text()))


def frontier_page() -> str:
    """The frontier of the baseline on CN: 80 % and 90 % land close, at the bottom."""
    from optimizer.whatif.frontier import default_caps, frontier

    return render_frontier_report(frontier(baseline_doc(), "CN", default_caps()).as_dict())


def sweep_page() -> str:
    """Twelve members in five bins: counts of 1 to 4, which a default axis ticks by 0.5."""
    from optimizer.whatif.sweep import run_sweep

    spec = {
        "base": baseline_doc(),
        "mode": "monte_carlo",
        "samples": 12,
        "seed": 3,
        "axes": [
            {
                "name": "china_capacity",
                "shock": {"kind": "capacity", "origin": "CN", "periods": ["2025-Q4", "2026-Q1"]},
                "distribution": {"type": "uniform", "low": 0, "high": 1},
            }
        ],
    }
    return render_sweep_report(run_sweep(spec).as_dict())


def hedge_page() -> str:
    """The India licence-risk hedge: four outcomes, names of different lengths."""
    from optimizer.whatif.hedge_document import load_hedge
    from optimizer.whatif.hedge_values import hedged_plan

    return render_hedge_report(hedged_plan(load_hedge(INSTANCES / "india-2026-licence-risk.yaml")))


def write_page(folder: Path, name: str, page: str) -> Path:
    path = folder / f"{name}.html"
    path.write_text(page.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    return path


def measure(page_file: Path) -> dict[str, Any]:
    dom = run_chromium(
        chromium(),
        page_file.parent / f"profile-{page_file.stem}",
        f"--window-size={WIDTH},1000",
        "--dump-dom",
        page_file.as_uri(),
    )
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom.stdout, re.DOTALL)
    assert found, "the measuring script did not run: " + dom.stdout[:500]
    return dict(json.loads(html.unescape(found[1])))


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenario = load_scenario(INSTANCES / "india-2025-baseline.json")
    page = render_plan_report(solve(scenario, SolveOptions()), scenario)
    return write_page(tmp_path_factory.mktemp("report"), "plan", page)


@pytest.fixture(scope="module")
def measured(page_file: Path) -> dict[str, Any]:
    return measure(page_file)


@pytest.fixture(scope="module")
def every_chart(page_file: Path, measured: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The charts of the plan, frontier, sweep and hedge pages, by chart id."""
    charts = dict(measured["charts"])
    pages = (("frontier", frontier_page()), ("sweep", sweep_page()), ("hedge", hedge_page()))
    for name, page in pages:
        charts.update(measure(write_page(page_file.parent, name, page))["charts"])
    others = {"frontier", "frontier-shortage", "cost-distribution", "hedge-costs"}
    assert set(charts) == PLAN_CHARTS | others
    return charts


def test_every_chart_is_laid_out_with_its_shapes_drawn(measured: dict[str, Any]) -> None:
    charts = measured["charts"]
    assert set(charts) == PLAN_CHARTS
    for chart_id, box in charts.items():
        assert box["w"] > 400 and box["h"] > 80, (chart_id, box)
        assert box["drawn"] > 20, (chart_id, box)
    tops = [charts[c]["y"] for c in ("flows", "origin-share", "costs", "inventory", "licences")]
    assert tops == sorted(tops), "charts overlap or come out of order"


def test_the_screenshot_has_ink_and_colour_where_the_charts_are(
    page_file: Path, measured: dict[str, Any]
) -> None:
    import matplotlib.image

    height = min(int(measured["page"][1]) + 20, 12000)
    shot = page_file.parent / "shot.png"
    run_chromium(
        chromium(),
        page_file.parent / "profile-shot",
        f"--window-size={WIDTH},{height}",
        f"--screenshot={shot}",
        page_file.as_uri(),
    )
    pixels = matplotlib.image.imread(shot)[..., :3]
    assert pixels.shape[:2] == (height, WIDTH)
    for chart_id, box in measured["charts"].items():
        x, y = int(box["x"]), int(box["y"])
        region = pixels[y : y + int(box["h"]), x : x + int(box["w"])]
        ink = (region.min(axis=2) < 0.8).mean()
        colour = (region.max(axis=2) - region.min(axis=2) > 0.25).mean()
        assert ink > 0.02 and colour > 0.003, (chart_id, ink, colour)
    margin = pixels[:, : int(min(b["x"] for b in measured["charts"].values())) - 20]
    assert (margin.max(axis=2) - margin.min(axis=2) > 0.25).mean() < 0.001, "colour outside charts"


# ---------------------------------------------------------------- what a reader can tell apart

SLACK = 1.0  # px: rounding in the browser's text boxes


def overlap(a: list[float], b: list[float]) -> float:
    """How far two boxes [left, top, right, bottom] overlap, in px along the lesser axis."""
    return min(min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1]))


def test_no_two_texts_of_a_chart_overlap(every_chart: dict[str, Any]) -> None:
    """Tick labels, legend entries, cap and point labels, bar labels: each one readable."""
    clashes = []
    for chart_id, chart in every_chart.items():
        texts = chart["texts"]
        assert len(texts) > 5, chart_id
        for i, a in enumerate(texts):
            for b in texts[i + 1 :]:
                if overlap(a["box"], b["box"]) > SLACK:
                    clashes.append((chart_id, a["text"], b["text"]))
    assert not clashes, clashes


def test_no_text_straddles_an_axes_edge(every_chart: dict[str, Any]) -> None:
    """A text lies inside a plot's axes box or outside it, never across its frame."""
    crossing = []
    for chart_id, chart in every_chart.items():
        assert chart["axes"], chart_id
        for frame in chart["axes"]:
            for t in chart["texts"]:
                box = t["box"]
                inside = all(
                    (
                        box[0] >= frame[0] - SLACK,
                        box[1] >= frame[1] - SLACK,
                        box[2] <= frame[2] + SLACK,
                        box[3] <= frame[3] + SLACK,
                    )
                )
                if overlap(box, frame) > SLACK and not inside:
                    crossing.append((chart_id, t["text"], box, frame))
    assert not crossing, crossing


@pytest.mark.parametrize(
    ("chart_id", "limit", "series"),
    [("origin-share", "cap", "share"), ("inventory", "safety", "stock")],
)
def test_limits_are_drawn_above_the_series_they_bound(
    every_chart: dict[str, Any], chart_id: str, limit: str, series: str
) -> None:
    """The CN line runs at its 80 % cap and each stock at its safety stock: a limit drawn
    first would hide under the series."""
    order = every_chart[chart_id]["order"]
    limits = {
        g.split(f"{chart_id}-{limit}-", 1)[1]: i
        for i, g in enumerate(order)
        if g.startswith(f"{chart_id}-{limit}-")
    }
    lines = {
        g.split(f"{chart_id}-{series}-", 1)[1]: i
        for i, g in enumerate(order)
        if g.startswith(f"{chart_id}-{series}-")
    }
    assert limits and set(limits) <= set(lines), (limits, lines)
    assert all(limits[k] > lines[k] for k in limits), (limits, lines)


def heights(path: str) -> list[float]:
    """The y of each vertex of an SVG polyline `M x y L x y …`."""
    numbers = [float(n) for n in re.findall(r"-?[0-9.]+(?:e-?[0-9]+)?", path)]
    return numbers[1::2]


def test_origins_that_differ_are_somewhere_a_marker_apart(every_chart: dict[str, Any]) -> None:
    """AU, KZ and IN stay below 5 % of supply: on a 0–100 % axis they lie on one another.
    Two origins whose shares differ must, in some panel, be at least a marker (6 pt, the
    SVG's unit) apart at some period."""
    panels: dict[str, dict[str, list[float]]] = {"share": {}, "zoom": {}}
    for gid, path in every_chart["origin-share"]["lines"].items():
        panel, origin = gid.removeprefix("origin-share-").split("-", 1)
        panels[panel][origin] = heights(path)
    top = panels["share"]
    assert len(top) >= 5, top
    close = []
    for i, a in enumerate(sorted(top)):
        for b in sorted(top)[i + 1 :]:
            apart = [
                max(abs(p - q) for p, q in zip(ys[a], ys[b], strict=True))
                for ys in panels.values()
                if a in ys and b in ys
            ]
            if max(apart) > 0.01 and max(apart) < 6:  # equal shares cannot be told apart
                close.append((a, b, max(apart)))
    assert not close, close


def test_histogram_counts_are_whole_numbers(every_chart: dict[str, Any]) -> None:
    ticks = every_chart["cost-distribution"]["yticks"]
    assert len(ticks) >= 2 and all(re.fullmatch(r"[0-9][0-9,]*", t) for t in ticks), ticks
