"""A demo school to click through: Northfield Academy, its staff, a device and some incidents.

The incidents are made the way real ones are: demo text is scanned by the real classifier
(phrase library, then the configured judge) and every hit is stored through the ingest path,
with a rendered screenshot as evidence. The texts are written for the project: realistic,
never graphic.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.accounts import create_staff, get_or_create_school, issue_enrolment_key
from api.blobs import BlobStore
from api.db import utcnow
from api.domain import AlertTrigger, Role
from api.images import ALLOWED_FORMATS, CheckedImage
from api.ingest import store_hit
from api.models import AlertRule, Device, School
from api.security import DEVICE_TOKEN_PREFIX, generate_password, hash_token, new_token
from classifier.judge import Judge
from classifier.phrases import PhraseLibrary
from classifier.records import HitRecord, Source, idempotency_key
from classifier.scan import Scanner

SCHOOL = "Northfield Academy"
STAFF = (
    ("dsl@northfield.example", "Priya Shah", Role.DSL),
    ("reviewer@northfield.example", "Tom Hughes", Role.REVIEWER),
    ("admin@northfield.example", "Alex Grant", Role.ADMIN),
)

#: (pupil login, application, window title, minutes ago, text on screen)
DEMO_SCREENS = (
    ("NFA\\j.carter", "Discord", "Discord - #year9-chat", 35,
     "lol nobody likes you, just leave the group already. everyone hates you and you know it"),
    ("NFA\\m.okafor", "Google Chrome", "Instagram - Messages", 80,
     ("you're so mature for your age. don't tell your parents we talk, they wouldn't get it. "
      "add me on snap instead")),
    ("NFA\\a.nowak", "Microsoft Edge", "YouTube - Chrome", 240,
     "comment: they should go back to your own country if they don't like it here"),
    ("NFA\\l.patel", "Google Chrome", "Search - Google", 30,
     "great replacement theory explained - is it true? forum thread"),
    ("NFA\\s.hughes", "Microsoft Word", "History essay.docx - Word", 600,
     ("My essay explains how the great replacement conspiracy theory spreads online and why "
      "historians reject it.")),
    ("NFA\\r.begum", "Google Chrome", "Search - Google", 1500,
     "free porn sites"),
    ("NFA\\t.evans", "Microsoft Teams", "Teams - Chat", 20,
     "honestly nobody wants you here, stop sitting with us at lunch"),
    ("NFA\\k.ahmed", "Google Chrome", "BBC Bitesize - Chrome", 3000,
     ("Revision: the suffragettes were told to go back home and stop protesting, but they "
      "kept campaigning.")),
    ("NFA\\j.carter", "Discord", "Discord - #year9-chat", 2900,
     "we all hate you. seriously no one wants you in this server"),
    ("NFA\\m.okafor", "Snapchat", "Snapchat", 60,
     "dont tell anyone about us ok? delete these messages after you read them"),
)


@dataclass
class DemoSeed:
    school_id: str
    passwords: dict[str, str]
    enrolment_key: str
    device_id: str
    incidents: int
    suppressed: int
    library_version: str
    model_version: str
    categories: list[str] = field(default_factory=list)


class DemoAlreadySeeded(RuntimeError):
    pass


def render_screenshot(title: str, text: str) -> CheckedImage:
    """A plain window with the text on it: evidence for the UI demo."""
    width, height = 900, 240
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 28), fill=(40, 60, 90))
    draw.text((10, 8), title, fill="white")
    lines, line = [], ""
    for word in text.split():
        if len(line) + len(word) > 100:
            lines.append(line)
            line = ""
        line += word + " "
    lines.append(line)
    for i, row in enumerate(lines[:8]):
        draw.text((16, 48 + 22 * i), row, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    data = buffer.getvalue()
    return CheckedImage(data, ALLOWED_FORMATS["PNG"], width, height)


def seed_demo(factory: sessionmaker[Session], blobs: BlobStore, judge: Judge) -> DemoSeed:
    with factory() as session:
        if session.scalar(select(School.id).where(School.name == SCHOOL)) is not None:
            raise DemoAlreadySeeded(f"{SCHOOL} already exists in this database")
        school = get_or_create_school(session, SCHOOL)
        passwords: dict[str, str] = {}
        for email, name, role in STAFF:
            passwords[email] = generate_password()
            create_staff(session, school, email, name, role, passwords[email])
        _, key = issue_enrolment_key(session, school.id, "Demo rollout", None)
        dsl_rules = (
            AlertRule(school_id=school.id, name="Severity 4 or 5", min_severity=4,
                      trigger=AlertTrigger.NEW_INCIDENT, recipients=[]),
            AlertRule(school_id=school.id, name="Suicide and exploitation",
                      trigger=AlertTrigger.NEW_INCIDENT,
                      categories=["suicide", "sexual_exploitation"], recipients=[]),
            AlertRule(school_id=school.id, name="Waiting 30 minutes for the DSL",
                      trigger=AlertTrigger.ESCALATION, after_minutes=30, recipients=[]),
        )
        session.add_all(dsl_rules)
        device = Device(school_id=school.id, hostname="NFA-LIB-07", agent_version="demo",
                        token_hash=hash_token(new_token(DEVICE_TOKEN_PREFIX)),
                        last_seen_at=utcnow())
        session.add(device)
        session.commit()
        school_id, device_id = school.id, device.id

    library = PhraseLibrary.load()
    scanner = Scanner(library=library, judge=judge)
    now = utcnow()
    stored = suppressed = 0
    categories: set[str] = set()
    for pupil, app, title, minutes_ago, text in DEMO_SCREENS:
        observed = (now - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z")
        for judged in scanner.scan(text).hits:
            hit = HitRecord(
                key=idempotency_key(device_id, "screen", title, judged.hit.phrase,
                                    judged.context, observed),
                device_id=device_id, user=pupil, observed_at=observed, source=Source.SCREEN,
                phrase=judged.hit.phrase, category=judged.hit.category,
                severity=judged.hit.severity, start=judged.context_start,
                end=judged.context_end, context=judged.context, window_title=title,
                application=app, library_version=library.version)
            image = render_screenshot(title, text)
            result = store_hit(factory, blobs, device_id, hit, judged.verdict, image)
            stored += not result.duplicate
            suppressed += result.status == "suppressed"
            categories.add(judged.hit.category)
    return DemoSeed(school_id=school_id, passwords=passwords, enrolment_key=key,
                    device_id=device_id, incidents=stored, suppressed=suppressed,
                    library_version=library.version, model_version=judge.version,
                    categories=sorted(categories))
