"""Fixtures for the review server's tests: real databases, a real SMTP server, two schools.

Every test runs twice, on SQLite and on PostgreSQL (127.0.0.1:5432, database `test`): a fresh
schema is migrated once per test session and emptied after each test; SQLite gets a copy of
a migrated template file per test. The server is the real app (TestClient drives its ASGI
interface in-process, lifespan included); `test_server.py` also runs it under uvicorn.
"""
from __future__ import annotations

import email
import email.policy
import secrets
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from api import Settings, create_app
from api.db import make_engine
from api.domain import Role
from api.migrate import upgrade
from api.models import ApiToken, Base, Device, EnrolmentKey, School, Staff
from api.security import (
    DEVICE_TOKEN_PREFIX,
    ENROLMENT_KEY_PREFIX,
    STAFF_TOKEN_PREFIX,
    display_prefix,
    hash_password,
    hash_token,
    new_token,
)
from tests.api.factories import free_port

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "correct-horse-battery-staple"


# --- databases -----------------------------------------------------------------------------

@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[dict]:
    """A migrated database for the whole session; yields how to get a clean one per test."""
    if request.param == "sqlite":
        template = tmp_path_factory.mktemp("sqlite") / "template.db"
        engine = make_engine(f"sqlite:///{template}")
        upgrade(engine)
        engine.dispose()
        yield {"backend": "sqlite", "template": template}
        return
    schema = f"sgtest_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except OperationalError as exc:
        pytest.skip(f"PostgreSQL is not answering on 127.0.0.1:5432 ({type(exc).__name__}); "
                    "start it with: pg_ctlcluster --skip-systemctl-redirect "
                    "$(ls /etc/postgresql) main start")
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    try:
        yield {"backend": "postgresql", "url": url, "engine": engine}
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def database_url(database: dict, tmp_path: Path) -> Iterator[str]:
    if database["backend"] == "sqlite":
        path = tmp_path / "safeguard.db"
        shutil.copy(database["template"], path)
        yield f"sqlite:///{path}"
        return
    yield database["url"]
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with database["engine"].begin() as connection:
        # TRUNCATE, unlike DELETE, does not fire the audit log's append-only row trigger.
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


# --- mail ----------------------------------------------------------------------------------

class Inbox:
    """aiosmtpd handler: keeps every message the server sends."""

    def __init__(self) -> None:
        self.messages: list[dict] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                              "subject": message["subject"],
                              "body": message.get_body().get_content()})
        return "250 OK"


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[Controller]:
    controller = Controller(Inbox(), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def inbox(smtp_server: Controller) -> Inbox:
    smtp_server.handler.messages.clear()
    return smtp_server.handler


# --- the app -------------------------------------------------------------------------------

@pytest.fixture
def settings(database_url: str, tmp_path: Path, smtp_server: Controller) -> Settings:
    return Settings(mode="dev", secret_key=secrets.token_urlsafe(48), database_url=database_url,
                    data_dir=tmp_path, blob_dir=tmp_path / "screenshots", keywords_only=True,
                    jobs_enabled=False, smtp_host="127.0.0.1", smtp_port=smtp_server.port,
                    smtp_from="safeguard@northfield.example",
                    public_url="https://safeguard.northfield.example")


@pytest.fixture
def judge():
    """The classifier the app uses; None = what the settings say (keywords only here)."""
    return


@pytest.fixture
def client(settings: Settings, judge) -> Iterator[TestClient]:
    app = create_app(settings, judge=judge)
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def services(client: TestClient):
    return client.app.state.services


@pytest.fixture
def db(services):
    """A session on the app's own database, for arranging and checking rows."""
    with services.session_factory() as session:
        yield session


# --- two schools of one trust --------------------------------------------------------------

@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: hash once per session


@dataclass
class SchoolWorld:
    """One school as the tests see it: its staff's tokens and its enrolled device."""

    id: str
    name: str
    staff: dict[Role, Staff] = field(default_factory=dict)
    tokens: dict[Role, str] = field(default_factory=dict)
    device_id: str = ""
    device_token: str = ""
    enrolment_key: str = ""

    def auth(self, role: Role | str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[Role(role)]}"}

    @property
    def device(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.device_token}"}


def seed_school(session, name: str, password_hash: str) -> SchoolWorld:
    school = School(name=name)
    session.add(school)
    session.flush()
    world = SchoolWorld(id=school.id, name=name)
    slug = name.split()[0].lower()
    for role in Role:
        staff = Staff(school_id=school.id, email=f"{role}@{slug}.example",
                      name=f"{role.title()} of {name}", role=role, password_hash=password_hash)
        session.add(staff)
        session.flush()
        token = new_token(STAFF_TOKEN_PREFIX)
        session.add(ApiToken(staff_id=staff.id, name="tests", token_hash=hash_token(token),
                             prefix=display_prefix(token)))
        world.staff[role], world.tokens[role] = staff, token
    world.enrolment_key = new_token(ENROLMENT_KEY_PREFIX)
    session.add(EnrolmentKey(school_id=school.id, name="tests",
                             key_hash=hash_token(world.enrolment_key),
                             prefix=display_prefix(world.enrolment_key)))
    world.device_token = new_token(DEVICE_TOKEN_PREFIX)
    device = Device(school_id=school.id, hostname=f"{slug.upper()}-PC-01", agent_version="1.0",
                    token_hash=hash_token(world.device_token))
    session.add(device)
    session.flush()
    world.device_id = device.id
    return world


@pytest.fixture
def northfield(services, password_hash: str) -> SchoolWorld:
    with services.session_factory() as session:
        world = seed_school(session, "Northfield Academy", password_hash)
        session.commit()
    return world


@pytest.fixture
def southfield(services, password_hash: str) -> SchoolWorld:
    """Another school of the same trust: none of its data may be visible to Northfield."""
    with services.session_factory() as session:
        world = seed_school(session, "Southfield School", password_hash)
        session.commit()
    return world
