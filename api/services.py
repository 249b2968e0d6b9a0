"""What a running server holds for its whole life, built once in `create_app`'s lifespan."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.blobs import BlobStore
from api.mailer import Mailer
from api.scoring import BatchingJudge
from api.settings import Settings


@dataclass
class Services:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    blobs: BlobStore
    judge: BatchingJudge
    mailer: Mailer
    library_version: str
