"""One incident, opened from the queue: the evidence with the words boxed, a corrected
category and a note, and the audit entries that record who did it."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from api.models import AuditEvent, Incident, Review
from tests.ui.conftest import snap

pytestmark = pytest.mark.timeout(180)

#: How far (CSS pixels) a drawn box may sit from where the stored box says: rounding only.
TOLERANCE_PX = 1.0


def test_open_check_the_boxed_words_correct_the_category_and_find_it_in_the_audit_log(
        open_page, ui_server):
    seeded = ui_server.incidents["exam_stress"]
    with ui_server.session() as session:
        before = session.scalar(select(func.max(AuditEvent.id)))
    page = open_page("dsl")
    page.goto("/queue?pupil=NFA%5Ce.morris")
    page.keyboard.press("o")
    page.wait_for_url(lambda url: f"/incidents/{seeded.id}?back=" in url)
    heading = page.get_by_role("heading", level=1)
    assert heading.locator(".sev").inner_text().endswith("4") and "Self-harm" in heading.inner_text()

    # The screenshot came through the authorised route, at its real size.
    image = page.locator("#shot-img")
    page.wait_for_function("() => document.getElementById('shot-img').complete")
    natural = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert natural == list(seeded.screen.size)

    # Each stored word box is drawn over the same pixels of the displayed image.
    shown = image.bounding_box()
    scale = shown["width"] / natural[0]
    drawn = page.locator("rect.hit-box")
    assert drawn.count() == len(seeded.screen.boxes) == 3  # "can't", "cope", "anymore"
    # The outline is centred on the box's edge, so half of it lies outside the stored box.
    half = float(drawn.first.evaluate("r => getComputedStyle(r).strokeWidth").rstrip("px")) / 2
    assert 1 <= half <= 3
    for n, box in enumerate(seeded.screen.boxes):
        rect = drawn.nth(n).bounding_box()
        assert rect["x"] + half == pytest.approx(shown["x"] + box["x"] * scale, abs=TOLERANCE_PX)
        assert rect["y"] + half == pytest.approx(shown["y"] + box["y"] * scale, abs=TOLERANCE_PX)
        assert rect["width"] - 2 * half == pytest.approx(box["w"] * scale, abs=TOLERANCE_PX)
        assert rect["height"] - 2 * half == pytest.approx(box["h"] * scale, abs=TOLERANCE_PX)

    assert page.locator(".context-full mark").inner_text() == "can't cope anymore"
    assert page.locator("#scores .score-row").count() == 12  # 11 categories and "none"
    assert "ui-scripted-judge-1" in page.locator("#h-model + *").locator("..").inner_text()
    snap(page, "incident-laptop", full_page=False)
    snap(page, "incident")

    # Blurring hides the evidence on screen and leaves the box in place.
    assert image.evaluate("img => getComputedStyle(img).filter") == "none"
    page.get_by_label("Blur the screenshot").check()
    assert "blur" in image.evaluate("img => getComputedStyle(img).filter")
    snap(page, "incident-blurred", full_page=False)
    page.get_by_label("Blur the screenshot").uncheck()

    # Correct the category, add a note, decide.
    note = "Exam stress; spoke to her form tutor, no self-harm disclosed."
    page.get_by_label("Category", exact=True).select_option("emotional_distress")
    page.get_by_label("Note").fill(note)
    page.get_by_role("button", name="Concern").click()
    page.wait_for_url(lambda url: url.endswith(f"/incidents/{seeded.id}?done=reviewed"))
    assert page.locator("p.notice").inner_text() == "Decision saved."
    history = page.locator(".history").inner_text()
    assert "Priya Shah" in history and "concern" in history
    assert "Self-harm → Emotional distress" in history
    assert note in history
    assert "Emotional distress" in page.get_by_role("heading", level=1).inner_text()
    snap(page, "incident-decided")

    with ui_server.session() as session:
        incident = session.get(Incident, seeded.id)
        assert (incident.status, incident.decision, incident.category) == (
            "reviewed", "concern", "emotional_distress")
        [review] = session.scalars(select(Review).where(Review.incident_id == seeded.id))
        assert review.note == note
        actions = [e.action for e in session.scalars(
            select(AuditEvent).where(AuditEvent.target_id == seeded.id, AuditEvent.id > before)
            .order_by(AuditEvent.id))]
    assert actions[:3] == ["incident.read", "screenshot.read", "incident.reviewed"]

    # The DSL finds the decision in the audit log, from the incident's own link.
    page.get_by_role("link", name="Who has seen this").click()
    page.wait_for_url(lambda url: "/audit?target_id=" in url)
    reviewed = page.locator("tr[data-action='incident.reviewed']")
    assert reviewed.count() == 1
    row = reviewed.inner_text()
    assert "Priya Shah" in row and '"category_after": "emotional_distress"' in row
    assert '"category_before": "self_harm"' in row
    assert page.locator("tr[data-action='screenshot.read']").count() >= 1
    snap(page, "audit")
    assert page.js_errors == []
