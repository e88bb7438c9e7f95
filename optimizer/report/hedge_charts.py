"""The chart of a hedged plan (MODEL.md §6): what each outcome costs under the plan, with
the expected cost and the CVaR marked. A few outcomes are one bar each, named; a sample
of many is a histogram weighted by probability."""

from __future__ import annotations

import math

from matplotlib.ticker import MaxNLocator

from optimizer.report.drawing import (
    MAIN,
    TOTAL,
    Chart,
    as_label,
    counted,
    legend_right,
    new_axes,
    styled,
    thousands,
)
from optimizer.report.inputs import HedgedPlan, HedgeOutcome

FEW = 12  # outcomes drawn one bar each; more are a histogram
CVAR_COLOUR = "#c44e52"


@styled
def hedge_charts(hedge: HedgedPlan) -> dict[str, Chart]:
    """The cost across outcomes, when the plan has one."""
    solved = hedge.solved
    if not solved or hedge.expected_cost is None:
        return {}
    return {"hedge-costs": _outcome_costs(hedge, solved)}


def _outcome_costs(hedge: HedgedPlan, solved: list[HedgeOutcome]) -> Chart:
    few = len(solved) <= FEW
    if few:
        ordered = sorted(solved, key=lambda o: o.objective or 0.0)
        figure, ax = new_axes(8.5, 1.5 + 0.42 * len(ordered))
        ys = range(len(ordered))
        ax.barh(ys, [o.objective or 0.0 for o in ordered], color=MAIN, height=0.6)
        ax.set_yticks(ys, [f"{as_label(o.name)} ({o.probability:.0%})" for o in ordered])
        ax.invert_yaxis()
    else:
        figure, ax = new_axes(8.5, 3.6)
        bins = min(40, max(5, math.ceil(math.sqrt(len(solved)))))
        ax.hist(
            [o.objective or 0.0 for o in solved],
            bins=bins,
            weights=[o.probability for o in solved],
            color=MAIN,
            edgecolor="white",
        )
        ax.set_ylabel("probability")
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))  # long amounts: few enough not to touch
    expected, cvar = hedge.expected_cost or 0.0, hedge.cvar
    ax.axvline(expected, color=TOTAL, linestyle="-", label=f"expected {expected:,.0f}")
    if cvar is not None:
        label = f"CVaR {hedge.alpha:.0%} {cvar:,.0f}"
        ax.axvline(cvar, color=CVAR_COLOUR, linestyle="--", label=label)
    ax.set_xlabel(
        f"total cost under the plan{' (' + hedge.currency + ')' if hedge.currency else ''}"
    )
    thousands(ax.xaxis)
    legend_right(ax)
    left_out = len(hedge.outcomes) - len(solved)
    shape = (
        "one bar each, cheapest first, with its probability"
        if few
        else "as a histogram whose heights are probabilities"
    )
    caption = (
        f"Total cost of the {counted(len(solved), 'outcome')} with the plan's here-and-now "
        f"decisions, {shape}. The solid line is the expected cost; the dashed line the CVaR at "
        f"{hedge.alpha:.0%}, the mean cost of the worst {1 - hedge.alpha:.0%} of probability."
        + (f" {counted(left_out, 'outcome')} without a cost left out." if left_out else "")
    )
    return Chart("hedge-costs", "Cost across outcomes", caption, figure)
