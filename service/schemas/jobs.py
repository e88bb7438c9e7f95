"""A job submitted (`JobCreate`: scenarios, stored scenarios, a sweep, a frontier or a
hedge, with solver limits) and the job as the service keeps it (`JobPublic`)."""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ..solving import MAX_OUTCOMES, SolverLimits
from ..tables import JobState
from .conventions import Strict, Utc, UtcOrNone, exactly_one_of
from .documents import Hedge, Scenario

# --- requests --------------------------------------------------------------------------


class JobOptions(SolverLimits):
    """The optimizer's solver limits (`SolverLimits`, whose fields `SolveOptions` has
    too): `time_limit` applies to each scenario, at most the server's limit, and is the
    server's when not given; `mip_gap` defaults to 1e-6. Unknown fields are refused."""


class FrontierCreate(Strict):
    scenario: Scenario = Field(description="The scenario whose origin share is capped.")
    origin: str = Field("CN", min_length=1, description="The origin whose share is capped.")
    steps: int = Field(11, ge=1, le=101, description="Caps from 1.0 down to 0, evenly spaced.")


JOB_SOURCES = ("scenarios", "scenario_ids", "sweep", "frontier", "hedge")


class JobCreate(Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra=exactly_one_of(*JOB_SOURCES))

    scenarios: list[Scenario] | None = Field(
        None, min_length=1, description="Scenario documents, solved in this order."
    )
    scenario_ids: list[str] | None = Field(
        None, min_length=1, description="Ids of stored scenarios, solved in this order."
    )
    sweep: dict[str, Any] | None = Field(
        None,
        description="A sweep spec (as `magnets sweep` takes, the base scenario inline): "
        "one scenario per member, named after it.",
    )
    frontier: FrontierCreate | None = Field(
        None, description="One scenario per cap on the origin's share of supply."
    )
    hedge: Hedge | None = Field(
        None,
        description="A hedge document (as `POST /v1/hedge` takes, the base scenario inline): "
        "one item, named after it, whose plan is the hedged plan.",
    )
    evaluate: int | None = Field(
        None,
        ge=1,
        le=MAX_OUTCOMES,
        description="Only with `hedge`, whose outcomes are a sample: also evaluate the "
        "hedged plan's here-and-now decisions on this many fresh outcomes of the sample's "
        "axes, drawn with `evaluate_seed` when the item is solved (its `evaluation`).",
    )
    evaluate_seed: int | None = Field(
        None,
        ge=0,
        description="Only with `evaluate`: the fresh outcomes' seed; default the sample's "
        "seed + 1.",
    )
    options: JobOptions = Field(default_factory=JobOptions)

    # Field validators rather than the model's: the problem points at the field itself.
    # A field that failed its own checks is missing from `info.data`: nothing to add.
    @field_validator("evaluate")
    @classmethod
    def _evaluate_with_hedge(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and "hedge" in info.data and info.data["hedge"] is None:
            raise ValueError("goes with hedge: fresh outcomes of a hedge's sample")
        return value

    @field_validator("evaluate_seed")
    @classmethod
    def _seed_with_evaluate(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and "evaluate" in info.data and info.data["evaluate"] is None:
            raise ValueError("goes with evaluate: the seed of the fresh outcomes it draws")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if sum(getattr(self, field) is not None for field in JOB_SOURCES) != 1:
            raise ValueError("give exactly one of " + ", ".join(JOB_SOURCES))
        return self


# --- responses -------------------------------------------------------------------------


class JobAccepted(BaseModel):
    id: str
    state: JobState


class StoredOptions(BaseModel):
    time_limit: float = Field(description="Seconds per scenario (the server's when none asked).")
    mip_gap: float


class JobPublic(BaseModel):
    id: str
    state: JobState
    solved: int = Field(description="Scenarios with a plan (whatever its status).")
    failed: int = Field(description="Scenarios given up on (see plans' `error`).")
    total: int
    options: StoredOptions
    created_at: Utc
    started_at: UtcOrNone
    finished_at: UtcOrNone
    error: str | None


class JobList(BaseModel):
    items: list[JobPublic] = Field(description="Newest first; each as `GET /v1/jobs/{id}`.")
    total: int = Field(description="The tenant's jobs that match the filter, on every page.")
