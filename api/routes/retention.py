from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from api.audit import client_ip
from api.deps import RetentionRunner, ServicesDep
from api.errors import STAFF_ERRORS
from api.retention import purge_expired
from api.schemas.system import PurgeResult

router = APIRouter(prefix="/api/v1/retention", tags=["retention"])


@router.post("/purge", response_model=PurgeResult, responses=STAFF_ERRORS)
async def purge_now(dsl: RetentionRunner, services: ServicesDep, request: Request) -> PurgeResult:
    """Run the school's retention purge now (it also runs hourly); always audited."""
    [result] = await run_in_threadpool(purge_expired, services.session_factory, services.blobs,
                                       school_id=dsl.school_id, actor=dsl,
                                       ip=client_ip(request))
    return PurgeResult(school_id=result.school_id, cutoff=result.cutoff,
                       incidents_purged=result.incidents_purged,
                       screenshots_deleted=result.screenshots_deleted)
