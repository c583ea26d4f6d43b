"""Email end to end with real SMTP both ways, on SQLite and PostgreSQL: a customer's mail
reaches Switchboard's SMTP listener and becomes a conversation; a member's reply reaches
the customer's SMTP server with the organization's address and the thread's headers; the
customer's answer to it joins the same conversation; unknown mailboxes and oversized
mail are refused at the SMTP level (the sender's server bounces them)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import smtplib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from switchboard.channels.adapters.smtp_in import listen
from switchboard.channels.domain.records import ChannelEvent
from switchboard.runtime import Runtime, build_runtime
from switchboard.settings import Settings
from tests.callbacks.support import eventually, fast_settings
from tests.channels.provider import serve
from tests.live import HTTP_TIMEOUT

SUPPORT = "support@acme.example"
CUSTOMER = "cleo@example.com"


@dataclass
class Mailbox:
    """The customer's side: an SMTP server that keeps every message it is given."""

    received: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        parsed = email.message_from_bytes(
            envelope.original_content or b"", policy=email.policy.default
        )
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        return "250 OK"


@dataclass
class Deployment:
    runtime: Runtime
    api: httpx.AsyncClient
    smtp_port: int
    mailbox: Mailbox


@pytest.fixture
async def d(database_url: str) -> AsyncIterator[Deployment]:
    mailbox = Mailbox()
    customer_server = await listen(mailbox, "127.0.0.1", 0, max_bytes=1_000_000)  # type: ignore[arg-type]
    relay_port = int(customer_server.sockets[0].getsockname()[1])
    settings = Settings(
        database_url=database_url,
        channel_email=True,
        smtp_listen_port=0,
        email_max_bytes=200_000,
        smtp_relay_host="127.0.0.1",
        smtp_relay_port=relay_port,
        fairness=False,
    )
    runtime = build_runtime(settings, outbound=fast_settings())
    try:
        async with serve(runtime.app) as url:
            account, token = await runtime.core.accounts.create("Acme")
            assert runtime.mail is not None
            async with httpx.AsyncClient(
                base_url=url, auth=(account.sid, token), timeout=HTTP_TIMEOUT
            ) as api:
                address = {"Channel": "email", "Address": f"Acme Support <{SUPPORT}>"}
                assert (await api.post("/v1/Channels/Addresses", data=address)).status_code == 201
                yield Deployment(runtime, api, runtime.mail.bound_port, mailbox)
    finally:
        customer_server.close()
        await customer_server.wait_closed()


def _mail(
    body: str, message_id: str, subject: str = "Broken widget", **headers: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Cleo <{CUSTOMER}>"
    message["To"] = SUPPORT
    message["Subject"] = subject
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


async def _send(port: int, message: EmailMessage, to: str = SUPPORT) -> None:
    def send() -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.send_message(message, to_addrs=[to])

    await asyncio.to_thread(send)


async def _conversations(api: httpx.AsyncClient) -> list[dict[str, Any]]:
    return list((await api.get("/v1/Conversations")).json()["conversations"])


async def _bodies(api: httpx.AsyncClient, sid: str) -> list[str]:
    messages = (await api.get(f"/v1/Conversations/{sid}/Messages")).json()["messages"]
    return [m["body"] for m in messages]


async def test_a_mail_in_the_members_reply_out_and_the_answer_in_the_same_thread(
    d: Deployment,
) -> None:
    await _send(d.smtp_port, _mail("My widget is broken.", "<c1@example.com>"))
    [conversation] = await _conversations(d.api)
    sid = conversation["sid"]
    assert await _bodies(d.api, sid) == ["My widget is broken."]

    path = f"/v1/Conversations/{sid}"
    assert (await d.api.post(f"{path}/Participants", data={"Identity": "ada"})).status_code == 201
    said = await d.api.post(
        f"{path}/Messages", data={"Author": "ada", "Body": "Sorry! Resetting it."}
    )
    assert said.status_code == 201

    async def delivered() -> list[EmailMessage]:
        return d.mailbox.received

    [reply] = await eventually(delivered)
    assert reply["From"] == SUPPORT
    assert reply["To"] == CUSTOMER
    assert reply["Subject"] == "Re: Broken widget"
    assert reply["In-Reply-To"] == "<c1@example.com>"
    assert "<c1@example.com>" in reply["References"]
    assert reply.get_body(preferencelist=("plain",)).get_content().strip() == "Sorry! Resetting it."

    answer = _mail(
        "Works now, thanks!\n\nOn Wed, Acme wrote:\n> Sorry! Resetting it.\n",
        "<c2@example.com>",
        subject="Re: Broken widget",
        In_Reply_To=reply["Message-ID"],
        References=f"<c1@example.com> {reply['Message-ID']}",
    )
    await _send(d.smtp_port, answer)
    await _send(d.smtp_port, answer)  # a resend of the same Message-ID is stored once
    assert await _bodies(d.api, sid) == [
        "My widget is broken.",
        "Sorry! Resetting it.",
        "Works now, thanks!",
    ]

    await _send(d.smtp_port, _mail("Another question", "<c3@example.com>", subject="Invoice"))
    assert len(await _conversations(d.api)) == 2  # a mail that answers nothing starts anew


async def test_unknown_mailboxes_and_oversized_mail_are_refused_by_smtp(d: Deployment) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        await _send(d.smtp_port, _mail("hello", "<x1@example.com>"), to="nobody@acme.example")
    async with d.runtime.core.store.read() as unit:
        [event] = await unit.select(ChannelEvent)
    assert (event.event_type, event.address) == ("channel.address.unknown", "nobody@acme.example")

    with pytest.raises(smtplib.SMTPException) as refused:
        await _send(d.smtp_port, _mail("x" * 300_000, "<x2@example.com>"))
    assert "552" in str(refused.value) or getattr(refused.value, "smtp_code", 0) == 552
    assert await _conversations(d.api) == []
