"""The FastAPI application: `create_app(settings)` wires storage, classifier, jobs and routes."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable

from fastapi import APIRouter, FastAPI

from api import errors, web
from api.blobs import BlobStore
from api.db import make_engine, make_session_factory
from api.jobs import run_forever
from api.library import library_version
from api.limits import BodySizeLimit
from api.mailer import Mailer
from api.routes import ROUTERS
from api.scoring import BatchingJudge, load_server_judge
from api.services import Services
from api.settings import Settings, load_settings
from classifier.judge import Judge

log = logging.getLogger(__name__)

DESCRIPTION = """Safeguard Monitor's review server.

Agents enrol with a school key and send hits (`/api/v1/hits`); staff review a ranked queue of
incidents. Every read of an incident or screenshot is authorised by role and audited.
Errors are always `{"detail": "<reason>"}`.
"""
#: The hit JSON and multipart framing on top of the largest screenshot allowed.
INGEST_OVERHEAD_BYTES = 64 * 1024
DEFAULT_BODY_LIMIT = 1024 * 1024


def create_app(settings: Settings | None = None, *, judge: Judge | None = None,
               extra_routers: Iterable[APIRouter] = ()) -> FastAPI:
    """Build the app. `judge` replaces the configured classifier (tests, benchmarks)."""
    settings = settings or load_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.resolved_database_url)
        chosen = judge or load_server_judge(keywords_only=settings.keywords_only,
                                            model_dir=settings.model_dir,
                                            threads=settings.judge_threads)
        batching = BatchingJudge(chosen, batch_size=settings.judge_batch_size,
                                 batch_wait_ms=settings.judge_batch_wait_ms)
        services = Services(settings=settings, engine=engine,
                            session_factory=make_session_factory(engine),
                            blobs=BlobStore(settings.resolved_blob_dir), judge=batching,
                            mailer=Mailer(settings), library_version=library_version())
        app.state.services = services
        await batching.start()
        jobs = asyncio.create_task(run_forever(services)) if settings.jobs_enabled else None
        if not services.mailer.configured:
            log.warning("SMTP is not configured (SAFEGUARD_SMTP_HOST): alert emails are not sent")
        log.info("review server up: model %s, library %s, mode %s", batching.version,
                 services.library_version, settings.mode)
        try:
            yield
        finally:
            if jobs is not None:
                jobs.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await jobs
            await batching.stop()
            engine.dispose()

    app = FastAPI(title="Safeguard Monitor review server", version="1", description=DESCRIPTION,
                  lifespan=lifespan)
    errors.install(app)
    app.add_middleware(BodySizeLimit, default_limit=DEFAULT_BODY_LIMIT,
                       limits={"/api/v1/hits": settings.max_screenshot_bytes
                               + INGEST_OVERHEAD_BYTES})
    for router in (*ROUTERS, *extra_routers):
        app.include_router(router)
    app.include_router(web.router)  # the review UI's pages; it mounts /static itself
    return app
