"""What every body follows: requests forbid unknown fields (`Strict`), a choice of
sources is "exactly one of" them (`exactly_one_of`), and times are UTC (`Utc`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without a zone; they were written in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


Utc = Annotated[datetime, AfterValidator(_utc)]
UtcOrNone = Annotated[datetime | None, AfterValidator(_utc)]


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
