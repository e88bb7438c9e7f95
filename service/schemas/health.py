"""What the liveness and readiness probes answer."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    database: bool = Field(description="The database answers a query.")
    dispatcher: bool = Field(description="The job dispatcher thread runs.")
