"""A real Label Studio server for the loop's tests, started once per test session.

Label Studio lives in its own virtual environment (`scripts/labelstudio.sh install` makes
`.venv-labelstudio`), apart from the project's: it pins its own Django and friends. Without it
the tests that need it are skipped with the command to run, except in CI (`CI` set), where a
missing Label Studio is a failure: the loop must be tested against the real thing there.
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from classifier.phrases import PhraseLibrary
from tests.agent.real_server import RealServer
from tests.api.factories import free_port
from tests.training.builders import tiny_model_folder, write_fixture_library

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv-labelstudio" / "bin" / "label-studio"
USER = "data-team@labelstudio-tests.example"
START_TIMEOUT_S = 420
#: The version in service when the loop tests start.
CURRENT = "2026.01.01"  # the first start migrates a fresh database: ~40 s idle, minutes on a busy box


def label_studio_bin() -> str | None:
    configured = os.environ.get("LABEL_STUDIO_BIN")
    if configured:
        return configured if Path(configured).is_file() else None
    if VENV_BIN.is_file():
        return str(VENV_BIN)
    return shutil.which("label-studio")


@dataclass
class LabelStudioServer:
    url: str
    token: str         # a personal access token (JWT refresh token), as the data team uses
    process: subprocess.Popen
    log: Path

    def access_token(self) -> str:
        """A short-lived access token for plain HTTP calls the SDK has no method for."""
        answer = httpx.post(f"{self.url}/api/token/refresh", json={"refresh": self.token},
                            timeout=30)
        answer.raise_for_status()
        return answer.json()["access"]


def personal_access_token(url: str, email: str, password: str) -> str:
    """Sign in as a person would (session + CSRF) and create the account's access token."""
    with httpx.Client(base_url=url, timeout=60) as client:
        client.get("/user/login/")
        signed_in = client.post("/user/login/", headers={"Referer": f"{url}/user/login/"},
                                data={"email": email, "password": password,
                                      "csrfmiddlewaretoken": client.cookies.get("csrftoken")})
        if signed_in.status_code != 302:
            raise RuntimeError(f"Label Studio sign-in failed: HTTP {signed_in.status_code}")
        made = client.post("/api/token/", headers={"X-CSRFToken": client.cookies["csrftoken"],
                                                   "Referer": url})
        made.raise_for_status()
        return made.json()["token"]


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabelStudioServer]:
    binary = label_studio_bin()
    if binary is None:
        reason = ("Label Studio is not installed (run: scripts/labelstudio.sh install, or set "
                  "LABEL_STUDIO_BIN)")
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the Label Studio tests", pytrace=False)
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("labelstudio")
    port = free_port()
    password = secrets.token_urlsafe(16)
    env = {**os.environ, "LABEL_STUDIO_USERNAME": USER, "LABEL_STUDIO_PASSWORD": password,
           "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true", "LATEST_VERSION_CHECK": "false",
           "COLLECT_ANALYTICS": "false", "SENTRY_DSN": "", "SENTRY_RATE": "0",
           # The webhook receiver runs on this machine too; Label Studio refuses local
           # webhook URLs unless told otherwise.
           "SSRF_PROTECTION_ENABLED": "false"}
    log = root / "label-studio.log"
    with log.open("ab") as handle:
        process = subprocess.Popen(
            [binary, "start", "--internal-host", "127.0.0.1", "--port", str(port),
             "--no-browser", "--data-dir", str(root / "data")],
            env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield LabelStudioServer(url, personal_access_token(url, USER, password), process, log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"label-studio exited ({process.returncode}): "
                               f"{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1.0)
    raise RuntimeError(f"label-studio did not answer {url}/health within {START_TIMEOUT_S} s: "
                       f"{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="session")
def library_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny fixture phrase library the training tests use."""
    return write_fixture_library(tmp_path_factory.mktemp("library") / "phrases")


@pytest.fixture(scope="session")
def library(library_dir: Path) -> PhraseLibrary:
    return PhraseLibrary.load(library_dir)


@pytest.fixture
def models(tmp_path: Path, library_dir: Path) -> Path:
    """A models folder: the fixture phrase library, and a tiny model in service whose
    thresholds of 1.0 suppress every hit (so the DSL finds some by search)."""
    root = tmp_path / "models"
    shutil.copytree(library_dir, root / "phrases")
    tiny_model_folder(tmp_path / "built" / CURRENT, threshold=1.0)
    shutil.copytree(tmp_path / "built" / CURRENT, root / "context" / CURRENT)
    return root


@pytest.fixture
def review_server(tmp_path: Path, models: Path):
    server = RealServer(tmp_path / "server")
    server.env["SAFEGUARD_MODELS_DIR"] = str(models)
    server.bootstrap()
    yield server
    server.stop()
