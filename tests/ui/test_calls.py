"""Pages call the API's route functions through `invoke`, which applies each route's own
role check first: the table of who may call what lives in the API, once."""
from __future__ import annotations

import pytest
from fastapi import HTTPException

from api.domain import Role
from api.models import Staff
from api.routes import alert_rules, incidents, pupils
from api.routes import staff as staff_routes
from api.web.calls import invoke

#: (route, role, allowed) — the same answers the HTTP API gives.
CASES = [
    (pupils.list_pupils, Role.REVIEWER, False),
    (pupils.list_pupils, Role.ADMIN, False),
    (alert_rules.list_rules, Role.REVIEWER, False),
    (alert_rules.list_rules, Role.DSL, True),
    (staff_routes.list_staff, Role.DSL, False),
    (staff_routes.list_staff, Role.ADMIN, True),
    (incidents.get_incident, Role.ADMIN, False),
]


@pytest.mark.parametrize(("route", "role", "allowed"), CASES,
                         ids=[f"{r.__name__}-{role}" for r, role, _ in CASES])
def test_invoke_applies_the_routes_own_role_check(ui_server, route, role, allowed):
    with ui_server.session() as session:
        person = session.get(Staff, ui_server.staff_ids[str(role)])
        arguments = {"session": session}
        if route is incidents.get_incident:
            arguments |= {"incident_id": ui_server.incidents["adult"].id, "request": None}
        if allowed:
            assert isinstance(invoke(route, staff=person, **arguments), list)
        else:
            with pytest.raises(HTTPException) as refused:
                invoke(route, staff=person, **arguments)
            assert refused.value.status_code == 403
            assert f"your role ({role})" in refused.value.detail


def test_invoke_says_which_value_a_route_is_missing_or_does_not_take():
    dsl = Staff(role=Role.DSL, school_id="s")
    with pytest.raises(TypeError, match="needs 'session'"):
        invoke(alert_rules.list_rules, staff=dsl)
    with pytest.raises(TypeError, match="takes no colour"):
        invoke(alert_rules.list_rules, staff=dsl, session=None, colour="red")
    with pytest.raises(TypeError, match="needs a signed-in person"):
        invoke(alert_rules.list_rules, session=None)
