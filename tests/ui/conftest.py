"""Browser tests of the review UI: the real server under uvicorn, Debian's Chromium via Playwright.

One server for the whole session (starting it and seeding the school is the slow part): a
migrated SQLite database in a temporary folder, staff created with the API's own account
helpers, and every incident sent the way an agent sends it (enrolment, then multipart hit
uploads with a screenshot) over real HTTP. Only the context model is a stand-in
(`ScriptedJudge`): none ships yet. Tests that change state work on their own incidents, so
they pass in any order. Each test saves PNGs of the pages it visits under artifacts/ui/.
"""
from __future__ import annotations

import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Self

import httpx
import pytest

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page, sync_playwright
from starlette.routing import NoMatchFound

from api import Settings, create_app, web
from api.accounts import create_staff, get_or_create_school
from api.db import make_engine, make_session_factory
from api.domain import Role
from api.migrate import upgrade
from api.models import Device
from api.routes.enrolment_keys import issue_key
from api.web.routes import STATIC_ROUTE
from tests.api.factories import free_port, post_hit
from tests.ui.seed import HITS, Screen, ScriptedJudge, hit_record, render_screen

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
LAPTOP = {"width": 1366, "height": 768}
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "ui"
PASSWORD = "correct-horse-battery-staple"
LOGIN_MAX_FAILURES = 3
SCHOOL = "Northfield Academy"

#: The people of the seeded school; `locked` exists to be locked out.
PEOPLE = {
    "dsl": ("dsl@northfield.example", "Priya Shah", Role.DSL),
    "reviewer": ("reviewer@northfield.example", "Tom Hughes", Role.REVIEWER),
    "admin": ("admin@northfield.example", "Alex Grant", Role.ADMIN),
    "locked": ("supply.teacher@northfield.example", "Sam Supply", Role.REVIEWER),
}


@dataclass
class Seeded:
    id: str
    screen: Screen | None


@dataclass
class UiServer:
    url: str
    settings: Settings
    factory: object
    staff_ids: dict[str, str]
    incidents: dict[str, Seeded] = field(default_factory=dict)
    device_token: str = ""

    def session(self):
        return self.factory()


class _Uvicorn:
    def __init__(self, app, port: int) -> None:
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                                    log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, name="ui-uvicorn", daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *_exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def _seed_people(factory) -> tuple[dict[str, str], str]:
    with factory() as session:
        school = get_or_create_school(session, SCHOOL)
        ids = {}
        for key, (email, name, role) in PEOPLE.items():
            ids[key] = create_staff(session, school, email, name, role, PASSWORD).id
        _, enrolment_key = issue_key(session, school.id, "UI tests", None)
        session.commit()
    return ids, enrolment_key


def _send_hits(base_url: str, enrolment_key: str, server: UiServer) -> None:
    """What an agent does: enrol, then upload each hit with its screenshot."""
    now = datetime.now(UTC)
    with httpx.Client(base_url=base_url, timeout=30) as client:
        enrolled = client.post("/api/v1/devices/enrol", json={
            "enrolment_key": enrolment_key, "hostname": "NFA-LIB-07", "agent_version": "1.0"})
        assert enrolled.status_code == 201, enrolled.text
        server.device_token = enrolled.json()["device_token"]
        device = {"Authorization": f"Bearer {server.device_token}"}
        for seed in HITS:
            record = hit_record(seed, now)
            screen = None
            if seed.screenshot:
                screen = render_screen(seed.window_title, seed.context, record["start"],
                                       record["end"])
                record["boxes"] = screen.boxes
            answer = post_hit(client, device, record, screen.png if screen else None)
            assert answer.status_code == 201, answer.text
            server.incidents[seed.name] = Seeded(answer.json()["incident_id"], screen)
        # A second device that stopped reporting three days ago: the dashboard must show it.
        quiet = client.post("/api/v1/devices/enrol", json={
            "enrolment_key": enrolment_key, "hostname": "NFA-ART-02", "agent_version": "1.0"})
        assert quiet.status_code == 201, quiet.text
    with server.factory() as session:
        device_row = session.get(Device, quiet.json()["device_id"])
        device_row.last_seen_at = now - timedelta(days=3)
        session.commit()


def serves_the_ui(app) -> bool:
    try:
        app.url_path_for(STATIC_ROUTE, path="app.css")
    except NoMatchFound:
        return False
    return True


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    data = tmp_path_factory.mktemp("ui-server")
    settings = Settings(mode="dev", secret_key=secrets.token_urlsafe(48), data_dir=data,
                        jobs_enabled=False, login_max_failures=LOGIN_MAX_FAILURES,
                        login_lockout_minutes=15)
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    staff_ids, enrolment_key = _seed_people(factory)
    app = create_app(settings, judge=ScriptedJudge())
    if not serves_the_ui(app):  # until the app mounts the UI itself
        app = create_app(settings, judge=ScriptedJudge(), extra_routers=(web.router,))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = UiServer(url=url, settings=settings, factory=factory, staff_ids=staff_ids)
    with _Uvicorn(app, port):
        _send_hits(url, enrolment_key, server)
        yield server
    engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def snap(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save what the page looks like, for a person to look at after the run."""
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def sign_in(page: Page, base_url: str, who: str, *, password: str = PASSWORD) -> None:
    email = PEOPLE[who][0]
    page.goto(f"{base_url}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("domcontentloaded")


@pytest.fixture
def open_page(browser: Browser, ui_server: UiServer) -> Iterator[Callable[..., Page]]:
    """A fresh browser profile on a laptop-sized window, signed in as `who` (or nobody)."""
    contexts = []

    def _open(who: str | None = None) -> Page:
        context = browser.new_context(viewport=LAPTOP, base_url=ui_server.url,
                                      locale="en-GB", timezone_id="Europe/London")
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        # Script errors and Content-Security-Policy refusals, for tests to assert none.
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda message: errors.append(message.text)
                if "Content Security Policy" in message.text else None)
        page.js_errors = errors  # type: ignore[attr-defined]
        if who is not None:
            sign_in(page, ui_server.url, who)
        return page

    yield _open
    for context in contexts:
        context.close()


def csrf_of(page: Page) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.content())
    assert match, "the page has no CSRF field"
    return match.group(1)
