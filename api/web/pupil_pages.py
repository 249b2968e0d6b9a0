"""Pupils, for the DSL: patterns over weeks matter more than any single incident.

The list and the timeline are the API's `list_pupils` and `pupil_timeline` (DSL only,
audited); the chart counts the same pupil's incidents per week through the queue's filters.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.deps import SessionDep, SettingsDep
from api.domain import Decision, IncidentStatus
from api.routes.pupils import list_pupils, pupil_timeline
from api.web import stats
from api.web.auth import PupilReaderPage
from api.web.calls import invoke
from api.web.charts import stacked_columns
from api.web.pages import PageRoute, render
from api.web.templating import category_label

router = APIRouter(route_class=PageRoute, include_in_schema=False)

CHART_WEEKS = 12
TIMELINE_PAGE = 100


@router.get("/pupils")
def pupils_page(request: Request, dsl: PupilReaderPage, session: SessionDep,
                q: Annotated[str, Query(max_length=200)] = "") -> Response:
    page = invoke(list_pupils, staff=dsl, session=session, request=request,
                  q=q.strip() or None, limit=200)
    return render(request, "pupils.html", {"pupils": page.items, "q": q},
                  active="/pupils")


@router.get("/pupil")
def pupil_page(request: Request, dsl: PupilReaderPage, session: SessionDep,
               settings: SettingsDep,
               login: Annotated[str, Query(min_length=1, max_length=512)],
               cursor: Annotated[str, Query(max_length=1000)] = "") -> Response:
    timeline = invoke(pupil_timeline, staff=dsl, session=session, settings=settings,
                      request=request, pupil=login, include_suppressed=True,
                      cursor=cursor or None, limit=TIMELINE_PAGE)
    now = datetime.now(UTC)
    weeks = stats.weeks_until(now, CHART_WEEKS)
    columns = stats.weekly_category_counts(session, dsl.school_id, weeks, pupil=login)
    return render(request, "pupil.html", {
        "pupil": login, "items": timeline.items, "next_cursor": timeline.next_cursor,
        "chart": stacked_columns(columns, width=1000, label_of=category_label), "columns": columns,
        "chart_weeks": CHART_WEEKS,
        "statuses": stats.status_counts(session, dsl.school_id, pupil=login),
        "decisions": stats.decision_counts(session, dsl.school_id, pupil=login),
        "decision_order": list(Decision), "status_enum": IncidentStatus, "now": now,
    }, active="/pupils")
