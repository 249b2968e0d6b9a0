"""Reviewed and suppressed incidents, read from the review server's REST API.

The loop reads through the API with a DSL's token, like any other client, never from the
database: every read is authorised by role and lands in the server's audit log. The queue
listing gives the ids; the detail gives the context, offsets and model scores. Screenshots
are never fetched.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Self

import httpx

from training.labelstudio.settings import Endpoint

PAGE_SIZE = 200
REVIEWED = "reviewed"
SUPPRESSED = "suppressed"


class ReviewServerError(RuntimeError):
    """The review server is unreachable or refused; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Incident:
    """What the loop needs of one incident (no screenshot, no window title)."""

    id: str
    status: str              # reviewed | suppressed
    decision: str | None     # innocent | concern | urgent, None when suppressed
    category: str            # after review: the reviewer's category
    phrase_category: str
    phrase: str
    severity: int
    context: str
    start: int
    end: int
    source: str              # screen | title | feed
    application: str
    window_title: str        # used to tell the kind of text; never sent to Label Studio
    pupil: str
    device_id: str
    model_version: str

    @classmethod
    def from_detail(cls, data: dict[str, Any]) -> Incident:
        try:
            incident = cls(
                id=str(data["id"]), status=str(data["status"]), decision=data.get("decision"),
                category=str(data["category"]), phrase_category=str(data["phrase_category"]),
                phrase=str(data["phrase"]), severity=int(data["severity"]),
                context=str(data["context"]), start=int(data["start"]), end=int(data["end"]),
                source=str(data["source"]), application=str(data.get("application") or ""),
                window_title=str(data.get("window_title") or ""), pupil=str(data["pupil"]),
                device_id=str(data["device_id"]), model_version=str(data["model_version"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ReviewServerError(f"incident {data.get('id', '?')}: unexpected detail "
                                    f"({type(exc).__name__}: {exc})") from None
        if not 0 <= incident.start < incident.end <= len(incident.context):
            raise ReviewServerError(f"incident {incident.id}: hit offsets outside the context")
        return incident


def sampled(incident_id: str, fraction: float) -> bool:
    """A stable sample: an incident is in it or not on every push, so the sample never
    grows by re-drawing and a second push finds nothing new."""
    digest = hashlib.sha256(f"suppressed-sample\x1f{incident_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


class ReviewServer:
    def __init__(self, endpoint: Endpoint, *, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._client = httpx.Client(
            base_url=endpoint.url, timeout=timeout, transport=transport,
            headers={"Authorization": f"Bearer {endpoint.token.get_secret_value()}"})
        self.url = endpoint.url

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _get(self, path: str, params: Any = None) -> Any:
        try:
            response = self._client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise ReviewServerError(f"review server {self.url} is unreachable "
                                    f"({type(exc).__name__})") from None
        if response.status_code != 200:
            try:
                detail = response.json().get("detail", "")
            except ValueError:
                detail = response.text[:200]
            raise ReviewServerError(f"review server {self.url}{path}: HTTP "
                                    f"{response.status_code} {detail}")
        return response.json()

    def summaries(self, status: str) -> Iterator[dict[str, Any]]:
        """Every incident in `status`, newest first, page by page."""
        cursor: str | None = None
        while True:
            params: list[tuple[str, str]] = [("status", status), ("sort", "newest"),
                                             ("limit", str(PAGE_SIZE))]
            if cursor:
                params.append(("cursor", cursor))
            page = self._get("/api/v1/incidents", params)
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def incident(self, incident_id: str) -> Incident:
        return Incident.from_detail(self._get(f"/api/v1/incidents/{incident_id}"))

    def for_labelling(self, *, suppressed_fraction: float,
                      skip: Callable[[str], bool] = lambda _id: False) -> list[Incident]:
        """Reviewed incidents, and a stable sample of suppressed ones, that `skip` does not
        rule out (the ones already in Label Studio); details are read only for those."""
        wanted = [s["id"] for s in self.summaries(REVIEWED) if not skip(s["id"])]
        wanted += [s["id"] for s in self.summaries(SUPPRESSED)
                   if sampled(s["id"], suppressed_fraction) and not skip(s["id"])]
        return [self.incident(i) for i in dict.fromkeys(wanted)]
