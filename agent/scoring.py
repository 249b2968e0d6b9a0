"""Scoring on the device (a school's choice): the context model runs here, and the screenshot
of a hit it judges innocent never leaves the laptop; only the words go to the server, which
files them as suppressed."""
from __future__ import annotations

import logging
import os
from pathlib import Path

from agent.credentials import ensure_private_dir
from classifier.judge import ContextInput, Judge, load_judge
from classifier.records import HitRecord

log = logging.getLogger("agent.scoring")

KEPT_DIR = "kept-screenshots"


class DeviceScorer:
    def __init__(self, judge: Judge, state_dir: Path) -> None:
        self.judge = judge
        self._kept = state_dir / KEPT_DIR

    @classmethod
    def load(cls, state_dir: Path, model_dir: str = "") -> DeviceScorer:
        judge = load_judge(model_dir or None, threads=1)
        log.info("scoring on this device with %s", judge.version)
        return cls(judge, state_dir)

    def alerts(self, record: HitRecord) -> bool:
        verdict = self.judge.judge([ContextInput(record.context, record.start, record.end,
                                                 record.category)])[0]
        return verdict.alert

    def keep(self, key: str, data: bytes, mime: str) -> None:
        """Store an innocent hit's screenshot on the device only (owner-readable)."""
        ensure_private_dir(self._kept)
        path = self._kept / f"{key}.{mime.split('/')[-1]}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
