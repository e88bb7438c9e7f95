"""Request and response bodies. Requests forbid unknown fields; times are UTC ISO 8601.

These models are also the OpenAPI schema clients (and the contract tests) rely on, so
each response model states exactly what the route sends. Class names are the schema's
component names: renaming one changes the published document.

- `conventions.py`: what every body follows (`Strict`, `exactly_one_of`, `Utc`);
- `documents.py`: the scenario and hedge documents, published with the optimizer's schema;
- `problems.py`: refusals (`ErrorDetail`, the 422 `Problems`) and `Valid`;
- `health.py`: the liveness and readiness probes;
- `scenarios.py`: stored scenarios;
- `jobs.py`: a job submitted and the job as kept;
- `plans.py`: what a job's items left (plans, summary, statistics, frontier);
- `hedges.py`: the hedged plan of MODEL.md §6;
- `insight.py`: the plan with and without one source.
"""

from __future__ import annotations

from ..solving import Plan
from .conventions import Strict, Utc, UtcOrNone, exactly_one_of
from .documents import DocumentedAs, Hedge, Scenario
from .health import Health, Readiness
from .hedges import (
    HedgedPlan,
    HedgeEvaluation,
    HedgeModelSize,
    HedgeOutcome,
    HedgeRisk,
    HedgeSample,
    HedgeTimings,
    HereAndNow,
)
from .insight import Exclusion, LimitAtBound, WhyOutcome, WhyRequest, WhyResult
from .jobs import (
    JOB_SOURCES,
    FrontierCreate,
    JobAccepted,
    JobCreate,
    JobList,
    JobOptions,
    JobPublic,
    StoredOptions,
)
from .plans import (
    FrontierList,
    FrontierPoint,
    JobStatistics,
    PlanItem,
    PlanList,
    Spread,
    SummaryList,
)
from .problems import ErrorDetail, Problem, Problems, Valid
from .scenarios import ScenarioCreated, ScenarioList, ScenarioPublic

__all__ = [
    "JOB_SOURCES", "DocumentedAs", "ErrorDetail", "Exclusion", "FrontierCreate",
    "FrontierList", "FrontierPoint", "Health", "Hedge", "HedgeEvaluation", "HedgeModelSize",
    "HedgeOutcome", "HedgeRisk", "HedgeSample", "HedgeTimings", "HedgedPlan", "HereAndNow",
    "JobAccepted", "JobCreate", "JobList", "JobOptions", "JobPublic", "JobStatistics",
    "LimitAtBound", "Plan", "PlanItem", "PlanList", "Problem", "Problems", "Readiness",
    "Scenario", "ScenarioCreated", "ScenarioList", "ScenarioPublic", "Spread", "StoredOptions",
    "Strict", "SummaryList", "Utc", "UtcOrNone", "Valid", "WhyOutcome", "WhyRequest",
    "WhyResult", "exactly_one_of",
]  # fmt: skip
