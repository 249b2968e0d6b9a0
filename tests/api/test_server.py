"""`safeguard-server` for real: the CLI, migrations, and uvicorn serving on 127.0.0.1."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from classifier.phrases import PhraseLibrary
from tests.api.factories import free_port, hit, image_bytes

SERVER = [sys.executable, "-m", "api.cli"]
ADMIN_PASSWORD = "a-long-admin-passphrase"


def server_env(database_url: str, data_dir: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SAFEGUARD_")}
    return base | {"SAFEGUARD_MODE": "dev", "SAFEGUARD_DATA_DIR": str(data_dir),
                   "SAFEGUARD_DATABASE_URL": database_url, "SAFEGUARD_KEYWORDS_ONLY": "1",
                   "SAFEGUARD_JOBS_ENABLED": "0"}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """For the command-line tests: the embedded default, SQLite in the data folder."""
    return server_env(f"sqlite:///{tmp_path / 'safeguard.db'}", tmp_path)


def cli(env, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*SERVER, *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[str]:
    """uvicorn on 127.0.0.1 over each test database (SQLite and PostgreSQL)."""
    env = server_env(database_url, tmp_path)
    assert cli(env, "create-admin", "--school", "Northfield Academy", "--email",
               "it@northfield.example", "--name", "IT Office", "--password-stdin",
               stdin=ADMIN_PASSWORD + "\n").returncode == 0
    port = free_port()
    process = subprocess.Popen([*SERVER, "run", "--host", "127.0.0.1", "--port", str(port)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"server did not start:\n{process.stdout.read()}")
        time.sleep(0.2)
    yield url
    process.terminate()
    output = process.communicate(timeout=30)[0]
    assert "sgd_" not in output and "sgs_" not in output and "sge_" not in output
    assert "want to die" not in output


def admin_client(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    r = client.post("/api/v1/auth/login", json={"email": "it@northfield.example",
                                                "password": ADMIN_PASSWORD})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def test_an_agent_enrols_and_reports_over_real_http(server):
    admin = admin_client(server)
    key = admin.post("/api/v1/enrolment-keys", json={"name": "rollout"}).json()["key"]
    enrolled = httpx.post(f"{server}/api/v1/devices/enrol", json={
        "enrolment_key": key, "hostname": "NFA-LIB-07", "agent_version": "0.1"}).json()
    device = {"Authorization": f"Bearer {enrolled['device_token']}"}
    record = hit()

    def send(_: int) -> httpx.Response:
        import json
        return httpx.post(f"{server}/api/v1/hits", headers=device, timeout=30,
                          data={"hit": json.dumps(record)},
                          files={"screenshot": ("s.png", image_bytes(), "image/png")})

    with ThreadPoolExecutor(8) as pool:  # an agent retrying in a hurry
        answers = list(pool.map(send, range(8)))
    assert sorted(a.status_code for a in answers) == [200] * 7 + [201]
    assert len({a.json()["incident_id"] for a in answers}) == 1
    beat = httpx.post(f"{server}/api/v1/devices/heartbeat", headers=device, json={
        "agent_version": "0.1", "spool_depth": 0, "dropped_screenshots": 0})
    assert beat.json()["library_version"] == PhraseLibrary.load().base_version
    health = httpx.get(f"{server}/healthz").json()
    assert health["status"] == "ok" and health["model_version"] == "keywords-only"
    too_big = httpx.post(f"{server}/api/v1/hits", headers=device, data={"hit": "{}"},
                         files={"screenshot": ("s.png", b"\0" * (6 << 20))}, timeout=60)
    assert too_big.status_code == 413 and "larger than" in too_big.json()["detail"]


def test_create_admin_generates_a_password_and_refuses_a_duplicate(env):
    args = ("create-admin", "--school", "Northfield Academy", "--email", "a@n.example",
            "--name", "A", "--generate")
    first = cli(env, *args)
    assert first.returncode == 0 and "password: " in first.stdout
    again = cli(env, *args)
    assert again.returncode == 1 and "already exists" in again.stderr


def test_production_mode_refuses_the_default_secret(env):
    r = cli(env | {"SAFEGUARD_MODE": "production"}, "migrate")
    assert r.returncode == 2 and "SAFEGUARD_SECRET_KEY" in r.stderr


def test_demo_seeds_northfield_through_the_real_classifier(env):
    r = cli(env, "demo")
    assert r.returncode == 0, r.stderr
    assert "Northfield Academy" in r.stdout
    for email in ("dsl@northfield.example", "reviewer@northfield.example",
                  "admin@northfield.example"):
        assert email in r.stdout
    assert "sge_" in r.stdout  # the enrolment key, printed on purpose in demo mode
    counted = int(r.stdout.split("Demo incidents: ")[1].split()[0])
    assert counted >= 8
    again = cli(env, "demo")
    assert again.returncode == 1 and "already exists" in again.stderr
    migrated = cli(env, "migrate")
    assert migrated.returncode == 0 and "revision 0001" in migrated.stdout
