"""Stored scenarios: what storing one answers, one read back, and the tenant's list."""

from __future__ import annotations

from pydantic import BaseModel, Field

from .conventions import Utc
from .documents import Scenario


class ScenarioCreated(BaseModel):
    id: str
    name: str
    created_at: Utc


class ScenarioPublic(ScenarioCreated):
    scenario: Scenario = Field(description="The document as submitted.")


class ScenarioList(BaseModel):
    items: list[ScenarioCreated]
    total: int
