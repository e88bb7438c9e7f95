"""A short human summary of a plan: cost terms, origin shares, shortages, licence use."""

from __future__ import annotations

from collections import defaultdict
from typing import Any


def _money(x: float) -> str:
    return f"{x:>16,.2f}"


def format_summary(plan: dict[str, Any]) -> str:
    cur = plan.get("currency", "")
    lines = [f"scenario  {plan.get('scenario', '')}", f"status    {plan['status']}"]
    if plan.get("message"):
        lines.append(f"message   {plan['message']}")
    if plan["objective"] is None:
        return "\n".join(lines)
    gap = plan.get("mip_gap")
    lines.append(
        f"objective {plan['objective']:,.2f} {cur}"
        + (f"  (MIP gap {gap:.2g})" if gap is not None else "")
    )
    lines += ["", "Cost terms"]
    for term, value in plan["terms"].items():
        sign = "-" if term == "subsidy" else " "
        lines.append(f"  {term:<11}{sign}{_money(value)}")
    lines += ["", *_origin_lines(plan), "", *_shortage_lines(plan), "", *_licence_lines(plan)]
    return "\n".join(lines)


def _origin_lines(plan: dict[str, Any]) -> list[str]:
    shares: dict[str, dict[str, float]] = defaultdict(dict)
    origins: list[str] = []
    for row in plan["origin_share"]:
        shares[row["period"]][row["origin"]] = row["share"]
        if row["origin"] not in origins:
            origins.append(row["origin"])
    if not shares:
        return ["Origin shares: no deliveries or production"]
    out = [
        "Origin shares (% of each period's deliveries + production)",
        "  period      " + "".join(f"{o:>8}" for o in origins),
    ]
    for period, row in shares.items():
        out.append(f"  {period:<12}" + "".join(f"{100 * row.get(o, 0):>7.1f}%" for o in origins))
    return out


def _shortage_lines(plan: dict[str, Any]) -> list[str]:
    by_sector: dict[str, float] = defaultdict(float)
    for row in plan["shortages"]:
        by_sector[row["sector"]] += row["kg"]
    if not by_sector:
        return ["Shortages: none"]
    return ["Shortages (kg over the horizon)"] + [
        f"  {s:<14}{kg:>14,.1f}" for s, kg in by_sector.items()
    ]


def _licence_lines(plan: dict[str, Any]) -> list[str]:
    if not plan["licences"]:
        return ["Licences: none in the scenario"]
    out = ["Licence use (kg)"]
    for row in plan["licences"]:
        pct = 100 * row["used"] / row["quantity"] if row["quantity"] else 0.0
        out.append(
            f"  {row['licence']:<14}{row['used']:>14,.1f} of {row['quantity']:>14,.1f} ({pct:.0f}%)"
        )
    return out
