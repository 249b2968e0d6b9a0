"""Optional: a Label Studio webhook receiver that marks when enough new annotations exist.

It only counts. Retraining inside a webhook handler is the Label Studio ML backend's best
known mistake (a model rebuilt per request); here the handler bumps a counter in the sync
state and answers at once, and the sync job decides to retrain on its next round.

Label Studio is asked to send no payload (an annotation event would otherwise carry the
task's text) and to send a shared secret header, checked in constant time. Label Studio
blocks webhooks to local addresses unless `SSRF_PROTECTION_ENABLED=false`: set that when
both run on one machine.
"""
from __future__ import annotations

import hmac
import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from label_studio_sdk import LabelStudio

from training.labelstudio.project import FAILURES, LabelStudioError, describe
from training.labelstudio.sync import SyncState, update_state

SECRET_HEADER = "X-Safeguard-Webhook-Secret"
ANNOTATION_ACTIONS = ("ANNOTATION_CREATED", "ANNOTATIONS_CREATED", "ANNOTATION_UPDATED")
MAX_BODY = 64 * 1024


class WebhookReceiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state_path: Path, secret: str,
                 retrain_after: int) -> None:
        if len(secret) < 16:
            raise ValueError("the webhook secret must be at least 16 characters")
        self.state_path = state_path
        self.secret = secret.encode("utf-8")
        self.retrain_after = retrain_after
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/labelstudio"

    def count(self) -> SyncState:
        def bump(state: SyncState) -> None:
            state.webhook_events += 1
            state.retrain_due = state.retrain_due or state.new_annotations() >= self.retrain_after
        return update_state(self.state_path, bump)

    def serve_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="labelstudio-webhook",
                                  daemon=True)
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    server: WebhookReceiver

    def log_message(self, format: str, *args: Any) -> None:
        pass  # no access log: nothing here is worth keeping, and nothing secret leaks

    def _answer(self, status: HTTPStatus, detail: str = "") -> None:
        body = json.dumps({"detail": detail}).encode() if detail else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        if self.path.split("?")[0] != "/labelstudio":
            return self._answer(HTTPStatus.NOT_FOUND, "no such path")
        given = (self.headers.get(SECRET_HEADER) or "").encode("utf-8")
        if not hmac.compare_digest(given, self.server.secret):
            return self._answer(HTTPStatus.UNAUTHORIZED, f"missing or wrong {SECRET_HEADER}")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return self._answer(HTTPStatus.BAD_REQUEST, "bad Content-Length")
        if length > MAX_BODY:
            return self._answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
        try:
            event = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return self._answer(HTTPStatus.BAD_REQUEST, "body is not JSON")
        if isinstance(event, dict) and event.get("action") in ANNOTATION_ACTIONS:
            self.server.count()
        return self._answer(HTTPStatus.NO_CONTENT)


def register(ls: LabelStudio, project_id: int, url: str, secret: str) -> int:
    """Ask Label Studio to call `url` on every annotation of the project (once: an existing
    webhook for the same URL is reused). Returns the webhook's id."""
    try:
        for hook in ls.webhooks.list(project=str(project_id)):
            if hook.url == url:
                ls.webhooks.update(id=hook.id, url=url, headers={SECRET_HEADER: secret},
                                   send_payload=False, is_active=True)
                return int(hook.id)
        hook = ls.webhooks.create(url=url, project=project_id, send_payload=False,
                                  send_for_all_actions=False, actions=list(ANNOTATION_ACTIONS),
                                  headers={SECRET_HEADER: secret}, is_active=True)
        return int(hook.id)
    except FAILURES as exc:
        raise LabelStudioError(f"cannot register the webhook ({describe(exc)}); Label Studio "
                               "refuses local URLs unless SSRF_PROTECTION_ENABLED=false") from None
