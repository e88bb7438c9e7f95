"""What callers hand the store and get back from it: a job submission and its items, a
claimed item, and the refusals a submission can meet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_ATTEMPTS = 3
DEFAULT_NODE = "local"  # the node of callers that name none (one service per database)
DEFAULT_LEASE_S = 30.0


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before with a different request body."""


class TooManyJobs(Exception):
    """The tenant already has its maximum of queued or running jobs."""


@dataclass(frozen=True)
class Member:
    """A scenario made from another in the solver process: `base` (stored once for the
    job, however many members share it) with `change` applied, a sweep member's or a
    frontier cap's shocks and name (see solving.member_document)."""

    base: dict[str, Any]
    change: dict[str, Any]


@dataclass(frozen=True)
class JobSubmission:
    """`items`: (scenario name, document or Member), in submission order. A document
    object given more than once (a scenario id repeated) is stored once."""

    items: list[tuple[str, Any]]
    options: dict[str, Any]
    idempotency_key: str | None
    request_sha256: str


@dataclass(frozen=True)
class ClaimedItem:
    id: int
    job_id: str
    document: str  # the scenario, or a member's base, as JSON text
    options: dict[str, Any]
    position: int = 0
    scenario: str = ""
    change: dict[str, Any] | None = None  # a member's: applied to `document` when solved
