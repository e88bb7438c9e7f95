"""Liveness and readiness; no key needed."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ..deps import DatabaseDep, DispatcherDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """200 while the process answers."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(db: DatabaseDep, dispatcher: DispatcherDep) -> JSONResponse:
    """200 when the database answers and the job dispatcher runs; 503 otherwise."""
    checks = {"database": db.ping(), "dispatcher": dispatcher.alive()}
    ready = all(checks.values())
    body = {"status": "ready" if ready else "not ready", **checks}
    return JSONResponse(body, status_code=200 if ready else 503)
