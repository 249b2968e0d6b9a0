"""Exports for case-management systems (CPOMS, MyConcern): reviewed incidents, CSV and JSON."""
from __future__ import annotations

import csv
import io

import pytest

from api.schemas.exports import ExportRow
from tests.api.factories import hit, post_hit


@pytest.fixture
def reviewed(client, northfield) -> dict[str, str]:
    ids = {}
    for name, record, decision in [
        ("urgent", hit(), "urgent"),
        ("innocent", hit(context="nobody likes you", phrase="nobody likes you",
                         category="bullying", severity=3), "innocent"),
        ("formula", hit(context="=HYPERLINK(\"http://x\") want to die", user="+NFA\\x.y"),
         "concern"),
        ("unreviewed", hit(context="i want to die tonight"), None),
    ]:
        ids[name] = post_hit(client, northfield.device, record).json()["incident_id"]
        if decision:
            client.post(f"/api/v1/incidents/{ids[name]}/reviews", headers=northfield.auth("dsl"),
                        json={"decision": decision, "note": f"note for {name}"})
    return ids


def export(client, world, **params):
    r = client.get("/api/v1/exports/incidents", params=params, headers=world.auth("dsl"))
    assert r.status_code == 200, r.text
    return r


def test_csv_has_the_fields_case_management_imports(client, northfield, reviewed):
    r = export(client, northfield, format="csv")
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert list(rows[0]) == list(ExportRow.model_fields)
    by_id = {row["incident_id"]: row for row in rows}
    assert set(by_id) == {reviewed["urgent"], reviewed["innocent"], reviewed["formula"]}
    urgent = by_id[reviewed["urgent"]]
    assert (urgent["school"], urgent["pupil"], urgent["decision"], urgent["category_label"],
            urgent["reviewed_by"], urgent["note"], urgent["device"]) == (
        "Northfield Academy", "NFA\\j.carter", "urgent", "Suicide", "Dsl of Northfield Academy",
        "note for urgent", "NORTHFIELD-PC-01")


def test_csv_cells_cannot_run_as_spreadsheet_formulas(client, northfield, reviewed):
    rows = {r["incident_id"]: r for r in csv.DictReader(io.StringIO(
        export(client, northfield, format="csv").text))}
    formula = rows[reviewed["formula"]]
    assert formula["context"].startswith("'=HYPERLINK")
    assert formula["pupil"] == "'+NFA\\x.y"


def test_json_has_the_same_rows(client, northfield, reviewed):
    body = export(client, northfield, format="json").json()
    assert body["school"] == "Northfield Academy" and body["count"] == 3
    assert {i["incident_id"] for i in body["incidents"]} == {
        reviewed["urgent"], reviewed["innocent"], reviewed["formula"]}
    formula = next(i for i in body["incidents"] if i["incident_id"] == reviewed["formula"])
    assert formula["context"].startswith("=HYPERLINK")  # JSON is data, not a spreadsheet


@pytest.mark.parametrize("decisions,expected", [
    (["urgent"], {"urgent"}), (["urgent", "concern"], {"urgent", "formula"}),
    (["innocent"], {"innocent"}),
])
def test_export_by_decision(client, northfield, reviewed, decisions, expected):
    body = export(client, northfield, format="json", decision=decisions).json()
    assert {i["incident_id"] for i in body["incidents"]} == {reviewed[n] for n in expected}


def test_export_by_review_date(client, northfield, reviewed):
    body = export(client, northfield, format="json", since="2099-01-01T00:00:00Z").json()
    assert body["count"] == 0 and body["incidents"] == []


def test_an_export_is_audited_with_its_size(client, northfield, reviewed):
    export(client, northfield, format="csv", decision="urgent")
    [event] = client.get("/api/v1/audit", params={"action": "export.incidents"},
                         headers=northfield.auth("dsl")).json()["items"]
    assert event["detail"]["count"] == 1 and event["detail"]["decisions"] == ["urgent"]
