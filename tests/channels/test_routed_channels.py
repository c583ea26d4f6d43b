"""A new request on every channel becomes a routed task, end to end over real HTTP, SMTP and
websockets, on SQLite and PostgreSQL.

The organization's carrier addresses name the organization (`Organization=acme`) whose
routing profile (issue 19) takes new contacts: the customer's first text, mail or chat
message becomes the request's conversation message and a TaskRouter task, reserved to
the one available worker; once the worker accepts, they are in the conversation, and
their reply reaches the customer through the carrier address the customer wrote to
(the local Twilio Messages API, the customer's SMTP server, the visitor's websocket).
The request's acknowledgement reaches the customer the same way. A follow-up joins the
open request instead of opening a second one."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import smtplib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from websockets.asyncio.client import ClientConnection, connect

from switchboard.channels.adapters.smtp_in import listen
from switchboard.runtime import Runtime, build_runtime
from switchboard.settings import Settings
from tests.api.helpers import activity_sids, create, create_workspace, listing, ok
from tests.callbacks.support import eventually, fast_settings
from tests.channels.provider import FakeTwilio, fake_twilio, serve
from tests.channels.support import (
    CUSTOMER,
    ORG_NUMBER,
    PROVIDER_SID,
    PROVIDER_TOKEN,
    inbound_form,
    post_signed,
)
from tests.live import HTTP_TIMEOUT, free_port

SUPPORT = "support@acme.example"
MAIL_CUSTOMER = "cleo@example.com"
WIDGET = "acme-web"
ACK = "Thanks, we have your request and will answer shortly."


@dataclass
class Mailbox:
    """The customer's SMTP server: keeps every message it is given."""

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
    url: str
    api: httpx.AsyncClient
    public: httpx.AsyncClient
    provider: FakeTwilio
    mailbox: Mailbox
    smtp_port: int
    workspace: str
    worker: str

    async def reservation(self) -> dict[str, Any]:
        """The worker's pending reservation, once routing made it."""

        async def offered() -> list[dict[str, Any]]:
            url = f"{self.workspace}/Workers/{self.worker}/Reservations"
            return await listing(self.api, url, ReservationStatus="pending")

        [reservation] = await eventually(offered)
        return dict(reservation)

    async def task(self, sid: str) -> dict[str, Any]:
        return ok(await self.api.get(f"{self.workspace}/Tasks/{sid}"))

    async def accept(self, reservation: dict[str, Any]) -> str:
        """The worker accepts; they join the request's conversation; its sid."""
        task = await self.task(reservation["task_sid"])
        conversation = json.loads(task["attributes"])["conversations"]["interaction_sid"]
        answer = await self.api.post(reservation["url"], data={"ReservationStatus": "accepted"})
        assert answer.status_code == 200, answer.text

        async def joined() -> bool:
            path = f"/v1/Conversations/{conversation}/Participants"
            people = await listing(self.api, path)
            return any(p["identity"] == "ada" for p in people)

        await eventually(joined)
        return str(conversation)

    async def reply(self, conversation: str, body: str) -> None:
        path = f"/v1/Conversations/{conversation}/Messages"
        said = await self.api.post(path, data={"Author": "ada", "Body": body})
        assert said.status_code == 201, said.text

    async def requests(self) -> list[dict[str, Any]]:
        """Every request's task, as the workspace lists them."""
        return await listing(self.api, f"{self.workspace}/Tasks")


@pytest.fixture
async def d(database_url: str) -> AsyncIterator[Deployment]:
    mailbox = Mailbox()
    customer_server = await listen(mailbox, "127.0.0.1", 0, max_bytes=1_000_000)  # type: ignore[arg-type]
    relay_port = int(customer_server.sockets[0].getsockname()[1])
    try:
        async with fake_twilio(PROVIDER_SID, PROVIDER_TOKEN) as provider:
            port = free_port()
            settings = Settings(
                database_url=database_url,
                channel_sms=True,
                channel_email=True,
                channel_chat=True,
                twilio_account_sid=PROVIDER_SID,
                twilio_auth_token=PROVIDER_TOKEN,
                twilio_api_url=provider.url,
                public_url=f"http://127.0.0.1:{port}",
                smtp_listen_port=0,
                smtp_relay_host="127.0.0.1",
                smtp_relay_port=relay_port,
                fairness=False,
            )
            runtime = build_runtime(settings, outbound=fast_settings())
            async with serve(runtime.app, port=port) as url:
                account, token = await runtime.core.accounts.create("Acme")
                assert runtime.mail is not None
                async with (
                    httpx.AsyncClient(
                        base_url=url, auth=(account.sid, token), timeout=HTTP_TIMEOUT
                    ) as api,
                    httpx.AsyncClient(base_url=url, timeout=HTTP_TIMEOUT) as public,
                ):
                    workspace, worker = await _routing(api)
                    yield Deployment(
                        runtime, url, api, public, provider, mailbox,
                        runtime.mail.bound_port, workspace, worker,
                    )  # fmt: skip
    finally:
        customer_server.close()
        await customer_server.wait_closed()


async def _routing(api: httpx.AsyncClient) -> tuple[str, str]:
    """A workspace with one available agent, ada; the organization's routing profile; its
    number, mailbox and widget, each naming the organization."""
    space = await create_workspace(api, FriendlyName="Acme support")
    url = space["url"]
    activities = await activity_sids(api, url)
    queue = await create(api, f"{url}/TaskQueues", FriendlyName="Agents", TargetWorkers="1==1")
    routing = {"task_routing": {"filters": [], "default_filter": {"queue": queue["sid"]}}}
    flow = await create(
        api, f"{url}/Workflows", FriendlyName="Requests", Configuration=json.dumps(routing)
    )
    worker = await create(
        api,
        f"{url}/Workers",
        FriendlyName="Ada",
        Attributes=json.dumps({"identity": "ada"}),
        ActivitySid=activities["Available"],
    )
    profile = {"WorkspaceSid": space["sid"], "WorkflowSid": flow["sid"], "ProxyAddress": "acme"}
    ok(await api.post("/v1/Organizations/acme/RoutingProfile", data=profile))
    for channel, address in (("sms", ORG_NUMBER), ("email", SUPPORT), ("chat", WIDGET)):
        data = {"Channel": channel, "Address": address, "Organization": "acme"}
        made = await api.post("/v1/Channels/Addresses", data=data)
        assert made.status_code == 201, made.text
        assert made.json()["organization"] == "acme"
    return url, worker["sid"]


async def _routed_to_ada(d: Deployment, channel: str, customer: str) -> str:
    """The task of the new request is reserved to ada, carries the channel and the
    customer; ada accepts and joins; the conversation's sid."""
    reservation = await d.reservation()
    attributes = json.loads((await d.task(reservation["task_sid"]))["attributes"])
    assert attributes["channel"] == channel
    assert attributes["customer"]["address"] == customer
    return await d.accept(reservation)


async def _all(check: Callable[[], Awaitable[list[Any]]], count: int) -> list[Any]:
    async def enough() -> list[Any] | None:
        found = await check()
        return found if len(found) >= count else None

    found: list[Any] = await eventually(enough)
    return found


async def test_a_new_text_becomes_a_routed_task_and_the_reply_leaves_by_sms(
    d: Deployment,
) -> None:
    form = inbound_form("My parcel never came")
    answer = await post_signed(d.public, f"{d.url}/v1/Channels/Sms/Inbound", form)
    assert answer.status_code == 200, answer.text

    conversation = await _routed_to_ada(d, "sms", CUSTOMER)
    messages = await listing(d.api, f"/v1/Conversations/{conversation}/Messages")
    first = messages[0]
    assert (first["author"], first["body"]) == (CUSTOMER, "My parcel never came")
    assert json.loads(first["attributes"])["carrier_sid"] == form["MessageSid"]

    more = inbound_form("Order 1234")  # a follow-up joins the open request
    assert (await post_signed(d.public, f"{d.url}/v1/Channels/Sms/Inbound", more)).is_success
    await d.reply(conversation, "Sorry! A new one leaves today.")

    async def texts() -> list[dict[str, str]]:
        return d.provider.sent

    sent = await _all(texts, 3)  # acknowledgement, place in line, reply
    assert {(s["From"], s["To"]) for s in sent} == {(ORG_NUMBER, CUSTOMER)}
    bodies = [s["Body"] for s in sent]
    # the acknowledgement and the place in line leave together (the sender sends several
    # at once, as carriers deliver them): either may reach the carrier first
    assert ACK in bodies[:2] and bodies[-1] == "Sorry! A new one leaves today."
    assert len(await d.requests()) == 1
    said = await listing(d.api, f"/v1/Conversations/{conversation}/Messages")
    assert "Order 1234" in [m["body"] for m in said]


async def test_a_new_mail_becomes_a_routed_task_and_the_reply_leaves_by_smtp(
    d: Deployment,
) -> None:
    message = EmailMessage()
    message["From"] = f"Cleo <{MAIL_CUSTOMER}>"
    message["To"] = SUPPORT
    message["Subject"] = "Broken widget"
    message["Message-ID"] = "<first@example.com>"
    message.set_content("The widget I bought is broken.")

    def send() -> None:
        with smtplib.SMTP("127.0.0.1", d.smtp_port, timeout=10) as client:
            client.send_message(message, to_addrs=[SUPPORT])

    await asyncio.to_thread(send)

    reservation = await d.reservation()
    attributes = json.loads((await d.task(reservation["task_sid"]))["attributes"])
    case = ok(await d.api.get(f"/v1/Sequences/{attributes['conversations']['sequence_sid']}"))
    assert case["subject"] == "Broken widget"  # the mail's Subject names the case
    conversation = await _routed_to_ada(d, "email", MAIL_CUSTOMER)
    await d.reply(conversation, "We will send a replacement.")

    async def mails() -> list[EmailMessage]:
        return d.mailbox.received

    received = await _all(mails, 3)  # acknowledgement, place in line, reply
    assert {(m["From"], m["To"]) for m in received} == {(SUPPORT, MAIL_CUSTOMER)}
    texts = [str(m.get_body(("plain",)).get_content()).strip() for m in received]
    assert texts[0] == ACK and texts[-1] == "We will send a replacement."
    assert received[-1]["In-Reply-To"] == "<first@example.com>"


async def test_a_new_chat_becomes_a_routed_task_and_the_reply_reaches_the_widget(
    d: Deployment,
) -> None:
    visitor = ok(await d.public.post(f"/v1/Channels/Chat/{WIDGET}/Visitors"), 201)
    ws = d.url.replace("http", "ws", 1)
    async with connect(f"{ws}/v1/Channels/Chat/Stream?token={visitor['token']}") as socket:
        assert (await _frame(socket))["type"] == "ready"
        await socket.send(json.dumps({"type": "message", "body": "Do you ship to Norway?"}))

        # the acknowledgement and the place in line are pushed while the message is
        # handled, so they may come before the `sent` answer
        frames = [await _frame(socket) for _ in range(3)]
        assert sorted(f["type"] for f in frames) == ["message", "message", "sent"]
        said = [(f["author"], f["body"]) for f in frames if f["type"] == "message"]
        assert said[0] == ("system", ACK)
        assert said[1][1].startswith("You are number 1 in line")

        conversation = await _routed_to_ada(d, "chat", visitor["visitor_sid"])
        await d.reply(conversation, "We do!")
        reply = await _frame(socket)
        assert (reply["type"], reply["author"], reply["body"]) == ("message", "ada", "We do!")


async def _frame(socket: ClientConnection) -> dict[str, Any]:
    return dict(json.loads(await asyncio.wait_for(socket.recv(), 10)))


async def test_the_channel_address_decides_not_the_conversations_address_configuration(
    d: Deployment,
) -> None:
    """`/v1/Channels/Addresses` is the source of truth for carrier traffic. Twilio's
    `/v1/Configuration/Addresses` (kept for API compatibility) may name the same number
    with another organization and auto-creation off: the text still becomes acme's
    routed request."""
    twilio_style = {
        "Type": "sms",
        "Address": ORG_NUMBER,
        "Organization": "elsewhere",
        "AutoCreation.Enabled": "false",
    }
    made = await d.api.post("/v1/Configuration/Addresses", data=twilio_style)
    assert made.status_code == 201, made.text

    form = inbound_form("Where is my order?")
    answer = await post_signed(d.public, f"{d.url}/v1/Channels/Sms/Inbound", form)
    assert answer.status_code == 200, answer.text
    conversation = await _routed_to_ada(d, "sms", CUSTOMER)
    [listed] = await d.requests()
    task = await d.task(listed["sid"])
    assert json.loads(task["attributes"])["conversations"]["organization"] == "acme"
    said = await listing(d.api, f"/v1/Conversations/{conversation}/Messages")
    assert said[0]["body"] == "Where is my order?"
