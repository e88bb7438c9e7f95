"""Request and response bodies. Requests forbid unknown fields; times are UTC ISO 8601.

These models are also the OpenAPI schema clients (and the contract tests) rely on, so
each response model states exactly what the route sends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    JsonValue,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from .solving import (
    MAX_OUTCOMES,
    Contract,
    Delivery,
    Plan,
    PlanStatus,
    PlantBuilt,
    Production,
    SolverLimits,
    Terms,
)
from .solving import HedgeSchema as HedgeModel  # its JSON schema only
from .solving import ScenarioSchema as ScenarioModel  # its JSON schema only
from .tables import ItemState, JobState


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without a zone; they were written in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


Utc = Annotated[datetime, AfterValidator(_utc)]
UtcOrNone = Annotated[datetime | None, AfterValidator(_utc)]


@dataclass(frozen=True)
class DocumentedAs:
    """Publish `model`'s JSON schema for a value the route takes as plain JSON: the
    optimizer checks the document itself, naming every problem with its pointer."""

    model: type[BaseModel]
    edit: Callable[[JsonSchemaValue], None] | None = None  # applied to the model's schema

    def __get_pydantic_json_schema__(
        self, _schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(self.model.__pydantic_core_schema__)
        if self.edit is not None:
            self.edit(handler.resolve_ref_schema(schema))
        return schema


# A scenario document, MODEL.md §1. The schema states its shape; references between ids,
# per-period list lengths and the server's size caps are checked on top (422).
Scenario = Annotated[dict[str, Any], DocumentedAs(ScenarioModel)]


# A hedge document, MODEL.md §6: the base scenario inline, the outcomes (listed, or a
# sample), reveal, risk. The rules tying outcomes to base and the server's size caps
# (summed over the outcomes) are checked on top (422).
def _outcome_count_in_words(schema: JsonSchemaValue) -> None:
    """The listed outcomes' maximum said in words rather than as `maxItems`: a list longer
    than that is larger than a body the server reads (413 before any rule is looked at),
    which a schema's reader would take for accepting it; it is still refused (422)."""
    outcomes = schema["properties"]["outcomes"]
    for branch in outcomes.get("oneOf", outcomes.get("anyOf", [])):
        most = branch.pop("maxItems", None) if branch.get("type") == "array" else None
        if most is not None:
            outcomes["description"] = (
                f"The outcomes: a list of at most {most:,} (422 beyond), or a sample."
            )


Hedge = Annotated[dict[str, Any], DocumentedAs(HedgeModel, _outcome_count_in_words)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def exactly_one_of(*fields: str) -> dict[str, Any]:
    """JSON Schema for "exactly one of these fields, not null": the `oneOf` of one branch
    per field, each requiring it with a value (null, like absence, means "not given").
    The model's own validator answers the same rule with the 422 problem list."""
    return {
        "oneOf": [
            {"required": [field], "properties": {field: {"not": {"type": "null"}}}}
            for field in fields
        ]
    }


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


# --- responses -------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    """Every refusal other than 422: 401, 404, 409, 413, 429, 503."""

    detail: str


class Problem(BaseModel):
    pointer: str = Field(description="JSON pointer to the offending value ('' for the body).")
    value: JsonValue = Field(description="The offending value; null when large or absent.")
    rule: str = Field(description="The rule it breaks, in words.")


class Problems(BaseModel):
    """422: every problem found in the request, scenario and parameters alike."""

    errors: list[Problem] = Field(min_length=1)


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    database: bool = Field(description="The database answers a query.")
    dispatcher: bool = Field(description="The job dispatcher thread runs.")


class Valid(Strict):
    """The answer of a validation-only request."""

    valid: Literal[True]


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


# --- the plan of MODEL.md §4: the optimizer's own types (service/solving/) -------------
# `Plan` and its row types are frozen dataclasses of `optimizer.model.plan_types`; a
# table is a list of its rows in the schema. A key whose value is absent is left out of
# the plan rather than sent as null (message, marginal_values, diagnosis, explain_error,
# timings' explain_s, model, scenario, currency).


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


# --- the hedged plan of MODEL.md §6 (optimizer.whatif.hedge_values) ----------------------
# Keys whose value is absent are left out, as in a plan: `message` (no solution), `sample`
# (outcomes drawn from a sample), and all but status, message, objective, name and
# timings when the hedge could not be solved at all (status `error`).


class HedgeRisk(BaseModel):
    alpha: float = Field(description="CVaR's level: the worst (1 - alpha) of the probability.")
    weight: float = Field(description="The objective's weight on CVaR (the rest on the mean).")


class HereAndNow(BaseModel):
    """The decisions shared by every outcome: deliveries and production before reveal,
    contracts and plants built over the horizon."""

    deliveries: list[Delivery]
    production: list[Production]
    contracts: list[Contract]
    plants_built: list[PlantBuilt]


class HedgeOutcome(BaseModel):
    name: str
    probability: float
    objective: float | None = Field(description="This outcome's cost under the hedged plan.")
    terms: Terms | None
    shortage_kg: float
    levels: dict[str, JsonValue] | None = Field(
        None, description="A sampled outcome's draw, by axis."
    )
    plan: dict[str, Any] | None = Field(
        None,
        description="With outcome_plans: the outcome's plan tables (a plan less its status, "
        "objective and terms).",
    )


class HedgeSample(BaseModel):
    n: int
    seed: int


class HedgeTimings(BaseModel):
    build_s: float | None = None
    solve_s: float | None = None
    values_s: float | None = Field(None, description="Solving what prices the plan.")
    total_s: float


class HedgeModelSize(BaseModel):
    """The extensive form handed to HiGHS."""

    outcomes: int
    columns: int
    rows: int
    nonzeros: int
    integer_columns: int
    mip: bool


class HedgeEvaluation(BaseModel):
    """The here-and-now decisions fixed and completed at least cost in each of M fresh
    outcomes of the sample's axes, drawn with another seed (`evaluate` and
    `evaluate_seed` of `POST /v1/hedge` or of a hedge job, as `magnets hedge --evaluate`):
    the risk objective out of sample."""

    outcomes: int = Field(description="M, the fresh outcomes.")
    seed: int | None = Field(None, description="The seed they were drawn with.")
    in_sample_objective: float = Field(description="The hedged plan's own objective.")
    objective: float | None = Field(
        None, description="The risk objective on the fresh outcomes; null if one cannot be met."
    )
    expected_cost: float | None = None
    cvar: float | None = None
    standard_error: float | None = None
    ci95: list[float] | None = Field(None, description="objective ± 1.96 standard errors.")
    infeasible: int = Field(description="Fresh outcomes the decisions cannot be completed in.")
    infeasible_outcomes: list[str] = Field(description="The first ten of them, by name.")
    message: str | None = None
    evaluation_s: float


class HedgedPlan(BaseModel):
    """One plan whose decisions before `reveal` hold in every outcome (MODEL.md §6), priced
    against knowing the outcome in advance (EVPI) and against planning for base alone
    (value of hedging)."""

    status: PlanStatus
    name: str
    objective: float | None = Field(
        description="(1 - weight) * expected_cost + weight * cvar; null without a solution."
    )
    message: str | None = Field(None, description="Why there is no solution, in words.")
    currency: str | None = None
    reveal: str | None = Field(None, description="The first period whose decisions may differ.")
    risk: HedgeRisk | None = None
    expected_cost: float | None = None
    cvar: float | None = None
    mip_gap: float | None = None
    here_and_now: HereAndNow | None = None
    outcomes: list[HedgeOutcome] | None = None
    wait_and_see: float | None = Field(
        None, description="The same risk measure of each outcome solved alone."
    )
    evpi: float | None = Field(None, description="objective - wait_and_see.")
    value_of_hedging: float | None = Field(
        None,
        description="Base's own here-and-now decisions completed in every outcome, minus the "
        "objective; null when they cannot be completed in one.",
    )
    value_of_hedging_infeasible_outcome: str | None = Field(
        None, description="The first outcome base's own plan cannot be completed in."
    )
    premium: float | None = Field(
        None, description="Base completed with the hedge's decisions, minus base alone."
    )
    sample: HedgeSample | None = None
    evaluation: HedgeEvaluation | None = Field(
        None, description="The out-of-sample evaluation, when `evaluate` was asked."
    )
    starts: dict[str, int] | None = Field(
        None,
        description="How the outcomes solved alone behind the values were started: `hot` "
        "(from the previous one's basis), `cold`, `rebuilt`; counts.",
    )
    timings: HedgeTimings
    model: HedgeModelSize | None = None
