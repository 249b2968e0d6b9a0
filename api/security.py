"""Secrets at rest and in transit: passwords (argon2), random tokens (stored as SHA-256), CSRF.

Tokens are 256 random bits, so a plain SHA-256 is enough to make a stolen table useless, and it
keeps look-up a single indexed equality. Passwords are low-entropy and get argon2. The settings
secret only signs what the server hands out and reads back (CSRF tokens, cursors), so rotating
it signs people out of forms but never strands an enrolled device.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_CHARS = 12

#: Prefixes say what a leaked token is (and let secret scanners spot one) without a look-up.
DEVICE_TOKEN_PREFIX = "sgd_"
STAFF_TOKEN_PREFIX = "sgs_"
SESSION_PREFIX = "sgc_"
ENROLMENT_KEY_PREFIX = "sge_"

_hasher = PasswordHasher()
#: Verified against when an email is unknown, so a miss costs what a wrong password costs.
_DUMMY_HASH = _hasher.hash("not-a-real-password-" + secrets.token_hex(8))


class WeakPasswordError(ValueError):
    pass


def check_password_strength(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPasswordError(f"password must be at least {MIN_PASSWORD_CHARS} characters")
    if password.strip() != password or len(set(password)) < 5:
        raise WeakPasswordError("password is too simple")
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def generate_password() -> str:
    """A password people can type from a printout: four groups of five."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def display_prefix(token: str) -> str:
    """Enough of a token to tell two apart in a list, far too little to use."""
    return token[:10]


def _sign(secret: str, purpose: str, payload: bytes) -> str:
    mac = hmac.new(secret.encode(), purpose.encode() + b"\x00" + payload, hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:18]).decode().rstrip("=")


def csrf_token_for(secret: str, session_token: str) -> str:
    """The CSRF token is bound to one sign-in, so a token from another session is worthless."""
    return _sign(secret, "csrf", hash_token(session_token).encode())


def csrf_token_valid(secret: str, session_token: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token_for(secret, session_token),
                                                   presented or "")


def sign_cursor(secret: str, value: Any) -> str:
    body = base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode())
    body_text = body.decode().rstrip("=")
    return f"{body_text}.{_sign(secret, 'cursor', body_text.encode())}"


class BadCursorError(ValueError):
    pass


def read_cursor(secret: str, cursor: str) -> Any:
    body, _, signature = cursor.partition(".")
    if not signature or not hmac.compare_digest(_sign(secret, "cursor", body.encode()), signature):
        raise BadCursorError("cursor is not one this server issued")
    try:
        return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise BadCursorError("cursor is damaged") from None
