"""Exports for case-management systems (CSV, JSON). Every export is audited."""
from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime
from sqlalchemy import func, select

from api import audit
from api.db import utcnow
from api.deps import Exporter, SessionDep
from api.domain import Decision
from api.errors import STAFF_ERRORS
from api.export import csv_chunks, export_query, rows
from api.models import School
from api.schemas.exports import ExportDocument

router = APIRouter(prefix="/api/v1/exports", tags=["exports"])


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


@router.get("/incidents", response_model=ExportDocument,
            responses={200: {"content": {"text/csv": {}},
                             "description": "JSON (ExportDocument) or CSV with the same fields"},
                       **STAFF_ERRORS})
def export_incidents(dsl: Exporter, session: SessionDep, request: Request,
                     format: ExportFormat = ExportFormat.CSV,
                     since: AwareDatetime | None = None, until: AwareDatetime | None = None,
                     decision: Annotated[list[Decision] | None, Query()] = None):
    """Reviewed incidents (by review time), oldest first."""
    query = export_query(dsl.school_id, since, until, decision or [])
    count = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    audit.record(session, "export.incidents", actor=dsl, request=request, format=str(format),
                 since=since.isoformat() if since else None,
                 until=until.isoformat() if until else None,
                 decisions=[str(d) for d in decision or []], count=count)
    session.commit()
    stamp = utcnow()
    items = list(rows(session, query))  # read inside the request's session, then send
    if format == ExportFormat.JSON:
        school = session.get(School, dsl.school_id)
        return ExportDocument(exported_at=stamp, school=school.name, count=len(items),
                              incidents=items)
    filename = f"safeguarding-export-{stamp:%Y%m%d-%H%M%S}"
    return StreamingResponse(
        csv_chunks(iter(items)), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"',
                 "Cache-Control": "no-store"})
