"""Request and response bodies. Requests forbid unknown fields; times are UTC ISO 8601."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without a zone; they were written in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


Utc = Annotated[datetime, AfterValidator(_utc)]
UtcOrNone = Annotated[datetime | None, AfterValidator(_utc)]
Scenario = dict[str, Any]  # a scenario document, MODEL.md §1; checked by the optimizer


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- requests --------------------------------------------------------------------------


class JobOptions(Strict):
    time_limit: float | None = Field(
        None,
        gt=0,
        allow_inf_nan=False,
        description="Seconds per scenario; at most the server's limit. Default: the server's.",
    )
    mip_gap: float = Field(
        1e-6, ge=0, le=1, allow_inf_nan=False, description="Relative MIP gap, default 1e-6."
    )


class JobCreate(Strict):
    scenarios: list[Scenario] | None = Field(
        None, min_length=1, description="Scenario documents, solved in this order."
    )
    scenario_ids: list[str] | None = Field(
        None, min_length=1, description="Ids of stored scenarios, solved in this order."
    )
    options: JobOptions = Field(default_factory=JobOptions)

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.scenarios is None) == (self.scenario_ids is None):
            raise ValueError("give either scenarios or scenario_ids")
        return self


# --- responses -------------------------------------------------------------------------


class Valid(BaseModel):
    valid: bool = True


class ScenarioCreated(BaseModel):
    id: str
    name: str
    created_at: Utc


class ScenarioPublic(ScenarioCreated):
    scenario: Scenario = Field(description="The document as submitted.")


class ScenarioList(BaseModel):
    items: list[ScenarioCreated]
    total: int


class JobAccepted(BaseModel):
    id: str
    state: str


class JobPublic(BaseModel):
    id: str
    state: str = Field(description="queued, running, completed, failed or cancelled")
    solved: int = Field(description="Scenarios with a plan (whatever its status).")
    failed: int = Field(description="Scenarios given up on (see plans' `error`).")
    total: int
    options: dict[str, Any]
    created_at: Utc
    started_at: UtcOrNone
    finished_at: UtcOrNone
    error: str | None


class PlanItem(BaseModel):
    scenario: str
    state: str = Field(description="queued, running, solved, failed or cancelled")
    plan: dict[str, Any] | None
    error: str | None = None


class PlanList(BaseModel):
    items: list[PlanItem]


class SummaryList(BaseModel):
    columns: list[str]
    items: list[dict[str, Any]]
