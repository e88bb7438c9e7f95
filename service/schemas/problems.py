"""What a refusal answers (`ErrorDetail`, the 422 `Problems`) and what a validation-only
request answers when there is nothing to refuse (`Valid`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, JsonValue

from .conventions import Strict


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


class Valid(Strict):
    """The answer of a validation-only request."""

    valid: Literal[True]
