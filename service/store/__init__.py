"""Every database write of the service, each in one transaction.

Job and item states change only here. A plan is written by a conditional UPDATE that
also checks the job's state, so a job cancelled a moment earlier never gains a plan.

Items are leased to the node that claims them (`leased_by`, `lease_expires_at`): the
node renews its leases while solving (`renew_leases`), and a plan, a lost solve or a
graceful hand-back is written only while `leased_by` still names that node. A running
item whose lease has run out is taken back by any node (`reclaim_expired`), at the cost
of an attempt, so a node that died, or was cut off from the database, loses its items
to the others, and it cannot store a second plan for them afterwards.

- `shapes.py`: what callers hand the store (a submission, its members) and get back;
- `accounts.py`: tenants, keys, stored scenarios;
- `submission.py`: jobs submitted and cancelled;
- `leases.py`: items claimed, renewed, handed and taken back (the dispatcher's side);
- `recording.py`: what a solve left (plan, lost attempt, failure, cancellation);
- `clock.py`: the time leases are measured against.
"""

from __future__ import annotations

from .accounts import add_scenario, create_key, delete_scenario, ensure_tenant, revoke_keys
from .clock import lease_clock, now
from .leases import (
    claim_items,
    claim_runs,
    member_runs,
    reclaim_expired,
    reclaim_from,
    renew_leases,
    requeue_abandoned,
    return_items,
    running_lessees,
)
from .recording import record_cancelled, record_failed, record_lost, record_plan
from .shapes import (
    DEFAULT_LEASE_S,
    DEFAULT_NODE,
    MAX_ATTEMPTS,
    ClaimedItem,
    IdempotencyConflict,
    JobSubmission,
    Member,
    TooManyJobs,
)
from .submission import cancel_job, replayed_job, submit_job

__all__ = [
    "DEFAULT_LEASE_S", "DEFAULT_NODE", "MAX_ATTEMPTS", "ClaimedItem", "IdempotencyConflict",
    "JobSubmission", "Member", "TooManyJobs", "add_scenario", "cancel_job", "claim_items",
    "claim_runs", "create_key", "delete_scenario", "ensure_tenant", "lease_clock",
    "member_runs", "now", "reclaim_expired", "reclaim_from", "record_cancelled",
    "record_failed", "record_lost", "record_plan", "renew_leases", "replayed_job",
    "requeue_abandoned", "return_items", "revoke_keys", "running_lessees", "submit_job",
]  # fmt: skip
