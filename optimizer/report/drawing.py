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
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar, cast

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, StrMethodFormatter
from matplotlib.transforms import Bbox

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
    "qualification": "#da8bc3",
    "cap_excess": "#8c8c8c",
}
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")  # one shape per series
LIMIT = "#222222"  # caps and floors: dark dashes drawn above the coloured series they bound
ON_TOP = 4  # zorder of limit lines and their labels; series lines are drawn at 2
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


def new_panels(width: float, heights: Sequence[float]) -> tuple[Figure, list[Axes]]:
    """Panels stacked on one shared x-axis, each as tall (inches) as `heights` says."""
    figure = Figure(figsize=(width, sum(heights) + 0.3 * (len(heights) - 1)))
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(len(heights), 1, height_ratios=list(heights), hspace=0.3)
    first = figure.add_subplot(grid[0])
    rest = [figure.add_subplot(grid[i], sharex=first) for i in range(1, len(heights))]
    for ax in [first, *rest][:-1]:
        ax.tick_params(labelbottom=False)
    return figure, [first, *rest]


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


def series_marks(i: int, periods: Sequence[str]) -> dict[str, Any]:
    """The i-th series' own marker shape (on every period up to 24, on about 24 of them
    beyond): series that lie on one another can still be told apart."""
    return {"marker": MARKERS[i % len(MARKERS)], "markevery": max(1, math.ceil(len(periods) / 24))}


def whole_numbers(axis: Any) -> None:
    """Ticks on whole numbers only: for counts."""
    axis.set_major_locator(MaxNLocator(integer=True))


def counted(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def thousands(axis: Any) -> None:
    axis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def legend_right(ax: Axes) -> None:
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))


# ---------------------------------------------------------------- labels that do not collide


@dataclass(frozen=True)
class Label:
    """A text naming a point or a line. `xy` is in `coords` (matplotlib's `xycoords`);
    `spots` are the places to try in turn: an offset in points and the alignment there."""

    text: str
    xy: tuple[float, float]
    spots: Sequence[tuple[float, float, str, str]]
    coords: Any = "data"
    colour: str = "#555555"


NEAR_POINT = (  # right above, right below, left above, left below, then further out
    (4, 4, "left", "bottom"),
    (4, -4, "left", "top"),
    (-4, 4, "right", "bottom"),
    (-4, -4, "right", "top"),
    (4, 13, "left", "bottom"),
    (4, -13, "left", "top"),
    (-4, 13, "right", "bottom"),
    (-4, -13, "right", "top"),
)
ON_LINE_END = (  # a horizontal line's right end, above then below (clear of a marker's
    (-3, 4, "right", "bottom"),  # radius); then its left end
    (-3, -4, "right", "top"),
    (3, 4, "left", "bottom"),
    (3, -4, "left", "top"),
)


def place_labels(
    ax: Axes, labels: Sequence[Label], avoid: Sequence[tuple[float, float]] = ()
) -> None:
    """Each label at the first of its spots that stays inside the axes and clear of the
    labels placed before it and of the `avoid` points (data coordinates) other than its
    own: a label beside a neighbouring point would seem to name it. Where no spot is
    clear, at the one that collides least. Call it once the axes' limits are final."""
    renderer = cast(FigureCanvasAgg, ax.figure.canvas).get_renderer()
    frame = ax.get_window_extent(renderer)
    points = [(float(x), float(y)) for x, y in ax.transData.transform(avoid)] if avoid else []
    placed: list[Bbox] = []
    for label in labels:
        own = ax.transData.transform(label.xy) if label.coords == "data" else (math.inf, math.inf)
        others = [
            Bbox.from_bounds(x - 10, y - 10, 20, 20)
            for x, y in points
            if math.hypot(x - own[0], y - own[1]) > 1
        ]
        placed.append(_best_spot(ax, label, renderer, frame, [*placed, *others]))


def _best_spot(ax: Axes, label: Label, renderer: Any, frame: Bbox, taken: list[Bbox]) -> Bbox:
    """Draws `label` at its first clear spot (or its least colliding); its padded box."""
    tried: list[tuple[float, int, Any, Bbox]] = []  # collision, rank, text, box
    for dx, dy, ha, va in label.spots:
        text = ax.annotate(
            label.text,
            label.xy,
            xycoords=label.coords,
            xytext=(dx, dy),
            textcoords="offset points",
            ha=ha,
            va=va,
            fontsize=7,
            color=label.colour,
            zorder=ON_TOP,
        )
        box = _padded(text.get_window_extent(renderer))
        tried.append((_collision(box, frame, taken), len(tried), text, box))
        if tried[-1][0] == 0:
            break
    best = min(tried, key=lambda t: t[:2])
    for _, _, text, _ in tried:
        if text is not best[2]:
            text.remove()
    return best[3]


def _padded(box: Bbox) -> Bbox:
    """A little room around a text: a browser measures its font a little differently."""
    return Bbox.from_extents(box.x0 - 2, box.y0 - 1, box.x1 + 0.08 * box.width + 2, box.y1 + 1)


def _collision(box: Bbox, frame: Bbox, taken: Sequence[Bbox]) -> float:
    """Area (pixels²) of `box` outside `frame` plus its overlap with each box `taken`."""
    inside = _overlap(box, frame)
    return box.width * box.height - inside + sum(_overlap(box, other) for other in taken)


def _overlap(a: Bbox, b: Bbox) -> float:
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(0.0, width) * max(0.0, height)


# ---------------------------------------------------------------- caps and floors


def limit_lines(
    ax: Axes,
    kind: str,
    at: Mapping[str, float],
    texts: Mapping[str, str],
    legend: str,
    colours: Mapping[str, str] | None = None,
) -> None:
    """Limits (caps, floors) as dark dashes drawn above the series, whose colour would hide
    a dashed line of their own where a series runs at its limit: line `key` at height
    `at[key]`, its SVG id `kind-key`, labelled `texts[key]` at its right end (keys at one
    height share a label) in `colours[key]`; one legend entry `legend` for them all."""
    if not at:
        return
    for key, y in at.items():
        ax.axhline(
            y,
            color=LIMIT,
            linestyle="--",
            linewidth=1.2,
            zorder=ON_TOP,
            gid=f"{kind}-{safe_id(key)}",
        )
    ax.plot([], [], color=LIMIT, linestyle="--", linewidth=1.2, label=legend)
    heights: dict[float, list[str]] = {}
    for key, y in at.items():
        heights.setdefault(y, []).append(key)
    colour = colours or {}
    place_labels(
        ax,
        [
            Label(
                "; ".join(texts[k] for k in keys),
                (1.0, y),
                ON_LINE_END,
                ("axes fraction", "data"),
                colour.get(keys[0], LIMIT),
            )
            for y, keys in heights.items()
        ],
    )


def safe_id(key: str) -> str:
    """An id part for an SVG element (matplotlib's `gid`): letters, digits, `-` and `_`."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", key)
