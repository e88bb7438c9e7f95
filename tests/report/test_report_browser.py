"""The report page as a browser draws it: headless Chromium, no network, no GPU.

Two runs of Chromium (Debian package `chromium`): `--dump-dom` on the page with a small
measuring script appended (it writes each chart's box and how many of its shapes have a
non-empty box), then `--screenshot` of the whole page, in whose chart boxes there must be
ink and colour. Skipped when no Chromium is installed; `MAGNETS_CHROMIUM` names one that
is not on the PATH. Budget: under 30 s.
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
from optimizer.report.render import render_plan_report
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
    out.charts[figure.id] = {x: box.left + scrollX, y: box.top + scrollY, w: box.width,
                             h: box.height, drawn: drawn};
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


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenario = load_scenario(INSTANCES / "india-2025-baseline.json")
    page = render_plan_report(solve(scenario, SolveOptions()), scenario)
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(page.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def measured(page_file: Path) -> dict[str, Any]:
    binary = chromium()
    profile = page_file.parent / "profile-dom"
    dom = run_chromium(
        binary, profile, f"--window-size={WIDTH},1000", "--dump-dom", page_file.as_uri()
    )
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom.stdout, re.DOTALL)
    assert found, "the measuring script did not run: " + dom.stdout[:500]
    return dict(json.loads(html.unescape(found[1])))


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
