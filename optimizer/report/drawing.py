"""How a report's charts look and are saved, drawn with matplotlib without pyplot or a display.

A `Chart` holds its id (the HTML element id and the PNG file name), a title, a caption in
domain words and the figure. Inline SVG keeps text as text (`svg.fonttype: none`) and every
id inside it is prefixed with the chart's id, so that several charts can share one page.
The helpers here give every chart the same look: axes, colours, period labels, legends.
"""

from __future__ import annotations

import functools
import io
import math
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar, cast

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

STYLE = {
    "svg.fonttype": "none",  # text stays text: smaller, selectable, searchable
    "svg.hashsalt": "magnets-report",  # clip-path ids stable from run to run
    "font.size": 9,
    "font.family": "sans-serif",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.axisbelow": True,
    "legend.frameon": False,
    "savefig.dpi": 110,
}
UNMET, TOTAL, MAIN = "#ffffff", "#333333", "#4c72b0"
TERM_COLOURS = {  # the earned incentive green, the unmet-demand penalty red, in every chart
    "purchase": MAIN,
    "fixed": "#8172b3",
    "production": "#64b5cd",
    "subsidy": "#55a868",
    "build": "#937860",
    "holding": "#ccb974",
    "shortage": "#c44e52",
}
P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Chart:
    """One chart: `id` names its HTML element and its PNG file."""

    id: str
    title: str
    caption: str
    figure: Figure


# ---------------------------------------------------------------- drawing and saving


@contextmanager
def _style() -> Iterator[None]:
    """The report's look; a glyph missing from the font must not stop a report."""
    with matplotlib.rc_context(cast(Any, STYLE)), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing", category=UserWarning)
        yield


def styled(draw: Callable[P, R]) -> Callable[P, R]:
    """`draw` run in the report's look."""

    @functools.wraps(draw)
    def in_style(*args: P.args, **kwargs: P.kwargs) -> R:
        with _style():
            return draw(*args, **kwargs)

    return in_style


def new_axes(width: float, height: float) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def svg_markup(chart: Chart) -> str:
    """The chart as an `<svg>` element to place inline in HTML."""
    out = io.StringIO()
    with _style():
        chart.figure.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    svg = out.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.DOTALL)
    prefix = chart.id + "-"
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m[1]}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m[1]})", svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m[1]}"', svg)
    # matplotlib's `*{...}` style would apply to the whole page: keep it to this chart
    return svg.replace("<svg ", f'<svg class="{chart.id}" ', 1).replace("*{", f"svg.{chart.id} *{{")


def png_bytes(chart: Chart) -> bytes:
    out = io.BytesIO()
    with _style():
        chart.figure.savefig(out, format="png", bbox_inches="tight", metadata={"Software": None})
    return out.getvalue()


def as_label(label: Any) -> str:
    """A label as matplotlib should show it: a `$` in an id is a dollar, not mathtext."""
    return str(label).replace("$", r"\$")


def palette(keys: Sequence[str]) -> dict[str, str]:
    cmap = matplotlib.colormaps["tab10" if len(keys) <= 10 else "tab20"]
    return {k: to_hex(cmap(i % cmap.N)) for i, k in enumerate(keys)}


def period_axis(ax: Axes, periods: Sequence[str]) -> None:
    step = max(1, math.ceil(len(periods) / 24))  # at most about 24 labels
    ticks = range(0, len(periods), step)
    slanted = len(periods) > 6
    ax.set_xticks(
        list(ticks),
        [as_label(periods[i]) for i in ticks],
        rotation=40 if slanted else 0,
        ha="right" if slanted else "center",
    )


def period_marker(periods: Sequence[str]) -> str | None:
    """Dots on each period while they can be told apart."""
    return "o" if len(periods) <= 24 else None


def counted(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def thousands(axis: Any) -> None:
    axis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def legend_right(ax: Axes) -> None:
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
