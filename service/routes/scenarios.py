"""Stored scenarios: `/v1/scenarios`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Query, Response

from .. import queries, store
from ..deps import DatabaseDep, SettingsDep, TenantDep
from ..errors import error_responses
from ..limits import OffLoopRoute, size_limits
from ..schemas import Scenario, ScenarioCreated, ScenarioList, ScenarioPublic
from ..solving import check

router = APIRouter(prefix="/v1/scenarios", tags=["scenarios"], route_class=OffLoopRoute)
NOT_FOUND = "no such scenario"
MAX_OFFSET = 2**31 - 1  # the databases' OFFSET takes a 64-bit integer at most


@router.post("", status_code=201, responses=error_responses(401, 413, 422, 503))
def create_scenario(
    document: Annotated[Scenario, Body(description="A scenario document (MODEL.md §1).")],
    tenant: TenantDep,
    db: DatabaseDep,
    settings: SettingsDep,
) -> ScenarioCreated:
    """Store a valid scenario (422 with every problem otherwise)."""
    name = check(document, size_limits(settings))
    return ScenarioCreated(**store.add_scenario(db, tenant, name, document))


@router.get("", responses=error_responses(401, 422, 503))
def list_scenarios(
    tenant: TenantDep,
    db: DatabaseDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> ScenarioList:
    """The tenant's scenarios, newest first, without their documents."""
    rows, total = queries.list_scenarios(db, tenant, limit, offset)
    return ScenarioList(items=[ScenarioCreated(**row) for row in rows], total=total)


@router.get("/{scenario_id}", responses=error_responses(401, 404, 422, 503))
def get_scenario(scenario_id: str, tenant: TenantDep, db: DatabaseDep) -> ScenarioPublic:
    """Id, name, creation time and the document as submitted (under `scenario`)."""
    row = queries.get_scenario(db, tenant, scenario_id)
    if row is None:
        raise HTTPException(404, NOT_FOUND)
    document = row.pop("document")
    return ScenarioPublic(**row, scenario=document)


@router.delete("/{scenario_id}", status_code=204, responses=error_responses(401, 404, 422, 503))
def delete_scenario(scenario_id: str, tenant: TenantDep, db: DatabaseDep) -> Response:
    """Jobs already submitted keep their own copy of the document."""
    if not store.delete_scenario(db, tenant, scenario_id):
        raise HTTPException(404, NOT_FOUND)
    return Response(status_code=204)
