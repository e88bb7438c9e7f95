"""A job's summary: one row per scenario, as JSON records or CSV.

Columns: `scenario`, `status` (the plan's status, or the item's state while it has no
plan: queued, running, failed, cancelled), `objective`, the nine cost terms of
MODEL.md §3.6 and §7 (subsidy as a positive amount subtracted), `shortage_kg` (all unmet
demand over the horizon) and one `share_<ORIGIN>` column per origin supplying any
scenario of the job: that origin's share of deliveries plus production, averaged over
the periods with any supply (0 where the origin supplies nothing). Cells a plan cannot
fill (no solution) are null in JSON and empty in CSV.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from .queries import ItemView
from .solving import TERMS, inert

FIXED_COLUMNS = ("scenario", "status", "objective", *TERMS, "shortage_kg")


def summary_rows(items: Sequence[ItemView]) -> tuple[list[str], list[dict[str, Any]]]:
    shares = [_mean_shares(item.plan) for item in items]
    origins = sorted({origin for row in shares for origin in row})
    columns = [*FIXED_COLUMNS, *(f"share_{o}" for o in origins)]
    rows = [_row(item, share, origins) for item, share in zip(items, shares, strict=True)]
    return columns, rows


def to_csv(columns: list[str], rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: "" if v is None else inert(v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def _row(item: ItemView, shares: dict[str, float], origins: list[str]) -> dict[str, Any]:
    plan = item.plan or {}
    solved = plan.get("objective") is not None
    row: dict[str, Any] = {
        "scenario": item.scenario,
        "status": plan.get("status", item.state),
        "objective": plan.get("objective"),
    }
    if "outcomes" in plan:  # a hedged plan (MODEL.md §6): its outcomes weighed by probability
        row.update(_expected(plan["outcomes"]) if solved else dict.fromkeys(TERMS))
        row.setdefault("shortage_kg", None)
    else:
        terms = plan.get("terms") or {}
        row.update({term: terms.get(term) for term in TERMS})
        kg = (r["kg"] for r in plan.get("shortages", []))
        row["shortage_kg"] = sum(kg, 0.0) if solved else None
    row.update({f"share_{o}": shares.get(o, 0.0) if solved else None for o in origins})
    return row


def _expected(outcomes: list[dict[str, Any]]) -> dict[str, float]:
    """Each term and the shortage as expected over a hedged plan's outcomes."""
    expected = dict.fromkeys([*TERMS, "shortage_kg"], 0.0)
    for outcome in outcomes:
        weight = outcome["probability"]
        for term in TERMS:
            expected[term] += weight * (outcome.get("terms") or {}).get(term, 0.0)
        expected["shortage_kg"] += weight * (outcome.get("shortage_kg") or 0.0)
    return expected


def _mean_shares(plan: dict[str, Any] | None) -> dict[str, float]:
    by_period: dict[str, dict[str, float]] = defaultdict(dict)
    for r in (plan or {}).get("origin_share", []):
        by_period[r["period"]][r["origin"]] = r["share"]
    if not by_period:
        return {}
    totals: dict[str, float] = defaultdict(float)
    for period_shares in by_period.values():
        for origin, share in period_shares.items():
            totals[origin] += share
    return {origin: total / len(by_period) for origin, total in totals.items()}
