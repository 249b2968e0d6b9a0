"""Where the learning loop keeps its state, and how it reaches the two servers it bridges.

Everything comes from the environment (or the command line), never from a file in the repo:
the loop handles pupils' words, so its working folder lives under `var/` (ignored by git) and
its tokens live in the environment of the person or job that runs it. Tokens are held as
`SecretStr` so that a repr, a log line or a traceback never shows them.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from classifier.paths import REPO_ROOT

LEARNING_DIR_ENV = "SAFEGUARD_LEARNING_DIR"
SALT_ENV = "SAFEGUARD_PSEUDONYM_SALT"
DEFAULT_PROJECT = "Safeguard context model"
#: Suppressed incidents are where missed concerns hide; this share of them is labelled.
DEFAULT_SUPPRESSED_FRACTION = 0.2
#: New annotations that make a retrain due.
DEFAULT_RETRAIN_AFTER = 200


class LoopSettingsError(ValueError):
    """A setting the loop cannot run without; the message names the variable to set."""


@dataclass(frozen=True)
class LearningPaths:
    """The loop's working folder: labelled rows, its own split manifest, candidates, reports."""

    root: Path

    @classmethod
    def default(cls) -> LearningPaths:
        return cls(Path(os.environ.get(LEARNING_DIR_ENV, REPO_ROOT / "var" / "learning")))

    @property
    def labelled(self) -> Path:
        """Training rows pulled from Label Studio (seed-row format plus offsets)."""
        return self.root / "labelled.jsonl"

    @property
    def progress(self) -> Path:
        """One line per Label Studio task (no text): what the progress notebook reads."""
        return self.root / "tasks.jsonl"

    @property
    def disagreements(self) -> Path:
        return self.root / "disagreements.jsonl"

    @property
    def splits(self) -> Path:
        """The committed seed manifest plus the families of labelled rows, frozen here."""
        return self.root / "splits.json"

    @property
    def candidates(self) -> Path:
        """Versions trained by `retrain`; a refused one stays here with its report."""
        return self.root / "candidates"

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def state(self) -> Path:
        """The sync job's and webhook receiver's shared counters."""
        return self.root / "sync-state.json"

    @property
    def salt(self) -> Path:
        return self.root / "pseudonym.salt"


@dataclass(frozen=True)
class Endpoint:
    """A server and the token to reach it with."""

    url: str
    token: SecretStr

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise LoopSettingsError(f"{self.url!r} is not an http(s) URL")


def _endpoint(url_env: str, token_env: str, default_url: str, what: str,
              url: str | None, token: str | None) -> Endpoint:
    url = (url or os.environ.get(url_env) or default_url).rstrip("/")
    token = token or os.environ.get(token_env)
    if not token:
        raise LoopSettingsError(f"set {token_env} to {what}")
    return Endpoint(url, SecretStr(token))


def label_studio(url: str | None = None, token: str | None = None) -> Endpoint:
    return _endpoint("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY", "http://127.0.0.1:8080",
                     "a Label Studio personal access token (Account & Settings)", url, token)


def review_server(url: str | None = None, token: str | None = None) -> Endpoint:
    return _endpoint("SAFEGUARD_SERVER_URL", "SAFEGUARD_API_TOKEN", "http://127.0.0.1:8000",
                     "a staff API token of a DSL account on the review server "
                     "(POST /api/v1/auth/tokens)", url, token)


def pseudonym_salt(paths: LearningPaths) -> bytes:
    """The salt for pupil and device pseudonyms: the environment's, else one made once and
    kept (mode 0600) in the learning folder, so a pupil keeps one pseudonym across pushes."""
    from_env = os.environ.get(SALT_ENV)
    if from_env:
        return from_env.encode("utf-8")
    if paths.salt.is_file():
        return paths.salt.read_bytes().strip()
    paths.root.mkdir(parents=True, exist_ok=True)
    salt = secrets.token_hex(32).encode("ascii")
    descriptor = os.open(paths.salt, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(salt)
    return salt
