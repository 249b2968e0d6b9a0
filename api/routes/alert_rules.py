"""Alert and escalation rules of a school, set by its DSL."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy import select

from api import audit
from api.deps import AlertManager, SessionDep
from api.errors import STAFF_ERRORS, responses
from api.models import AlertRule
from api.schemas.alerts import AlertRuleCreate, AlertRulePublic

router = APIRouter(prefix="/api/v1/alert-rules", tags=["alerts"])


def _own_rule(session: SessionDep, school_id: str, rule_id: str) -> AlertRule:
    rule = session.get(AlertRule, rule_id)
    if rule is None or rule.school_id != school_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such alert rule")
    return rule


@router.get("", response_model=list[AlertRulePublic], responses=STAFF_ERRORS)
def list_rules(dsl: AlertManager, session: SessionDep) -> list[AlertRulePublic]:
    rows = session.scalars(select(AlertRule).where(AlertRule.school_id == dsl.school_id)
                           .order_by(AlertRule.created_at, AlertRule.id)).all()
    return [AlertRulePublic.model_validate(r) for r in rows]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AlertRulePublic,
             responses=STAFF_ERRORS)
def create_rule(body: AlertRuleCreate, dsl: AlertManager, session: SessionDep,
                request: Request) -> AlertRulePublic:
    rule = AlertRule(school_id=dsl.school_id, created_by=dsl.id, **body.model_dump(mode="json"))
    session.add(rule)
    session.flush()
    audit.record(session, "alert_rule.created", actor=dsl, target_type="alert_rule",
                 target_id=rule.id, request=request, rule=body.model_dump(mode="json"))
    session.commit()
    return AlertRulePublic.model_validate(rule)


@router.put("/{rule_id}", response_model=AlertRulePublic,
            responses={**STAFF_ERRORS, **responses(404)})
def replace_rule(rule_id: str, body: AlertRuleCreate, dsl: AlertManager, session: SessionDep,
                 request: Request) -> AlertRulePublic:
    rule = _own_rule(session, dsl.school_id, rule_id)
    before = AlertRulePublic.model_validate(rule).model_dump(mode="json")
    for name, value in body.model_dump(mode="json").items():
        setattr(rule, name, value)
    audit.record(session, "alert_rule.changed", actor=dsl, target_type="alert_rule",
                 target_id=rule.id, request=request, before=before,
                 after=body.model_dump(mode="json"))
    session.commit()
    return AlertRulePublic.model_validate(rule)


@router.delete("/{rule_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses={**STAFF_ERRORS, **responses(404)})
def delete_rule(rule_id: str, dsl: AlertManager, session: SessionDep, request: Request) -> None:
    rule = _own_rule(session, dsl.school_id, rule_id)
    before = AlertRulePublic.model_validate(rule).model_dump(mode="json")
    session.delete(rule)
    audit.record(session, "alert_rule.deleted", actor=dsl, target_type="alert_rule",
                 target_id=rule_id, request=request, before=before)
    session.commit()
