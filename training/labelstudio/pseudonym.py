"""Pupil and device pseudonyms for labelling: stable, salted, and not reversible without the salt.

A labeller needs to see that two hits came from the same pupil (a pattern matters more than
one message) but never who the pupil is. An HMAC of the login with a secret salt gives the
same pseudonym every push, while a dictionary of a school's logins cannot be hashed to undo
it without the salt.
"""
from __future__ import annotations

import hashlib
import hmac

DIGEST_CHARS = 12


class Pseudonymiser:
    def __init__(self, salt: bytes) -> None:
        if len(salt) < 16:
            raise ValueError("the pseudonym salt must be at least 16 bytes")
        self._salt = salt

    def _digest(self, kind: str, value: str) -> str:
        message = f"{kind}\x1f{value.strip().casefold()}".encode()
        return hmac.new(self._salt, message, hashlib.sha256).hexdigest()[:DIGEST_CHARS]

    def pupil(self, login: str) -> str:
        """`NFA\\j.carter` and `nfa\\J.Carter` are one pupil: logins are compared case-blind."""
        return f"pupil-{self._digest('pupil', login)}"

    def device(self, device_id: str) -> str:
        return f"device-{self._digest('device', device_id)}"
