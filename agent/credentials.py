"""The device's identity: the token from enrolment, kept in a file only its owner can read.

The token is what lets a laptop file incidents about children, so it is written with mode
0600 from the first byte (never chmod-ed after the fact), replaced atomically, and never
printed or logged.
"""
from __future__ import annotations

import json
import logging
import os
import stat
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger(__name__)

TOKEN_FILE = "device.json"


class NotEnrolledError(RuntimeError):
    """No usable device token: the agent must be enrolled first."""


@dataclass(frozen=True, slots=True)
class DeviceCredentials:
    server_url: str
    device_id: str
    device_token: str
    school_id: str

    def __repr__(self) -> str:  # keep the token out of tracebacks and debug output
        return (f"DeviceCredentials(server_url={self.server_url!r}, "
                f"device_id={self.device_id!r}, school_id={self.school_id!r})")


def ensure_private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def token_path(state_dir: Path) -> Path:
    return state_dir / TOKEN_FILE


def save_credentials(state_dir: Path, creds: DeviceCredentials) -> Path:
    ensure_private_dir(state_dir)
    path = token_path(state_dir)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # O_CREAT's mode does not apply to a file left by a crash
        os.write(fd, json.dumps(asdict(creds), indent=2).encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return path


def load_credentials(state_dir: Path) -> DeviceCredentials:
    path = token_path(state_dir)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotEnrolledError(
            f"not enrolled ({path} does not exist): run "
            "`safeguard-agent enrol --server URL --key KEY`") from None
    except (OSError, ValueError) as exc:
        raise NotEnrolledError(f"{path}: cannot read the device token ({exc}); enrol again") \
            from None
    if mode & 0o077:
        log.warning("%s was readable by other users (mode %o); restricting it to 0600",
                    path, mode)
        path.chmod(0o600)
    try:
        return DeviceCredentials(**{k: str(data[k]) for k in
                                    ("server_url", "device_id", "device_token", "school_id")})
    except (KeyError, TypeError):
        raise NotEnrolledError(f"{path}: incomplete device token file; enrol again") from None
