"""The charts of a report: a plan's, a sweep's, a frontier's and a comparison of plans.

Each chart comes with a caption in domain words that says what it shows and, where there
is one, what stands out; how charts look and are saved is `report_drawing`'s.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from optimizer.model.plan_types import TERMS
from optimizer.report.drawing import (
    MAIN,
    NEAR_POINT,
    TERM_COLOURS,
    TOTAL,
    UNMET,
    Chart,
    Label,
    as_label,
    counted,
    legend_right,
    limit_lines,
    new_axes,
    new_panels,
    palette,
    period_axis,
    place_labels,
    safe_id,
    series_marks,
    styled,
    thousands,
    whole_numbers,
)

# re-exported: report.py and report_page.py take them from here
from optimizer.report.drawing import png_bytes as png_bytes
from optimizer.report.drawing import svg_markup as svg_markup
from optimizer.report.inputs import Frontier, FrontierPoint, PlanContext, Sweep, percentiles
from optimizer.report.terms import TERM_LABELS, signed

# ---------------------------------------------------------------- a plan


@styled
def plan_charts(plan: Mapping[str, Any], ctx: PlanContext, prefix: str = "") -> dict[str, Chart]:
    """The plan's charts by role (flows, origin-share, costs, inventory, licences); a role
    with nothing to show is left out. Chart ids are `prefix` + role."""
    colours = palette(ctx.origins)
    drawn = {
        "flows": _flows(plan, ctx, colours),
        "origin-share": _origin_shares(plan, ctx, colours),
        "costs": _costs(plan, ctx.currency),
        "inventory": _inventory(plan, ctx),
        "licences": _licences(plan),
    }
    return {role: Chart(prefix + role, *found) for role, found in drawn.items() if found}


Drawn = tuple[str, str, Figure] | None  # title, caption, figure


def _flows(plan: Mapping[str, Any], ctx: PlanContext, colours: Mapping[str, str]) -> Drawn:
    used: dict[tuple[str, str], float] = defaultdict(float)
    unmet: dict[str, float] = defaultdict(float)
    for row in plan["consumption"]:
        used[row["sector"], row["origin"]] += row["kg"]
    for row in plan["shortages"]:
        unmet[row["sector"]] += row["kg"]
    sectors = list(dict.fromkeys([s for s, _ in used] + list(unmet)))
    if not sectors:
        return None
    origins = [o for o in ctx.origins if any((s, o) in used for s in sectors)]
    figure, ax = new_axes(8.5, 1.3 + 0.42 * len(sectors))
    left = [0.0] * len(sectors)
    for origin in origins:
        widths = [used.get((s, origin), 0.0) for s in sectors]
        ax.barh(
            range(len(sectors)), widths, left=left, color=colours[origin], label=as_label(origin)
        )
        left = [a + b for a, b in zip(left, widths, strict=True)]
    short = [i for i, s in enumerate(sectors) if unmet[s] > 0]
    if short:
        ax.barh(
            short,
            [unmet[sectors[i]] for i in short],
            left=[left[i] for i in short],
            color=UNMET,
            edgecolor="#888888",
            hatch="///",
            label="unmet demand",
        )
    ax.set_yticks(range(len(sectors)), [as_label(s) for s in sectors])
    ax.invert_yaxis()
    widest = max(a + unmet[s] for a, s in zip(left, sectors, strict=True))
    ax.set_xlim(0, 1.04 * widest if widest > 0 else 1.0)
    ax.set_xlabel("kg over the horizon")
    thousands(ax.xaxis)
    legend_right(ax)
    total = sum(used.values())
    by_origin = {o: sum(used.get((s, o), 0.0) for s in sectors) for o in origins}
    lead = max(by_origin, key=lambda o: by_origin[o]) if total > 0 else None
    caption = (
        "Kilograms each end-use sector consumes over the horizon, split by the origin of the "
        "rare-earth content; the hatched part is demand left unmet."
        + (
            f" The largest origin is {lead}, with {by_origin[lead] / total:.0%} of all consumption."
            if lead
            else ""
        )
        + (_cap_basis(ctx.origin_caps) if ctx.origin_caps else "")
    )
    return "Flows from origin to sector", caption, figure


def _cap_basis(caps: Mapping[str, float]) -> str:
    """Consumption counts the opening stock; a share cap bounds only each period's new supply."""
    named = ", ".join(f"{as_label(o)} at {c:.0%}" for o, c in caps.items())
    return (
        " Consumption includes the opening stock, so an origin's share of it can exceed its "
        f"policy cap ({named}): the cap bounds each period's deliveries plus domestic "
        "production, as the origin-share chart shows."
    )


SMALL_SHARE = 0.10  # origins that never reach this share get an enlarged panel of their own


def _origin_shares(plan: Mapping[str, Any], ctx: PlanContext, colours: Mapping[str, str]) -> Drawn:
    """All origins on 0–100 %, each with its own marker shape; caps as dark dashes drawn
    above the lines with a label each; origins below 10 % again in an enlarged panel."""
    shares = {(r["origin"], r["period"]): r["share"] for r in plan["origin_share"]}
    if not shares:
        return None
    periods = ctx.periods
    origins = [o for o in ctx.origins if o in ctx.origin_caps or any(k[0] == o for k in shares)]
    series = {o: [100 * shares.get((o, p), 0.0) for p in periods] for o in origins}
    small = [o for o in origins if 0 < max(series[o], default=0) < 100 * SMALL_SHARE]
    zoom = small and len(small) < len(origins)
    figure, panels = new_panels(8.5, [3.2, 1.7] if zoom else [3.6])
    ax = panels[0]
    for i, origin in enumerate(origins):
        for panel in panels if origin in small else panels[:1]:
            panel.plot(
                range(len(periods)),
                series[origin],
                color=colours[origin],
                label=as_label(origin) if panel is ax else None,
                gid=f"{'share' if panel is ax else 'zoom'}-{safe_id(origin)}",
                **series_marks(i, periods),
            )
    period_axis(panels[-1], periods)
    ax.set_ylim(0, 105)
    ax.set_ylabel("% of the period's supply")
    percent = {o: 100 * c for o, c in ctx.origin_caps.items()}
    texts = {o: f"{as_label(o)} cap {c:.0%}" for o, c in ctx.origin_caps.items()}
    limit_lines(ax, "cap", percent, texts, "policy cap")
    if zoom:
        panels[1].set_ylim(0, 1.25 * max(max(series[o]) for o in small))
        panels[1].set_ylabel("%, enlarged")
        panels[1].set_title(
            f"origins below {SMALL_SHARE:.0%} of supply, enlarged", fontsize=8, loc="left"
        )
    legend_right(ax)
    if ctx.origin_caps:
        caps = "; the dark dashed lines, labelled, are the policy caps on an origin's share"
    else:
        caps = "; no cap is drawn (none in the scenario, or no scenario given)"
    enlarged = f"; the lower panel enlarges the origins that stay below {SMALL_SHARE:.0%}"
    caption = (
        "Share of each origin in every period's deliveries plus domestic production"
        + caps
        + (enlarged if zoom else "")
        + "."
    )
    return "Origin share per period", caption, figure


def _costs(plan: Mapping[str, Any], currency: str) -> Drawn:
    terms = plan["terms"]
    names = [t for t in TERMS if t in terms]
    values = [signed(t, terms[t]) for t in names] + [plan["objective"]]
    labels = [TERM_LABELS[t] for t in names] + ["Total (objective)"]
    colours = [TERM_COLOURS[t] for t in names] + [TOTAL]
    figure, ax = new_axes(8.5, 0.9 + 0.38 * len(values))
    bars = ax.barh(range(len(values)), values, color=colours)
    ax.bar_label(bars, labels=[f" {v:,.0f} " for v in values], fontsize=8)
    ax.set_yticks(range(len(values)), labels)
    ax.invert_yaxis()
    ax.axvline(0, color="#777777", linewidth=0.8)
    ax.set_xlabel(f"{as_label(currency) or 'amount'} over the horizon")
    thousands(ax.xaxis)
    ax.margins(x=0.18)
    spent = {t: terms[t] for t in names if t != "subsidy"}
    top = max(spent, key=lambda t: spent[t]) if spent else None
    caption = (
        "The seven terms of the objective; the production incentive is earned, so it is drawn "
        "below zero and subtracted from the total."
        + (f" The largest term is {TERM_LABELS[top].lower()}." if top and spent[top] > 0 else "")
    )
    return "Cost breakdown", caption, figure


def _inventory(plan: Mapping[str, Any], ctx: PlanContext) -> Drawn:
    stock: dict[tuple[str, str], float] = defaultdict(float)
    for row in plan["inventory"]:
        stock[row["product"], row["period"]] += row["kg"]
    products = list(dict.fromkeys([p for p, _ in stock] + list(ctx.safety_stock)))
    if not products:
        return None
    colours = palette(products)
    figure, ax = new_axes(8.5, 3.6)
    xs = range(len(ctx.periods))
    for i, product in enumerate(products):
        ys = [stock.get((product, t), 0.0) for t in ctx.periods]
        ax.plot(
            xs,
            ys,
            color=colours[product],
            label=as_label(product),
            gid=f"stock-{safe_id(product)}",
            **series_marks(i, ctx.periods),
        )
    period_axis(ax, ctx.periods)
    top = max([*stock.values(), *ctx.safety_stock.values(), 0.0])
    ax.set_ylim(0, 1.12 * top if top > 0 else 1.0)
    ax.set_ylabel("kg in stock, end of period")
    thousands(ax.yaxis)
    texts = {p: f"{as_label(p)} safety stock {kg:,.0f}" for p, kg in ctx.safety_stock.items()}
    limit_lines(ax, "safety", ctx.safety_stock, texts, "safety stock", colours)
    legend_right(ax)
    caption = "Stock of each magnet grade at the end of every period, all origins together" + (
        "; the dark dashed lines, labelled, are the safety stocks the scenario requires."
        if ctx.safety_stock
        else "."
    )
    return "Inventory per product", caption, figure


def _licences(plan: Mapping[str, Any]) -> Drawn:
    rows = plan["licences"]
    if not rows:
        return None
    figure, ax = new_axes(8.5, 1.2 + 0.42 * len(rows))
    ys = range(len(rows))
    ax.barh(
        ys,
        [r["quantity"] for r in rows],
        color="#dddddd",
        edgecolor="#999999",
        label="quantity granted",
    )
    used = ax.barh(ys, [r["used"] for r in rows], height=0.5, color="#c44e52", label="used")
    shares = [r["used"] / r["quantity"] if r["quantity"] > 0 else 0.0 for r in rows]
    ax.bar_label(used, labels=[f" {s:.0%}" for s in shares], fontsize=8)
    ax.set_yticks(ys, [as_label(r["licence"]) for r in rows])
    ax.invert_yaxis()
    ax.set_xlabel("kg over the licence's periods")
    thousands(ax.xaxis)
    legend_right(ax)
    full = sum(1 for r in rows if r["quantity"] > 0 and r["used"] >= r["quantity"] * (1 - 1e-9))
    caption = (
        "Kilograms of licensed supply counted against each licence, against the quantity it "
        f"grants; {full} of {counted(len(rows), 'licence')} used in full."
    )
    return "Licence use", caption, figure


# ---------------------------------------------------------------- a sweep, a frontier, a job


@styled
def sweep_charts(sweep: Sweep) -> dict[str, Chart]:
    """The distribution of total cost over the members the statistics speak of."""
    costs = [m.objective for m in sweep.drawn if m.objective is not None]
    if not costs:
        return {}
    base = next((m.objective for m in sweep.members if m.base), None)
    return {"cost-distribution": _distribution(costs, len(sweep.members), base)}


def _distribution(costs: Sequence[float], members: int, base: float | None) -> Chart:
    figure, ax = new_axes(8.5, 3.6)
    bins = min(40, max(5, math.ceil(math.sqrt(len(costs)))))
    ax.hist(costs, bins=bins, color=MAIN, edgecolor="white")
    for q, value in percentiles(costs).items():
        style = "-" if q == 50 else "--"
        ax.axvline(value, color="#c44e52", linestyle=style, label=f"P{q:g} {value:,.0f}")
    if base is not None:
        ax.axvline(base, color=TOTAL, linestyle=":", label=f"base {base:,.0f}")
    ax.set_xlabel("total cost (objective)")
    ax.set_ylabel("members")
    whole_numbers(ax.yaxis)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))  # long amounts: few enough not to touch
    thousands(ax.xaxis)
    legend_right(ax)
    left_out = members - len(costs) - (base is not None)
    caption = (
        f"Total cost of the {counted(len(costs), 'member')} with a plan, with the 5th, 50th and 95th "
        "percentiles marked"
        + ("; the dotted line is the unshocked base" if base is not None else "")
        + (f"; {counted(left_out, 'member')} without a plan left out." if left_out else ".")
    )
    return Chart("cost-distribution", "Distribution of total cost", caption, figure)


@styled
def frontier_charts(frontier: Frontier) -> dict[str, Chart]:
    """Total cost against the share reached, and unmet demand by cap when there is any."""
    solved = [p for p in frontier.evaluated if p.objective is not None]
    if not solved:
        return {}
    charts = {"frontier": _frontier(frontier, solved)}
    if any(p.shortage_kg > 0 for p in solved):
        charts["frontier-shortage"] = _frontier_shortage(frontier.origin, solved)
    return charts


def _frontier(frontier: Frontier, solved: Sequence[FrontierPoint]) -> Chart:
    """x: the share reached (the cap where it is not reported). The line joins the frontier;
    other caps tried (beaten, or the same plan as a tighter cap) are grey dots."""
    line = sorted((p for p in frontier.points if p.objective is not None), key=_share_of)
    beaten = [p for p in solved if p not in set(line)]
    figure, ax = new_axes(8.5, 3.8)
    ax.plot(
        [100 * _share_of(p) for p in line],
        [_cost(p) for p in line],
        marker="o",
        color=MAIN,
        label="frontier",
    )
    if beaten:
        ax.scatter(
            [100 * _share_of(p) for p in beaten],
            [_cost(p) for p in beaten],
            color="#aaaaaa",
            zorder=3,
            label="other caps tried",
        )
    ax.set_xlabel(f"largest share of {as_label(frontier.origin or 'the origin')} in a period, %")
    ax.set_ylabel("total cost (objective)")
    thousands(ax.yaxis)
    ax.margins(x=0.12, y=0.15)  # room for the labels inside the axes
    ax.set_xlim(*ax.get_xlim())  # final limits before the labels are placed
    ax.set_ylim(*ax.get_ylim())
    labels = [Label(f"cap {_cap(p.cap)}", (100 * _share_of(p), _cost(p)), NEAR_POINT) for p in line]
    place_labels(ax, labels, avoid=[(100 * _share_of(p), _cost(p)) for p in [*line, *beaten]])
    legend_right(ax)
    failed = [_cap(p.cap) for p in frontier.evaluated if p.objective is None]
    caption = (
        f"Least total cost under each cap on {frontier.origin or 'the origin'}'s share of "
        "supply, against the share the plan reaches: further left, less dependence on it."
        + (f" Caps without a plan: {', '.join(failed)}." if failed else "")
    )
    return Chart("frontier", "Cost of diversification", caption, figure)


def _share_of(point: FrontierPoint) -> float:
    share = point.share if point.share is not None else point.cap
    return share if share is not None else 0.0


def _cost(point: FrontierPoint) -> float:
    return point.objective if point.objective is not None else math.nan


def _cap(cap: float | None) -> str:
    return "none" if cap is None else f"{100 * cap:.4g}%"


def _frontier_shortage(origin: str, solved: Sequence[FrontierPoint]) -> Chart:
    points = sorted(solved, key=lambda p: -1.0 if p.cap is None else p.cap)
    figure, ax = new_axes(8.5, 3.2)
    ax.bar(range(len(points)), [p.shortage_kg for p in points], color="#c44e52")
    ax.set_xticks(range(len(points)), [_cap(p.cap) for p in points])
    ax.set_xlabel(f"cap on the share of {as_label(origin or 'the origin')}")
    ax.set_ylabel("unmet demand, kg")
    thousands(ax.yaxis)
    caption = "Demand left unmet over the horizon under each cap that has a plan."
    return Chart("frontier-shortage", "Unmet demand by cap", caption, figure)


@styled
def comparison_chart(plans: Sequence[tuple[str, Mapping[str, Any]]]) -> Chart | None:
    """The cost terms of several plans side by side; the subsidy to the left of zero."""
    solved = [(name, plan) for name, plan in plans if plan["objective"] is not None]
    if not solved:
        return None
    figure, ax = new_axes(8.5, 1.2 + 0.45 * len(solved))
    ys = range(len(solved))
    left = [0.0] * len(solved)
    for term in TERMS:
        values = [plan["terms"].get(term, 0.0) for _, plan in solved]
        if term == "subsidy":
            earned = [signed(term, v) for v in values]
            ax.barh(ys, earned, color=TERM_COLOURS[term], label=TERM_LABELS[term])
            continue
        ax.barh(ys, values, left=left, color=TERM_COLOURS[term], label=TERM_LABELS[term])
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.scatter(
        [p["objective"] for _, p in solved],
        ys,
        marker="D",
        color=TOTAL,
        zorder=3,
        label="total (objective)",
    )
    ax.set_yticks(ys, [as_label(name) for name, _ in solved])
    ax.invert_yaxis()
    ax.axvline(0, color="#777777", linewidth=0.8)
    ax.set_xlabel("amount over the horizon")
    thousands(ax.xaxis)
    legend_right(ax)
    caption = (
        "The cost terms of each scenario stacked to their sum before the incentive; the earned "
        "production incentive runs left of zero and the diamond marks the total."
    )
    return Chart("compare-costs", "Cost of each scenario", caption, figure)
