"""Password hashes: argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
# verified against when the e-mail is unknown, so a miss costs as long as a wrong password
_DECOY = _HASHER.hash("not a password of anyone")


async def hash_password(password: str) -> str:
    """Hashing takes tens of milliseconds: off the event loop."""
    return await asyncio.to_thread(_HASHER.hash, password)


async def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored` (None: an unknown user, checked against a decoy)."""
    return await asyncio.to_thread(_verify, stored or _DECOY, password, stored is not None)


def _verify(stored: str, password: str, real: bool) -> bool:
    try:
        return _HASHER.verify(stored, password) and real
    except (VerificationError, InvalidHashError):
        return False
