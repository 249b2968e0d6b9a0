"""The DSL's overview: what is arriving, what the model holds back, what is waiting, and
which devices have gone quiet (a silent device is a blind spot, not good news)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request, Response

from api import audit
from api.deps import SessionDep
from api.domain import IncidentStatus
from api.permissions import Permission, allows
from api.routes.devices import list_devices
from api.web import stats
from api.web.auth import AuditReaderPage
from api.web.calls import invoke
from api.web.charts import stacked_columns
from api.web.pages import PageRoute, render
from api.web.templating import category_label

router = APIRouter(route_class=PageRoute, include_in_schema=False)

CHART_WEEKS = 8
RECENT_DAYS = 30


@router.get("/dashboard")
def dashboard_page(request: Request, dsl: AuditReaderPage, session: SessionDep) -> Response:
    now = datetime.now(UTC)
    since = now - timedelta(days=RECENT_DAYS)
    weeks = stats.weeks_until(now, CHART_WEEKS)
    columns = stats.weekly_category_counts(session, dsl.school_id, weeks)
    suppressed_weekly = stats.weekly_category_counts(
        session, dsl.school_id, weeks, statuses=[IncidentStatus.SUPPRESSED])
    recent = stats.status_counts(session, dsl.school_id, since=since)
    total_recent = sum(recent.values())
    suppressed = recent.get(IncidentStatus.SUPPRESSED, 0)
    median, decided = stats.median_time_to_review(session, dsl.school_id, since)
    silent = (invoke(list_devices, staff=dsl, session=session, silent=True)
              if allows(dsl.role, Permission.READ_DEVICES) else [])
    audit.record(session, "dashboard.read", actor=dsl, request=request)
    session.commit()
    return render(request, "dashboard.html", {
        "chart": stacked_columns(columns, label_of=category_label), "columns": columns,
        "weekly_share": [
            (label, sum(counts.values()), sum(s.values()))
            for (label, counts), (_, s) in zip(columns, suppressed_weekly)],
        "chart_weeks": CHART_WEEKS, "recent_days": RECENT_DAYS,
        "total_recent": total_recent, "suppressed": suppressed,
        "suppressed_share": suppressed / total_recent if total_recent else None,
        "backlog": stats.backlog(session, dsl.school_id), "median": median,
        "decided": decided, "silent": silent, "now": now,
    }, active="/dashboard")
