"""Encrypting secrets at rest (auth tokens are needed again to sign callbacks).

The key comes from `SWITCHBOARD_SECRET_KEY` (a Fernet key) or, failing that, from
`./var/secret.key`, created on first use with owner-only permissions. Every process
of one deployment must share the key.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet

KEY_FILE = Path("var") / "secret.key"


@lru_cache(maxsize=1)
def _fernet() -> Fernet:
    key = os.environ.get("SWITCHBOARD_SECRET_KEY")
    if key:
        return Fernet(key.encode())
    if not KEY_FILE.exists():
        KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
    return Fernet(KEY_FILE.read_bytes().strip())


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str:
    return _fernet().decrypt(sealed.encode()).decode()
