"""Encrypting secrets at rest (auth tokens are needed again to sign callbacks).

Every process of one deployment must share the key: it comes from the
`SWITCHBOARD_SECRET_KEY` setting or, failing that, from a key file created on
first use with owner-only permissions (see :func:`load_key`). The database records
the key's fingerprint the first time a key is used with it (:func:`ensure_key`), so a
process holding another key refuses to start instead of failing token by token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from switchboard.kernel.criteria import not_null
from switchboard.kernel.errors import SecretUnavailable
from switchboard.kernel.ports import Clock, Store
from switchboard.tenancy.domain.records import Account, SealingKey

KEY_FILE = Path("var") / "secret.key"
ENV_VAR = "SWITCHBOARD_SECRET_KEY"


class SealingError(SecretUnavailable):
    """A sealed value that this key cannot open (it was sealed with another key)."""


class WrongSecretKey(Exception):
    """The key at hand is not the one this database's tokens are sealed with (or is missing)."""


def fingerprint(key: str) -> str:
    """Names a key without revealing it."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


class Sealer:
    """Seals and unseals with one Fernet key; `fingerprint` names the key without revealing it
    and `source` says where it came from (for error messages)."""

    def __init__(self, key: str, source: str = ENV_VAR) -> None:
        self._fernet = Fernet(key.encode())
        self._key = key
        self.fingerprint = fingerprint(key)
        self.source = source
        self.new_key_file = False  # the key file was created just now (worth saying)

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def unseal(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise SealingError(
                f"this account's auth token was sealed with another secret key than "
                f"{self.source} (fingerprint {self.fingerprint}): restart the server with "
                f"the key the account was created with"
            ) from None

    def for_account(self, account_sid: str) -> Sealer:
        """A sealer whose key is the account's own, derived from this one (HMAC-SHA256),
        so one account's sealed data never opens with another's key."""
        derived = hmac.new(self._key.encode(), account_sid.encode(), hashlib.sha256).digest()
        return Sealer(base64.urlsafe_b64encode(derived).decode())


class AccountSealers:
    """Seals per account (message bodies of encrypted conversations), one derived key each."""

    def __init__(self, sealer: Sealer) -> None:
        self.sealer = sealer
        self._by_account: dict[str, Sealer] = {}

    def _of(self, account_sid: str) -> Sealer:
        found = self._by_account.get(account_sid)
        if found is None:
            found = self._by_account[account_sid] = self.sealer.for_account(account_sid)
        return found

    def seal(self, account_sid: str, secret: str) -> str:
        return self._of(account_sid).seal(secret)

    def unseal(self, account_sid: str, sealed: str) -> str:
        return self._of(account_sid).unseal(sealed)


@dataclass(frozen=True)
class KeyChoice:
    """A key and where it was found."""

    key: str
    source: str


def describe_source(configured: str | None, path: Path = KEY_FILE) -> str:
    """Where the key comes from, in words an operator can act on."""
    return ENV_VAR if configured else f"the key file {path.resolve()}"


def load_key(configured: str | None, path: Path = KEY_FILE, *, create: bool = True) -> str | None:
    """The configured key, else the key file's (created, 0600, when missing and `create`)."""
    if configured:
        return configured
    if not path.exists():
        if not create:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
    return path.read_bytes().decode().strip()


async def recorded_key(store: Store) -> SealingKey | None:
    """The fingerprint this database expects, if a key was ever used with it."""
    async with store.read() as unit:
        return await unit.get(SealingKey, "secret_key")


async def open_sealer(
    store: Store, configured: str | None, clock: Clock, path: Path = KEY_FILE
) -> Sealer:
    """The sealer for this database: never creates a key file when the database already
    expects a key, and refuses a key that is not the expected one."""
    expected = await recorded_key(store)
    creating = not configured and not path.exists()
    key = load_key(configured, path, create=expected is None)
    source = describe_source(configured, path)
    if key is None:
        assert expected is not None
        raise WrongSecretKey(
            f"no secret key: {ENV_VAR} is not set and {path.resolve()} does not exist. "
            + _expectation(expected)
        )
    sealer = Sealer(key, source)
    sealer.new_key_file = creating
    await ensure_key(store, sealer, clock)
    return sealer


async def ensure_key(store: Store, sealer: Sealer, clock: Clock) -> None:
    """Record the key's fingerprint on first use; refuse any other key afterwards."""
    expected = await recorded_key(store)
    if expected is not None:
        if expected.fingerprint != sealer.fingerprint:
            raise WrongSecretKey(_mismatch(sealer) + _expectation(expected))
        return
    await _check_existing_tokens(store, sealer)
    async with store.transaction() as unit:
        if await unit.get(SealingKey, "secret_key") is None:
            record = SealingKey(
                fingerprint=sealer.fingerprint, source=sealer.source, date_created=clock.now_ms()
            )
            unit.add(record)
    await ensure_key(store, sealer, clock)  # another process may have won the race


async def _check_existing_tokens(store: Store, sealer: Sealer) -> None:
    """A database from before fingerprints: one token this key cannot open is enough."""
    async with store.read() as unit:
        account = await unit.first(Account, not_null("auth_token_sealed"))
    if account is None or account.auth_token_sealed is None:
        return
    try:
        sealer.unseal(account.auth_token_sealed)
    except SealingError:
        raise WrongSecretKey(
            _mismatch(sealer) + "Use the key its accounts were created with."
        ) from None


def _mismatch(sealer: Sealer) -> str:
    return (
        f"the secret key from {sealer.source} (fingerprint {sealer.fingerprint}) is not the "
        f"key this database's auth tokens are sealed with. "
    )


def _expectation(expected: SealingKey) -> str:
    return (
        f"This database expects the key with fingerprint {expected.fingerprint}, first used "
        f"from {expected.source}: set {ENV_VAR} to that key (or run from where that key file is)."
    )
