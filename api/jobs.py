"""The scheduled work of a running server: retry alerts, escalate, purge what has expired,
and pick up a newly published context model.

One asyncio task per process runs each job in a worker thread on its own cadence. Every job is
safe to run twice (alerts are at-least-once, purges idempotent), so several server processes
need no lock between them.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

from api.alerts import deliver_due_alerts, escalate_waiting
from api.db import utcnow
from api.retention import purge_expired, sweep_orphan_blobs
from api.scoring import reload_newest_model
from api.services import Services

log = logging.getLogger(__name__)

RETENTION_EVERY_S = 3600
ORPHAN_SWEEP_EVERY_S = 24 * 3600


def _jobs(services: Services) -> list[tuple[str, float, Callable[[], object]]]:
    s = services
    url = s.settings.public_url

    def sweep() -> int:
        with s.session_factory() as session:
            return sweep_orphan_blobs(session, s.blobs, utcnow())

    jobs = [
        ("alerts", s.settings.jobs_interval_s,
         lambda: deliver_due_alerts(s.session_factory, s.mailer, url)),
        ("escalation", s.settings.jobs_interval_s,
         lambda: escalate_waiting(s.session_factory, s.mailer, url)),
        ("retention", RETENTION_EVERY_S, lambda: purge_expired(s.session_factory, s.blobs)),
        ("orphan screenshots", ORPHAN_SWEEP_EVERY_S, sweep),
    ]
    # A server pinned to a model folder, or to keywords only, keeps what it was given.
    if s.settings.model_dir is None and not s.settings.keywords_only:
        jobs.append(("model reload", s.settings.jobs_interval_s,
                     lambda: reload_newest_model(s.judge, threads=s.settings.judge_threads)))
    return jobs


async def run_forever(services: Services) -> None:
    jobs = _jobs(services)
    last_run = {name: 0.0 for name, _, _ in jobs}
    while True:
        for name, every, job in jobs:
            if time.monotonic() - last_run[name] < every:
                continue
            last_run[name] = time.monotonic()
            try:
                await run_in_threadpool(job)
            except Exception:  # one failing job must not stop the others
                log.exception("scheduled job %r failed", name)
        await asyncio.sleep(min(services.settings.jobs_interval_s, 60))
