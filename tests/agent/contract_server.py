"""A small server that speaks the agent<->server HTTP contract, for the agent's unit tests.

The real `safeguard-server` is used by the end-to-end tests; this one exists so that the
uploader's retry logic can be driven through exact failures (503 twice, a hang after
storing, a 413) over real HTTP on 127.0.0.1, which the real server cannot be told to do.
"""
from __future__ import annotations

import asyncio
import io
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from PIL import Image

from classifier.records import HitRecord, HitValidationError

ENROLMENT_KEY = "demo-enrolment-key"
MAX_SCREENSHOT = 5 * 1024 * 1024


@dataclass
class Stored:
    incident_id: str
    record: HitRecord
    screenshot: bytes | None
    device_id: str


@dataclass
class ContractState:
    tokens: dict[str, str] = field(default_factory=dict)          # token -> device id
    incidents: dict[str, Stored] = field(default_factory=dict)    # hit key -> stored
    heartbeats: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)   # statuses to answer before working
    hang_after_store: float = 0.0                        # seconds to wait before answering
    library_version: str = "test-1"
    overlay_version: str = "0"
    overlay: dict[str, Any] = field(default_factory=lambda: {"add": [], "exclude": []})
    lock: threading.Lock = field(default_factory=threading.Lock)

    def device(self, request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        return self.tokens.get(auth.removeprefix("Bearer ").strip())


def make_app(state: ContractState) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def faults(request: Request, call_next):
        state.requests.append(request.url.path)
        if state.fail_next and request.url.path != "/healthz":
            return JSONResponse({"detail": "injected failure"}, state.fail_next.pop(0))
        return await call_next(request)

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.post("/api/v1/devices/enrol", status_code=201)
    async def enrol(body: dict) -> Any:
        if body.get("enrolment_key") != ENROLMENT_KEY:
            return JSONResponse({"detail": "enrolment key refused"}, 401)
        token = secrets.token_urlsafe(24)
        device = f"dev-{len(state.tokens) + 1}"
        state.tokens[token] = device
        return {"device_id": device, "device_token": token, "school_id": "school-1"}

    @app.post("/api/v1/hits")
    async def hits(request: Request) -> Any:
        device = state.device(request)
        if device is None:
            return JSONResponse({"detail": "unknown device token"}, 401)
        form = await request.form()
        try:
            record = HitRecord.from_dict(json.loads(str(form.get("hit"))))
        except (ValueError, HitValidationError) as exc:
            return JSONResponse({"detail": f"invalid hit: {exc}"}, 422)
        shot = form.get("screenshot")
        data = None
        if shot is not None and not isinstance(shot, str):
            data = await shot.read()
            if len(data) > MAX_SCREENSHOT:
                return JSONResponse({"detail": "screenshot larger than 5 MB"}, 413)
            try:
                Image.open(io.BytesIO(data)).load()
            except Exception:  # noqa: BLE001
                return JSONResponse({"detail": "screenshot is not a readable image"}, 415)
        with state.lock:
            existing = state.incidents.get(record.key)
            if existing is None:
                stored = Stored(f"inc-{len(state.incidents) + 1}", record, data, device)
                state.incidents[record.key] = stored
        if existing is not None:
            return JSONResponse({"incident_id": existing.incident_id, "status": "new",
                                 "duplicate": True}, 200)
        if state.hang_after_store:
            await asyncio.sleep(state.hang_after_store)  # stored, but no answer yet
        return JSONResponse({"incident_id": stored.incident_id, "status": "new",
                             "duplicate": False}, 201)

    @app.post("/api/v1/devices/heartbeat")
    async def heartbeat(request: Request) -> Any:
        if state.device(request) is None:
            return JSONResponse({"detail": "unknown device token"}, 401)
        state.heartbeats.append(await request.json())
        return {"server_time": "2025-01-01T00:00:00Z", "library_version": state.library_version,
                "overlay_version": state.overlay_version}

    @app.get("/api/v1/phrases/overlay")
    async def overlay(request: Request) -> Any:
        if state.device(request) is None:
            return JSONResponse({"detail": "unknown device token"}, 401)
        return {"library_version": state.library_version,
                "overlay_version": state.overlay_version, "overlay": state.overlay}

    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ContractServer:
    """Runs the app with uvicorn in a thread; `stop()`/`start()` keep the same port, so a
    test can take the server down and bring it back."""

    def __init__(self, port: int | None = None) -> None:
        self.state = ContractState()
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> ContractServer:
        config = uvicorn.Config(make_app(self.state), host="127.0.0.1", port=self.port,
                                log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("contract server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = None

    def enrol(self) -> tuple[str, str]:
        token = secrets.token_urlsafe(24)
        device = f"dev-{len(self.state.tokens) + 1}"
        self.state.tokens[token] = device
        return device, token
