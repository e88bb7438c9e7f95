"""What a job's items left: their plans (the plan of MODEL.md §4, or a hedged plan), the
summary table, the statistics over the solved scenarios and a frontier's points.

`Plan` and its row types are frozen dataclasses of `optimizer.model.plan_types`, reached
through `service/solving/`; a table is a list of its rows in the schema. A key whose
value is absent is left out of the plan rather than sent as null (message,
marginal_values, diagnosis, explain_error, timings' explain_s, model, scenario, currency).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..solving import Plan, PlanStatus
from ..tables import ItemState
from .hedges import HedgedPlan


class PlanItem(BaseModel):
    scenario: str
    state: ItemState
    plan: Plan | HedgedPlan | None = Field(
        description="Null until solved, and for failed or cancelled items; a hedge job's "
        "one item holds the hedged plan."
    )
    error: str | None


class PlanList(BaseModel):
    items: list[PlanItem]


class SummaryList(BaseModel):
    columns: list[str]
    items: list[dict[str, str | float | None]] = Field(
        description="One row per scenario, keyed by the columns; null where a plan has no value."
    )


class Spread(BaseModel):
    mean: float | None
    p5: float | None
    p50: float | None
    p95: float | None


class JobStatistics(BaseModel):
    """Over the job's solved scenarios (a sweep's `base` member left out)."""

    members: int
    solved: int
    statuses: dict[str, int]
    total_cost: Spread
    shortage_kg: dict[str, Spread] = Field(description="Per sector.")


class FrontierPoint(BaseModel):
    cap: float
    status: PlanStatus
    objective: float | None
    share: float | None = Field(description="The largest share over the periods.")
    share_mean: float | None
    shortage_kg: float | None


class FrontierList(BaseModel):
    origin: str
    points: list[FrontierPoint] = Field(description="The non-dominated points, by share.")
    evaluated: list[FrontierPoint] = Field(description="Every cap with a plan.")
