"""The OpenAPI document is complete: every operation has a response model and its errors."""
from __future__ import annotations

import pytest

from api import Settings, create_app


@pytest.fixture(scope="module")
def spec() -> dict:
    return create_app(Settings(mode="dev", keywords_only=True)).openapi()


def operations(spec):
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            yield f"{method.upper()} {path}", op


def test_every_success_response_has_a_schema(spec):
    missing = []
    for name, op in operations(spec):
        for status, response in op["responses"].items():
            if status.startswith("2") and status != "204":
                content = response.get("content", {})
                if not any(v.get("schema") or k.startswith("image/") or k == "text/csv"
                           for k, v in content.items()):
                    missing.append(f"{name} {status}")
    assert missing == []


def test_every_error_uses_the_error_schema(spec):
    wrong = []
    for name, op in operations(spec):
        for status, response in op["responses"].items():
            if status[0] in "45":
                ref = response["content"]["application/json"]["schema"]["$ref"]
                if not ref.endswith(("/ErrorResponse", "/ValidationErrorResponse")):
                    wrong.append(f"{name} {status}: {ref}")
    assert wrong == []
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_every_operation_says_what_it_is(spec):
    for name, op in operations(spec):
        assert op.get("tags"), name
        assert op.get("summary"), name


def test_authenticated_operations_declare_their_security(spec):
    open_ops = {"GET /healthz", "POST /api/v1/devices/enrol", "POST /api/v1/auth/login"}
    for name, op in operations(spec):
        if name in open_ops:
            assert "security" not in op, name
        else:
            assert op.get("security"), name
            assert "401" in op["responses"], name


@pytest.mark.parametrize("operation,statuses", [
    ("POST /api/v1/hits", {"200", "201", "400", "401", "413", "415", "422", "503", "507"}),
    ("GET /api/v1/incidents/{incident_id}", {"200", "401", "403", "404"}),
    ("POST /api/v1/devices/enrol", {"201", "401", "422"}),
])
def test_the_agent_contract_statuses_are_documented(spec, operation, statuses):
    assert statuses <= set(dict(operations(spec))[operation]["responses"])


def test_the_screenshot_route_documents_image_types(spec):
    op = dict(operations(spec))["GET /api/v1/incidents/{incident_id}/screenshot"]
    assert set(op["responses"]["200"]["content"]) >= {"image/png", "image/webp", "image/jpeg"}
