"""Moves spooled hits to the server, and deletes each only once the server owns it.

"Owns it" means the server answered with an incident id: a fresh 201, or the 200 with
`duplicate: true` that a retry of an already-stored hit gets (e.g. after the agent was
killed between the server's answer and the local delete). Everything else leaves the hit
where it is. Retries back off exponentially with jitter, so a school's worth of laptops
coming back after an outage does not hammer the server in step.
"""
from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable

from agent.client import DeviceNotAuthorised, HitRefused, ServerClient, ServerUnavailable
from agent.health import Health
from agent.spool import Spool, SpoolWriteError
from classifier.records import utc_now

log = logging.getLogger("agent.uploader")

#: How often an idle uploader looks at the spool without being woken.
IDLE_POLL_SECONDS = 5.0


def unreachable(exc: Exception) -> str:
    """The one wording for "server down", shared by the uploader and the heartbeat so that
    the outage is logged once, not once per thread."""
    return f"{exc}; hits stay in the spool and are retried with backoff"


def not_authorised(exc: Exception) -> str:
    return f"{exc}; enrol this device again (hits stay in the spool)"


class Backoff:
    """Exponential backoff with "equal jitter": half the delay fixed, half random."""

    def __init__(self, initial: float, maximum: float,
                 rng: Callable[[], float] = random.random) -> None:
        self.initial = initial
        self.maximum = maximum
        self.failures = 0
        self._rng = rng

    def next_delay(self) -> float:
        ceiling = min(self.maximum, self.initial * (2 ** min(self.failures, 30)))
        self.failures += 1
        return ceiling / 2 + self._rng() * ceiling / 2

    def reset(self) -> None:
        self.failures = 0


class Uploader:
    def __init__(self, spool: Spool, client_factory: Callable[[], ServerClient],
                 health: Health, backoff: Backoff) -> None:
        self.spool = spool
        self._client_factory = client_factory
        self.health = health
        self.backoff = backoff
        self.wake = threading.Event()
        self.delivered = 0

    def deliver_due(self, client: ServerClient, stop: threading.Event | None = None) -> int:
        """Send every waiting hit; raises ServerUnavailable/DeviceNotAuthorised to back off."""
        sent = 0
        while stop is None or not stop.is_set():
            batch = self.spool.due(limit=20)
            if not batch:
                break
            for hit in batch:
                self.spool.record_attempt(hit.key)
                try:
                    delivery = client.upload_hit(hit.record, hit.screenshot, hit.screenshot_type)
                except HitRefused as exc:
                    if exc.about_screenshot and hit.screenshot:
                        log.warning("server refused the screenshot of hit %s (%s); sending the "
                                    "record without it", hit.key, exc.detail)
                        self.spool.drop_screenshot(hit.key)
                    else:
                        log.error("server refused hit %s: %s; kept on this device, not "
                                  "retried", hit.key, exc.detail)
                        self.spool.reject(hit.key, f"{exc.status}: {exc.detail}")
                    continue
                self.spool.delivered(hit.key)
                self.spool.set_meta("last_upload_at", utc_now())
                sent += 1
                self.delivered += 1
                log.info("hit %s delivered as incident %s (%s%s)", hit.key,
                         delivery.incident_id, delivery.status,
                         ", already held" if delivery.duplicate else "")
        return sent

    def run(self, stop: threading.Event) -> None:
        with self._client_factory() as client:
            while not stop.is_set():
                try:
                    sent = self.deliver_due(client, stop)
                except ServerUnavailable as exc:
                    self.health.report("server", unreachable(exc), level=logging.WARNING)
                    stop.wait(self.backoff.next_delay())
                    continue
                except DeviceNotAuthorised as exc:
                    self.health.report("server", not_authorised(exc))
                    stop.wait(self.backoff.next_delay())
                    continue
                except SpoolWriteError as exc:  # a delivered hit is sent again: a duplicate
                    self.health.report("spool", f"{exc}; uploads paused")  # answer, no loss
                    stop.wait(self.backoff.next_delay())
                    continue
                self.backoff.reset()
                if sent:
                    self.health.clear("server", f"server reachable again; {sent} hit(s) "
                                      "delivered from the spool")
                self.wake.wait(IDLE_POLL_SECONDS)
                self.wake.clear()
