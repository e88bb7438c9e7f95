"""The hedged plan of MODEL.md §6 (`optimizer.whatif.hedge_values`): one plan whose
decisions before `reveal` hold in every outcome, each outcome's cost under it, the values
that price it, and its out-of-sample evaluation.

Keys whose value is absent are left out, as in a plan: `message` (no solution), `sample`
(outcomes drawn from a sample), and all but status, message, objective, name and timings
when the hedge could not be solved at all (status `error`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, JsonValue

from ..solving import Contract, Delivery, PlanStatus, PlantBuilt, Production, Terms


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
