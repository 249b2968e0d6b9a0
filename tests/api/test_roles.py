"""Every route x every role: allowed, forbidden, signed out, and another school's data.

The table says who may do what, in the words of the permissions table (api/permissions.py):
reviewers see and decide incidents; the DSL also sees pupils, exports, audit and settings;
the admin runs accounts, devices and the phrase overlay and does not read incidents.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from tests.api.conftest import SchoolWorld
from tests.api.factories import CueJudge, hit, image_bytes, post_hit

R, D, A = "reviewer", "dsl", "admin"
STAFF = {R, D, A}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    allowed: frozenset[str]
    body: dict | None = None
    ok: int = 200

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def route(method: str, path: str, allowed: set[str], body: dict | None = None,
          ok: int = 200) -> Route:
    return Route(method, path, frozenset(allowed), body, ok)


RULE = {"name": "Severity 4+", "trigger": "new_incident", "min_severity": 4}
OVERLAY = {"add": [{"phrase": "skibidi knife", "category": "violence", "severity": 3}]}

ROUTES = [
    route("GET", "/api/v1/auth/me", STAFF),
    route("GET", "/api/v1/auth/tokens", STAFF),
    route("POST", "/api/v1/auth/tokens", STAFF, {"name": "script"}, 201),
    route("POST", "/api/v1/auth/logout", STAFF, ok=204),
    route("GET", "/api/v1/school", STAFF),
    route("PATCH", "/api/v1/school", {D}, {"retention_months": 12}),
    route("GET", "/api/v1/school/overlay", {A}),
    route("PUT", "/api/v1/school/overlay", {A}, OVERLAY),
    route("GET", "/api/v1/staff", {A}),
    route("POST", "/api/v1/staff", {A}, {"email": "new@x.example", "name": "New", "role": R},
          201),
    route("GET", "/api/v1/staff/{staff}", {A}),
    route("PATCH", "/api/v1/staff/{staff}", {A}, {"name": "Renamed"}),
    route("POST", "/api/v1/staff/{staff}/reset-password", {A}),
    route("GET", "/api/v1/enrolment-keys", {A}),
    route("POST", "/api/v1/enrolment-keys", {A}, {"name": "ICT suite"}, 201),
    route("POST", "/api/v1/enrolment-keys/{key}/revoke", {A}),
    route("GET", "/api/v1/devices", {A, D}),
    route("GET", "/api/v1/devices/{device}", {A, D}),
    route("POST", "/api/v1/devices/{device}/revoke", {A}),
    route("GET", "/api/v1/incidents", {R, D}),
    route("GET", "/api/v1/incidents/{incident}", {R, D}),
    route("GET", "/api/v1/incidents/{incident}/screenshot", {R, D}),
    route("GET", "/api/v1/incidents/{incident}/reviews", {R, D}),
    route("POST", "/api/v1/incidents/{incident}/reviews", {R, D}, {"decision": "concern"}, 201),
    route("POST", "/api/v1/incidents/{suppressed}/promote", {R, D}, {"note": "model wrong"}),
    route("GET", "/api/v1/pupils", {D}),
    route("GET", "/api/v1/pupils/timeline?pupil=NFA%5Cj.carter", {D}),
    route("GET", "/api/v1/alert-rules", {D}),
    route("POST", "/api/v1/alert-rules", {D}, RULE, 201),
    route("PUT", "/api/v1/alert-rules/{rule}", {D}, RULE),
    route("DELETE", "/api/v1/alert-rules/{rule}", {D}, ok=204),
    route("GET", "/api/v1/audit", {D}),
    route("GET", "/api/v1/exports/incidents?format=json", {D}),
    route("GET", "/api/v1/exports/incidents?format=csv", {D}),
    route("POST", "/api/v1/retention/purge", {D}),
]

DEVICE_ROUTES = [
    route("POST", "/api/v1/devices/heartbeat", set(), {
        "agent_version": "1", "spool_depth": 0, "dropped_screenshots": 0}),
    route("GET", "/api/v1/phrases/overlay", set()),
]


@pytest.fixture
def judge():
    return CueJudge()


@dataclass
class Objects:
    """Northfield's things that the routes act on, by placeholder."""

    ids: dict[str, str]

    def path(self, template: str) -> str:
        return template.format(**self.ids)


def objects_of(client, world: SchoolWorld) -> Objects:
    tag = uuid.uuid4().hex[:6]  # each call makes new incidents, not retries of old ones
    new = post_hit(client, world.device, hit(context=f"{tag}: i want to die"),
                   image_bytes()).json()["incident_id"]
    suppressed = post_hit(client, world.device, hit(
        context=f"{tag}: this maths homework makes me want to die", phrase="want to die"))
    rule = client.post("/api/v1/alert-rules", json=RULE, headers=world.auth(D)).json()["id"]
    key = client.get("/api/v1/enrolment-keys", headers=world.auth(A)).json()[0]["id"]
    return Objects({"incident": new, "suppressed": suppressed.json()["incident_id"],
                    "rule": rule, "key": key, "device": world.device_id,
                    "staff": world.staff["reviewer"].id})


@pytest.fixture
def objects(client, northfield) -> Objects:
    return objects_of(client, northfield)


def call(client, r: Route, path: str, headers: dict[str, str]):
    return client.request(r.method, path, json=r.body, headers=headers)


CASES = [(r, role) for r in ROUTES for role in (R, D, A)]


@pytest.mark.parametrize("r,role", CASES, ids=[f"{r} as {role}" for r, role in CASES])
def test_each_role_gets_exactly_its_permissions(client, northfield, objects, r, role):
    response = call(client, r, objects.path(r.path), northfield.auth(role))
    if role in r.allowed:
        assert response.status_code == r.ok, response.text
    else:
        assert response.status_code == 403, response.text
        assert f"your role ({role})" in response.json()["detail"]


#: Auth is checked before any look-up, so these cases need no real objects.
NOBODY = Objects({name: str(uuid.UUID(int=0)) for name in (
    "incident", "suppressed", "rule", "key", "device", "staff")})


@pytest.mark.parametrize("r", ROUTES, ids=str)
def test_signed_out_is_401(client, r):
    response = call(client, r, NOBODY.path(r.path), {})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("r", ROUTES, ids=str)
def test_a_device_token_opens_no_staff_route(client, northfield, r):
    response = call(client, r, NOBODY.path(r.path), northfield.device)
    assert response.status_code == 401


@pytest.mark.parametrize("r", DEVICE_ROUTES, ids=str)
@pytest.mark.parametrize("role", [R, D, A])
def test_a_staff_token_opens_no_device_route(client, northfield, r, role):
    assert call(client, r, r.path, northfield.auth(role)).status_code == 401
    assert call(client, r, r.path, northfield.device).status_code == 200


OBJECT_ROUTES = [r for r in ROUTES if "{" in r.path]


@pytest.mark.parametrize("r", OBJECT_ROUTES, ids=str)
def test_another_schools_objects_are_not_found(client, northfield, southfield, objects, r):
    """Southfield staff with the right role still cannot reach Northfield's things: 404, as if
    they did not exist (a 403 would confirm that they do)."""
    role = min(r.allowed)
    response = call(client, r, objects.path(r.path), southfield.auth(role))
    assert response.status_code == 404, response.text


LIST_ROUTES = [r for r in ROUTES if "{" not in r.path and r.method == "GET"]


@pytest.mark.parametrize("r", LIST_ROUTES, ids=str)
def test_lists_show_nothing_of_another_school(client, northfield, southfield, objects, r):
    client.post(f"/api/v1/incidents/{objects.ids['incident']}/reviews",
                json={"decision": "urgent"}, headers=northfield.auth(D))
    for role in r.allowed:
        response = call(client, r, r.path, southfield.auth(role))
        assert response.status_code == 200
        for name, value in objects.ids.items():
            assert value not in response.text, f"{name} of Northfield leaked to Southfield"
        assert "want to die" not in response.text
        if "pupil=" not in r.path:  # the timeline echoes the login it was asked about
            assert "j.carter" not in response.text


def test_the_same_routes_work_for_their_own_school(client, northfield, southfield, objects):
    """The cross-school 404s are about the school, not the route: Southfield's own work."""
    own = objects_of(client, southfield)
    for r in sorted(OBJECT_ROUTES, key=lambda r: r.path.startswith("/api/v1/devices")):
        role = min(r.allowed)
        fresh = objects_of(client, southfield) if r.method in ("POST", "DELETE", "PUT") else own
        response = call(client, r, fresh.path(r.path), southfield.auth(role))
        assert response.status_code == r.ok, f"{r}: {response.text}"
