"""The plan with and without one source (`POST /v1/why`, `optimizer.whatif.why`): what is
excluded, and the two outcomes with the limits each holds at their bound."""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..solving import PlanStatus
from .conventions import Strict, exactly_one_of
from .documents import Scenario
from .jobs import JobOptions


class Exclusion(Strict):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra=exactly_one_of("supplier", "origin", "plant")
    )

    supplier: str | None = Field(None, min_length=1)
    origin: str | None = Field(None, min_length=1)
    plant: str | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if sum(x is not None for x in (self.supplier, self.origin, self.plant)) != 1:
            raise ValueError("name exactly one supplier, origin or plant")
        return self


class WhyRequest(Strict):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra=exactly_one_of("scenario", "scenario_id")
    )

    scenario: Scenario | None = Field(None, description="The scenario document.")
    scenario_id: str | None = Field(None, description="Or the id of a stored scenario.")
    exclude: Exclusion
    options: JobOptions = Field(default_factory=JobOptions)

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.scenario is None) == (self.scenario_id is None):
            raise ValueError("give either scenario or scenario_id")
        return self


class WhyOutcome(BaseModel):
    status: PlanStatus
    objective: float | None
    shortage_kg: float | None


class LimitAtBound(BaseModel):
    """A limit at its bound (optimizer/insight/binding.py)."""

    constraint: str = Field(description="origin_share, budget or licence.")
    id: str | None
    period: str | None
    used: float = Field(description="Share, currency or kg used.")
    limit: float


class WhyResult(BaseModel):
    """The plan with and without one source (`optimizer.whatif.why`)."""

    excluded: dict[str, Any] = Field(description='{"kind", "id", "suppliers", "plants"}')
    base: WhyOutcome
    without: WhyOutcome
    cost_delta: float | None = Field(description="Objective without minus objective with.")
    shortage_delta_kg: float | None
    base_supply_kg: float | None = Field(description="kg the excluded sources gave in the base.")
    binding: dict[str, list[LimitAtBound]] = Field(
        description='{"base": [...], "without": [...]}: the limits each plan holds at their bound.'
    )
    loss_exceeds_supply: bool | None = Field(
        description="The shortage grows by more than the excluded sources supplied (a binding "
        "cap elsewhere amplifies the loss); null without both plans."
    )
    currency: str
