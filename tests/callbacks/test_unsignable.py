"""A callback that cannot be signed (the account's token was sealed with another secret
key) is recorded as failed with the reason, not left pending forever (issue 11)."""

from __future__ import annotations

from cryptography.fernet import Fernet

from switchboard.outbound.records import CallbackDelivery
from switchboard.tenancy.domain.records import Account
from switchboard.tenancy.sealing import Sealer
from tests.callbacks.support import Live, Receiver, eventually


async def _failed(live: Live) -> list[CallbackDelivery]:
    return await live.rows(CallbackDelivery, kind="event", status="failed")


async def test_an_unsignable_delivery_is_failed_with_the_reason(
    live: Live, receiver: Receiver
) -> None:
    other_key = Sealer(Fernet.generate_key().decode())
    async with live.svc.store.transaction() as unit:
        account = await unit.get(Account, live.account_sid)
        assert account is not None
        account.auth_token_sealed = other_key.seal(live.auth_token)

    await live.workspace(event_url=receiver.url("events"))

    failed = await eventually(lambda: _failed(live))
    assert "cannot sign" in (failed[0].error or "")
    assert "another secret key" in (failed[0].error or "")
    assert receiver.of("events") == []
