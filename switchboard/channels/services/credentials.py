"""Organizations' own carrier accounts (`/v1/Channels/Credentials`): a Twilio account sid
and auth token per organization. Its webhooks are checked with that token and its SMS
replies sent with that account; the token is stored sealed with the tenant's derived
key and never shown again. Without one, the deployment's Twilio settings serve."""

from __future__ import annotations

import re
from dataclasses import dataclass

from switchboard.channels.domain import records as r
from switchboard.channels.ports import CarrierAccount
from switchboard.channels.services.context import Channels
from switchboard.kernel import sids
from switchboard.kernel.criteria import Query, asc, eq
from switchboard.kernel.errors import InvalidParameter, NotFound, SwitchboardError

MAX_NAME = 256
_TWILIO_ACCOUNT = re.compile(r"^AC[0-9a-fA-F]{32}$")


class WrongCarrierAccount(SwitchboardError):
    """A webhook signed by one organization's carrier account about another's address."""

    status = 403
    code = 20003


@dataclass(frozen=True)
class CredentialFields:
    organization: str | None
    provider_account: str | None
    auth_token: str | None
    provider: str | None = None


def _check(p: CredentialFields) -> tuple[str, str, str, str]:
    provider = p.provider or r.TWILIO
    if provider != r.TWILIO:
        raise InvalidParameter(f"Provider must be {r.TWILIO}, not {provider!r}")
    if not p.organization or len(p.organization) > MAX_NAME:
        raise InvalidParameter(f"Missing required parameter Organization (1 to {MAX_NAME})")
    if p.provider_account is None or not _TWILIO_ACCOUNT.match(p.provider_account):
        raise InvalidParameter("ProviderAccountSid must be a Twilio account sid (AC + 32 hex)")
    if not p.auth_token or len(p.auth_token) > 256:
        raise InvalidParameter("Missing required parameter AuthToken")
    return provider, p.organization, p.provider_account, p.auth_token


async def set_credential(
    svc: Channels, account_sid: str, p: CredentialFields
) -> r.CarrierCredential:
    """Create the organization's credential, or replace its account and token."""
    provider, organization, provider_account, token = _check(p)
    if svc.sealer is None:
        raise SwitchboardError("Carrier credentials need the deployment's sealer", status=500)
    sealed = svc.sealer.seal(account_sid, token)
    now = svc.clock.now_ms()
    lock = f"channel-credential:{account_sid}:{organization}:{provider}"
    async with svc.store.transaction(lock) as unit:
        row = await unit.first(
            r.CarrierCredential,
            eq("account_sid", account_sid),
            eq("organization", organization),
            eq("provider", provider),
        )
        if row is None:
            row = r.CarrierCredential(
                sid=sids.new_sid(r.CREDENTIAL),
                account_sid=account_sid,
                organization=organization,
                provider=provider,
                provider_account=provider_account,
                sealed_token=sealed,
                date_created=now,
                date_updated=now,
            )
            unit.add(row)
        else:
            row.provider_account, row.sealed_token, row.date_updated = (
                provider_account, sealed, now,
            )  # fmt: skip
    return row


async def access_credential(svc: Channels, account_sid: str, sid: str) -> r.CarrierCredential:
    async with svc.store.read() as unit:
        row = await unit.get(r.CarrierCredential, sid)
    if row is None or row.account_sid != account_sid:
        raise NotFound(f"The requested resource /Channels/Credentials/{sid} was not found")
    return row


async def delete_credential(svc: Channels, account_sid: str, sid: str) -> None:
    found = await access_credential(svc, account_sid, sid)
    async with svc.store.transaction() as unit:
        row = await unit.get(r.CarrierCredential, found.sid)
        if row is not None:
            await unit.delete(row)


def credentials_query(account_sid: str) -> Query[r.CarrierCredential]:
    where = (eq("account_sid", account_sid),)
    return Query(r.CarrierCredential, where, (asc("date_created"), asc("sid")))


def _account(svc: Channels, row: r.CarrierCredential) -> CarrierAccount:
    assert svc.sealer is not None
    token = svc.sealer.unseal(row.account_sid, row.sealed_token)
    return CarrierAccount(row.provider_account, token, row.account_sid, row.organization)


async def signers(svc: Channels, provider_account: str | None) -> list[CarrierAccount]:
    """The organizations' accounts a webhook naming `provider_account` may be signed by."""
    if not provider_account or svc.sealer is None:
        return []
    async with svc.store.read() as unit:
        rows = await unit.select(
            r.CarrierCredential,
            eq("provider", r.TWILIO),
            eq("provider_account", provider_account),
            order=[asc("date_created")],
        )
    return [_account(svc, row) for row in rows]


async def sending_account(
    svc: Channels, account_sid: str, organization: str | None
) -> CarrierAccount | None:
    """The organization's own account replies leave with (None: the deployment's)."""
    if organization is None or svc.sealer is None:
        return None
    async with svc.store.read() as unit:
        row = await unit.first(
            r.CarrierCredential,
            eq("account_sid", account_sid),
            eq("organization", organization),
            eq("provider", r.TWILIO),
        )
    return None if row is None else _account(svc, row)


def check_signer(signer: CarrierAccount | None, address: r.ChannelAddress) -> None:
    """An organization's carrier account speaks only for that organization's addresses (the
    deployment's own account, `None`, for every address)."""
    if signer is None:
        return
    if (signer.tenant, signer.organization) != (address.account_sid, address.organization):
        raise WrongCarrierAccount(
            f"The carrier account {signer.account_sid} does not own {address.address}"
        )
