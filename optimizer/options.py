"""Solver options, given one way everywhere (CLI, service, batch jobs)."""

from pydantic import BaseModel, ConfigDict, Field


class SolverLimits(BaseModel):
    """When a solve may stop: the options a caller of the service may set too."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    time_limit: float | None = Field(
        None,
        gt=0,
        allow_inf_nan=False,
        description="Seconds; the best plan found by then comes back.",
    )
    mip_gap: float = Field(
        1e-6,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="Relative MIP gap at which a MILP counts as solved (MODEL.md §5 default 1e-6).",
    )


class SolveOptions(SolverLimits):
    """Every option of a solve: the limits, and how HiGHS runs."""

    threads: int | None = Field(None, ge=1, description="HiGHS threads; default lets HiGHS choose.")
    verbose: bool = Field(False, description="Print HiGHS's log to stdout.")
