"""Solver options, given one way everywhere (CLI, service, batch jobs)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SolveOptions(BaseModel):
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
    threads: int | None = Field(None, ge=1, description="HiGHS threads; default lets HiGHS choose.")
    verbose: bool = Field(False, description="Print HiGHS's log to stdout.")
