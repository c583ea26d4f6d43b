"""Hosted mailboxes over IMAP, on SQLite and PostgreSQL: unseen mail becomes conversations
like SMTP mail, is marked seen once stored, and mail that can never be stored is marked
seen after an event instead of being fetched forever."""

from __future__ import annotations

from collections.abc import AsyncIterator
from email.message import EmailMessage

import httpx
import pytest

from switchboard.channels.domain.records import ChannelEvent
from switchboard.runtime import Runtime, build_runtime
from switchboard.settings import Settings
from tests.callbacks.support import fast_settings
from tests.channels.imap_server import Mailbox, imap_server
from tests.channels.provider import serve
from tests.live import HTTP_TIMEOUT

SUPPORT = "support@acme.example"


def _mail(body: str, message_id: str | None) -> bytes:
    message = EmailMessage()
    message["From"] = "Cleo <cleo@example.com>"
    message["To"] = SUPPORT
    message["Subject"] = "Hello from my phone"
    if message_id:
        message["Message-ID"] = message_id
    message.set_content(body)
    return message.as_bytes()


@pytest.fixture
async def deployment(
    database_url: str,
) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient, Mailbox]]:
    box = Mailbox("desk", "s3cret")
    async with imap_server(box) as port:
        settings = Settings(
            database_url=database_url, channel_email=True, smtp_listen_port=0,
            imap_host="127.0.0.1", imap_port=port, imap_ssl=False, imap_username="desk",
            imap_password="s3cret", imap_interval_seconds=3600, fairness=False,
        )  # fmt: skip
        runtime = build_runtime(settings, outbound=fast_settings())
        async with serve(runtime.app) as url:
            account, token = await runtime.core.accounts.create("Acme")
            async with httpx.AsyncClient(
                base_url=url, auth=(account.sid, token), timeout=HTTP_TIMEOUT
            ) as api:
                address = {"Channel": "email", "Address": SUPPORT}
                assert (await api.post("/v1/Channels/Addresses", data=address)).status_code == 201
                yield runtime, api, box


async def test_unseen_mail_is_stored_once_and_marked_seen(
    deployment: tuple[Runtime, httpx.AsyncClient, Mailbox],
) -> None:
    runtime, api, box = deployment
    assert runtime.mailbox is not None
    good = box.add(_mail("My order never came.", "<m1@example.com>"))
    broken = box.add(_mail("no id", None))

    assert await runtime.mailbox.poll() == 2
    assert box.seen == {good, broken}
    [conversation] = (await api.get("/v1/Conversations")).json()["conversations"]
    messages = (await api.get(f"/v1/Conversations/{conversation['sid']}/Messages")).json()
    assert [m["body"] for m in messages["messages"]] == ["My order never came."]
    async with runtime.core.store.read() as unit:
        [event] = await unit.select(ChannelEvent)
    assert event.event_type == "channel.email.refused"
    assert "Message-ID" in event.detail

    assert await runtime.mailbox.poll() == 0  # nothing unseen is left
    box.seen.clear()  # the mailbox lost its flags: the same Message-ID is not stored twice
    assert await runtime.mailbox.poll() == 2
    assert len((await api.get("/v1/Conversations")).json()["conversations"]) == 1
