"""The official `twilio` SDK's Accounts, Usage, Balance and AuthTokens against a live server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from switchboard.testing import twilio_client
from tests.live import LiveServer, create_account


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[LiveServer, str, str]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sdk.db'}"
    sid, token = create_account(url, "SDK parent")
    live = LiveServer(url, tmp_path / "server.log")
    live.start()
    try:
        yield live, sid, token
    finally:
        live.stop()


def client(server: LiveServer, sid: str, token: str) -> Client:
    return twilio_client(server.base_url, sid, token)


def test_sdk_manages_sub_accounts(server: tuple[LiveServer, str, str]) -> None:
    live, sid, token = server
    parent = client(live, sid, token)
    accounts = parent.api.v2010.accounts
    child = accounts.create(friendly_name="Branch 7")
    assert child.owner_account_sid == sid and child.auth_token
    assert child.date_created.tzinfo is not None
    assert {a.sid for a in accounts.list()} == {sid, child.sid}
    assert [a.sid for a in accounts.list(friendly_name="Branch 7")] == [child.sid]
    assert accounts(child.sid).fetch().friendly_name == "Branch 7"
    suspended = accounts(child.sid).update(status="suspended")
    assert suspended.status == "suspended"
    assert accounts(child.sid).update(status="active").status == "active"

    as_child = client(live, child.sid, child.auth_token)
    assert [a.sid for a in as_child.api.v2010.accounts.list()] == [child.sid]
    with pytest.raises(TwilioRestException) as missing:
        as_child.api.v2010.accounts(sid).fetch()
    assert missing.value.status == 404


def test_sdk_reads_usage_and_balance(server: tuple[LiveServer, str, str]) -> None:
    live, sid, token = server
    api = client(live, sid, token).api.v2010
    api.accounts.list()
    records = api.accounts(sid).usage.records.list(
        category="api.accounts", start_date=datetime.now(UTC).date()
    )
    assert [(r.category, r.count) for r in records] == [("api.accounts", "1")]
    today = {r.category: r for r in api.accounts(sid).usage.records.today.list()}
    assert "api.usage" in today and float(today["api.accounts"].price) == pytest.approx(0.0001)
    assert api.accounts(sid).usage.records.this_month.list()
    balance = api.accounts(sid).balance.fetch()
    assert balance.currency == "USD" and float(balance.balance) < 0


def test_sdk_rotates_the_auth_token(server: tuple[LiveServer, str, str]) -> None:
    live, sid, token = server
    first = client(live, sid, token)
    secondary = first.accounts.v1.secondary_auth_token().create().secondary_auth_token
    second = client(live, sid, secondary)
    assert second.api.v2010.accounts(sid).fetch().sid == sid  # both work now
    promoted = second.accounts.v1.auth_token_promotion().update()
    assert promoted.auth_token == secondary
    with pytest.raises(TwilioRestException) as rejected:
        client(live, sid, token).api.v2010.accounts(sid).fetch()
    assert rejected.value.status == 401
    third = second.accounts.v1.secondary_auth_token().create().secondary_auth_token
    assert second.accounts.v1.secondary_auth_token().delete()
    with pytest.raises(TwilioRestException):
        client(live, sid, third).api.v2010.accounts(sid).fetch()
