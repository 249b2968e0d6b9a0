"""The agent's side of the HTTP contract with the review server (`api/` is the other side).

Failures are sorted into the three things the agent can do about them: try again later
(`ServerUnavailable`: network down, 5xx, 429), stop sending this hit as it is
(`HitRefused`: a 4xx about the request), or wait for a person (`DeviceNotAuthorised`: the token
was revoked). Nothing here logs the token or the screenshot.
"""
from __future__ import annotations

import json
import platform
from dataclasses import dataclass
from typing import Any, Self

import httpx

from agent import __version__
from classifier.records import HitRecord

ENROL_PATH = "/api/v1/devices/enrol"
HEARTBEAT_PATH = "/api/v1/devices/heartbeat"
HITS_PATH = "/api/v1/hits"
OVERLAY_PATH = "/api/v1/phrases/overlay"


class ServerError(RuntimeError):
    """Any answer from the server other than the one the contract promises."""


class ServerUnavailable(ServerError):
    """Worth retrying later: no connection, a timeout, a 5xx or 429."""


class DeviceNotAuthorised(ServerError):
    """401/403: the enrolment key or device token was refused (wrong or revoked)."""


class HitRefused(ServerError):
    """A 4xx about this request: retrying the same bytes will not help."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"server refused the hit ({status}): {detail}")
        self.status = status
        self.detail = detail

    @property
    def about_screenshot(self) -> bool:
        """413 (too large) and 415 (not an image we accept) concern the screenshot."""
        return self.status in (413, 415)


@dataclass(frozen=True, slots=True)
class Enrolment:
    device_id: str
    device_token: str
    school_id: str


@dataclass(frozen=True, slots=True)
class Delivery:
    incident_id: str
    status: str
    duplicate: bool


@dataclass(frozen=True, slots=True)
class ServerVersions:
    library_version: str
    overlay_version: str
    server_time: str


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict) and "detail" in body:
        detail = body["detail"]
        return detail if isinstance(detail, str) else json.dumps(detail)[:300]
    return str(body)[:200]


def _check(response: httpx.Response) -> httpx.Response:
    if response.status_code in (401, 403):
        raise DeviceNotAuthorised(f"server refused the device ({response.status_code}): "
                                  f"{_detail(response)}")
    if response.status_code == 429 or response.status_code >= 500:
        raise ServerUnavailable(f"server answered {response.status_code}: {_detail(response)}")
    if response.status_code >= 400:
        raise HitRefused(response.status_code, _detail(response))
    return response


class ServerClient:
    """One HTTP client per thread; cheap to make, holds a keep-alive connection."""

    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = 15.0,
                 ca_file: str = "") -> None:
        headers = {"User-Agent": f"safeguard-agent/{__version__}"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers,
                                  timeout=timeout, verify=ca_file or True)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return _check(self._http.request(method, path, **kwargs))
        except httpx.TransportError as exc:
            raise ServerUnavailable(f"cannot reach the server: {type(exc).__name__}: "
                                    f"{exc}") from None

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            raise ServerUnavailable(
                f"server answered {response.status_code} without JSON") from None
        if not isinstance(body, dict):
            raise ServerUnavailable("server answered JSON that is not an object")
        return body

    def enrol(self, enrolment_key: str, hostname: str | None = None) -> Enrolment:
        body = self._json(self._request("POST", ENROL_PATH, json={
            "enrolment_key": enrolment_key, "hostname": hostname or platform.node(),
            "agent_version": __version__}))
        try:
            return Enrolment(str(body["device_id"]), str(body["device_token"]),
                             str(body["school_id"]))
        except KeyError as exc:
            raise ServerError(f"enrolment answer lacks {exc.args[0]!r}") from None

    def upload_hit(self, record: HitRecord, screenshot: bytes | None = None,
                   screenshot_type: str | None = None) -> Delivery:
        # Both parts go as multipart/form-data; `hit` has no filename, so it is a form field.
        files: dict[str, tuple[str | None, bytes | str, str]] = {
            "hit": (None, json.dumps(record.to_dict(), ensure_ascii=False), "application/json")}
        if screenshot:
            mime = screenshot_type or "image/png"
            files["screenshot"] = (f"screenshot.{mime.split('/')[-1]}", screenshot, mime)
        body = self._json(self._request("POST", HITS_PATH, files=files))
        incident = body.get("incident_id")
        if not incident:
            raise ServerUnavailable("server accepted the hit but sent no incident id")
        return Delivery(str(incident), str(body.get("status", "")),
                        bool(body.get("duplicate", False)))

    def heartbeat(self, *, spool_depth: int, dropped_screenshots: int,
                  last_capture_at: str | None, last_error: str | None) -> ServerVersions:
        body = self._json(self._request("POST", HEARTBEAT_PATH, json={
            "agent_version": __version__, "spool_depth": spool_depth,
            "dropped_screenshots": dropped_screenshots, "last_capture_at": last_capture_at,
            "last_error": last_error}))
        return ServerVersions(str(body.get("library_version", "")),
                              str(body.get("overlay_version", "")),
                              str(body.get("server_time", "")))

    def overlay(self) -> dict[str, Any]:
        body = self._json(self._request("GET", OVERLAY_PATH))
        if not isinstance(body.get("overlay"), dict):
            raise ServerUnavailable("overlay answer lacks an 'overlay' object")
        return body

    def healthy(self) -> bool:
        try:
            return self._request("GET", "/healthz").status_code == 200
        except ServerError:
            return False
