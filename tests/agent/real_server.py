"""The real review server (`safeguard-server`) as a subprocess for the agent's end-to-end
tests: a temp SQLite database, an admin made with its CLI, an enrolment key and a staff API
token made through its API. Also a TCP relay that can hold the server's answers back, so a
test can kill the agent at the exact moment the server has stored a hit but the agent has not
heard so."""
from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tests.agent.contract_server import free_port

#: IT staff make enrolment keys; the DSL reads incidents (admin is not a super-user).
ACCOUNTS = {"admin": "it@agent-tests.example", "dsl": "dsl@agent-tests.example"}
PASSWORD = "Agent-Tests-Correct-Horse-42"


def server_command() -> list[str]:
    return [str(Path(sys.executable).parent / "safeguard-server")]


class RealServer:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "SAFEGUARD_DATA_DIR": str(data_dir),
                    "SAFEGUARD_SECRET_KEY": secrets.token_urlsafe(48),
                    "SAFEGUARD_COOKIE_SECURE": "false", "SAFEGUARD_JOBS_ENABLED": "false",
                    "SAFEGUARD_JUDGE_THREADS": "1", "OMP_THREAD_LIMIT": "1"}
        self.process: subprocess.Popen | None = None
        self.tokens: dict[str, str] = {}
        self.enrolment_key = ""
        self.log = data_dir / "server.log"

    def bootstrap(self) -> RealServer:
        """The school's IT admin made with the CLI; the server started; the DSL account, an
        enrolment key and a staff API token for each account made through the API."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        made = subprocess.run(
            [*server_command(), "create-admin", "--school", "Agent Test School", "--email",
             ACCOUNTS["admin"], "--name", "Test IT", "--role", "admin", "--password-stdin"],
            input=PASSWORD + "\n", capture_output=True, text=True, env=self.env, timeout=120,
            check=False)
        if made.returncode != 0:
            raise RuntimeError(f"create-admin failed: {made.stderr}")
        self.start()
        self.tokens["admin"] = self._api_token(ACCOUNTS["admin"])
        self.api("POST", "/api/v1/staff", role="admin", json={
            "email": ACCOUNTS["dsl"], "name": "Test DSL", "role": "dsl", "password": PASSWORD})
        self.tokens["dsl"] = self._api_token(ACCOUNTS["dsl"])
        key = self.api("POST", "/api/v1/enrolment-keys", json={"name": "agent tests"},
                       role="admin")
        self.enrolment_key = key["key"]
        return self

    def _api_token(self, email: str) -> str:
        with httpx.Client(base_url=self.url, timeout=30) as client:
            login = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
            login.raise_for_status()
            token = client.post("/api/v1/auth/tokens", json={"name": "agent tests"},
                                headers={"X-CSRF-Token": login.json()["csrf_token"]})
            token.raise_for_status()
            return token.json()["token"]

    def start(self) -> None:
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            [*server_command(), "run", "--port", str(self.port), "--log-level", "warning"],
            env=self.env, stdout=handle, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"safeguard-server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("safeguard-server did not answer /healthz in time")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None

    def api(self, method: str, path: str, *, role: str = "dsl", **kwargs: Any) -> Any:
        response = httpx.request(method, f"{self.url}{path}", timeout=30,
                                 headers={"Authorization": f"Bearer {self.tokens[role]}"},
                                 **kwargs)
        response.raise_for_status()
        return response.json() if "json" in response.headers.get("content-type", "") \
            else response.content

    def incidents(self) -> list[dict[str, Any]]:
        """Every incident of the school, queued or suppressed."""
        page = self.api("GET", "/api/v1/incidents",
                        params=[("status", "new"), ("status", "suppressed"), ("limit", "200")])
        return page["items"]

    def incident(self, incident_id: str) -> dict[str, Any]:
        return self.api("GET", f"/api/v1/incidents/{incident_id}")

    def screenshot(self, incident_id: str) -> bytes:
        return self.api("GET", f"/api/v1/incidents/{incident_id}/screenshot")

    def device(self, device_id: str) -> dict[str, Any]:
        return self.api("GET", f"/api/v1/devices/{device_id}")


class HoldingRelay:
    """A TCP relay on 127.0.0.1: requests always pass; answers pass unless `hold` is set, in
    which case they are kept back (the server has acted, the client has not heard)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.hold = threading.Event()
        self.held_bytes = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", self.port))
        self._ready.set()
        self._loop.run_forever()
        server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter,
                       answers: bool) -> None:
            try:
                while chunk := await src.read(65536):
                    if answers and self.hold.is_set():
                        self.held_bytes += len(chunk)
                        while self.hold.is_set():
                            await asyncio.sleep(0.05)
                    dst.write(chunk)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer, False), pipe(up_reader, writer, True))

    def close(self) -> None:
        async def shutdown() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop)
        self._thread.join(timeout=10)
