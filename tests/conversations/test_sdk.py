"""The official `twilio` SDK's Conversations client, unchanged, against a live server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from tests.live import LiveServer, create_account, wait_for


class LocalHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """Sends the SDK's https://conversations.twilio.com/... requests to our server."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = urlsplit(base)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(url)
        if parts.netloc == "conversations.twilio.com":
            url = urlunsplit((self.base.scheme, self.base.netloc, parts.path, parts.query, ""))
        return super().request(method, url, *args, **kwargs)


class Hooks:
    """A webhook receiver on a free port; remembers every form and its signature."""

    def __init__(self) -> None:
        self.hits: list[tuple[str, dict[str, str], str]] = []
        self.status = 200
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                form = {
                    k: v[0]
                    for k, v in parse_qs(
                        self.rfile.read(length).decode(), keep_blank_values=True
                    ).items()
                }
                hooks.hits.append((self.path, form, self.headers.get("X-Twilio-Signature", "")))
                self.send_response(hooks.status)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def events(self, path: str) -> list[str]:
        return [form["EventType"] for hit_path, form, _ in self.hits if hit_path == path]


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    receiver = Hooks()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def sdk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Client, str]]:
    monkeypatch.setenv("SWITCHBOARD_ALLOW_PRIVATE_CALLBACKS", "true")
    url = f"sqlite+aiosqlite:///{tmp_path / 'sdk.db'}"
    sid, token = create_account(url)
    server = LiveServer(url, tmp_path / "server.log")
    server.start()
    try:
        yield Client(sid, token, http_client=LocalHttpClient(server.base_url)), token
    finally:
        server.stop()


def test_sdk_conversations_participants_messages_receipts_and_paging(
    sdk: tuple[Client, str],
) -> None:
    client, _token = sdk
    v1 = client.conversations.v1
    made = v1.conversations.create(
        friendly_name="Order 42", unique_name="order-42", attributes=json.dumps({"order": 42})
    )
    assert made.sid.startswith("CH") and made.state == "active"
    assert v1.conversations("order-42").fetch().sid == made.sid
    conversation = v1.conversations(made.sid)

    agent = conversation.participants.create(identity="agent-7")
    customer = conversation.participants.create(
        messaging_binding_address="+15551230001", messaging_binding_proxy_address="+15559990000"
    )
    assert agent.identity == "agent-7"
    assert customer.messaging_binding["address"] == "+15551230001"
    assert {p.sid for p in conversation.participants.list()} == {agent.sid, customer.sid}

    sent = [conversation.messages.create(author="agent-7", body=f"m{i}") for i in range(3)]
    assert [m.index for m in sent] == [0, 1, 2]
    assert sent[0].participant_sid == agent.sid
    assert [m.body for m in conversation.messages.list(order="desc")] == ["m2", "m1", "m0"]
    receipts = conversation.messages(sent[0].sid).delivery_receipts.list()
    assert [(r.participant_sid, r.status) for r in receipts] == [(customer.sid, "sent")]
    assert conversation.messages(sent[0].sid).fetch().delivery["sent"] == "all"

    conversation.participants(agent.sid).update(last_read_message_index=2)
    assert conversation.participants(agent.sid).fetch().last_read_message_index == 2

    mine = v1.participant_conversations.list(identity="agent-7")
    assert [(c.conversation_sid, c.participant_sid) for c in mine] == [(made.sid, agent.sid)]
    theirs = v1.participant_conversations.list(address="+15551230001")
    assert [c.participant_sid for c in theirs] == [customer.sid]

    for n in range(4):
        v1.conversations.create(friendly_name=f"extra {n}")
    first = v1.conversations.page(page_size=2)
    assert len(list(first)) == 2
    second = first.next_page()
    assert [c.friendly_name for c in second] == ["extra 1", "extra 2"]
    names = [c.friendly_name for c in v1.conversations.stream(page_size=2)]
    assert names == ["Order 42", "extra 0", "extra 1", "extra 2", "extra 3"]

    with pytest.raises(TwilioRestException) as missing:
        v1.conversations("CH" + "0" * 32).fetch()
    assert missing.value.status == 404 and missing.value.code == 20404
    with pytest.raises(TwilioRestException) as too_long:
        conversation.messages.create(body="x" * 1601)
    assert too_long.value.status == 400

    conversation.participants(customer.sid).delete()
    conversation.delete()
    with pytest.raises(TwilioRestException):
        v1.conversations(made.sid).fetch()


def test_sdk_states_and_timers(sdk: tuple[Client, str]) -> None:
    client, _token = sdk
    v1 = client.conversations.v1
    made = v1.conversations.create(timers_inactive="PT5M", timers_closed="PT1H")
    assert made.timers["date_inactive"] and made.timers["date_closed"]
    conversation = v1.conversations(made.sid)
    assert conversation.update(state="inactive").state == "inactive"
    assert conversation.update(state="active").state == "active"
    assert conversation.update(state="closed").state == "closed"
    with pytest.raises(TwilioRestException):
        conversation.update(state="active")
    assert [c.sid for c in v1.conversations.list(state="closed")] == [made.sid]

    configuration = v1.configuration().update(default_inactive_timer="PT10M")
    assert configuration.default_inactive_timer == "PT10M"
    later = v1.conversations.create()
    assert later.timers["date_inactive"]


def test_sdk_webhooks_fire_only_when_enabled_and_are_signed(
    sdk: tuple[Client, str], hooks: Hooks
) -> None:
    client, token = sdk
    v1 = client.conversations.v1
    made = v1.conversations.create(friendly_name="hooked")
    conversation = v1.conversations(made.sid)
    webhook = conversation.webhooks.create(
        target="webhook",
        configuration_url=hooks.url("/scoped"),
        configuration_method="POST",
        configuration_filters=["onMessageAdded", "onParticipantAdded"],
    )
    assert webhook.configuration["filters"] == ["onMessageAdded", "onParticipantAdded"]
    assert [w.sid for w in conversation.webhooks.list()] == [webhook.sid]

    conversation.messages.create(author="a", body="quiet")  # no X-Twilio-Webhook-Enabled
    conversation.messages.create(author="a", body="loud", x_twilio_webhook_enabled="true")
    conversation.participants.create(identity="b", x_twilio_webhook_enabled="true")
    wait_for(lambda: len(hooks.events("/scoped")) == 2)
    assert hooks.events("/scoped") == ["onMessageAdded", "onParticipantAdded"]
    path, form, signed = hooks.hits[0]
    assert form["Body"] == "loud" and form["Index"] == "1"
    assert RequestValidator(token).validate(hooks.url(path), form, signed)

    v1.configuration.webhooks().update(
        pre_webhook_url=hooks.url("/pre"), filters=["onMessageAdd"], method="POST"
    )
    hooks.status = 403
    with pytest.raises(TwilioRestException):
        conversation.messages.create(author="a", body="blocked", x_twilio_webhook_enabled="true")
    hooks.status = 200
    allowed = conversation.messages.create(author="a", body="ok", x_twilio_webhook_enabled="true")
    assert allowed.index == 2  # the blocked message took no index
    assert hooks.events("/pre") == ["onMessageAdd", "onMessageAdd"]


def test_sdk_users_and_roles(sdk: tuple[Client, str]) -> None:
    client, _token = sdk
    v1 = client.conversations.v1
    role = v1.roles.create(friendly_name="agent", type="conversation", permission=["sendMessage"])
    assert role.permissions == ["sendMessage"]
    user = v1.users.create(identity="agent-7", friendly_name="Agent Seven", role_sid=role.sid)
    assert v1.users("agent-7").fetch().sid == user.sid
    assert v1.users(user.sid).update(friendly_name="A7").friendly_name == "A7"
    assert [u.identity for u in v1.users.list()] == ["agent-7"]
    assert v1.roles(role.sid).update(
        permission=["sendMessage", "leaveConversation"]
    ).permissions == [
        "sendMessage",
        "leaveConversation",
    ]
    chat = v1.conversations.create(friendly_name="with agent 7")
    member = v1.conversations(chat.sid).participants.create(identity="agent-7")
    for n in range(3):
        v1.conversations(chat.sid).messages.create(author="customer", body=f"m{n}")
    v1.conversations(chat.sid).participants(member.sid).update(last_read_message_index=0)
    (mine,) = v1.users(user.sid).user_conversations.list()
    assert (mine.conversation_sid, mine.participant_sid) == (chat.sid, member.sid)
    assert (mine.unread_messages_count, mine.last_read_message_index) == (2, 0)
    assert v1.users(user.sid).user_conversations(chat.sid).fetch().friendly_name == "with agent 7"
    v1.users(user.sid).delete()
    v1.roles(role.sid).delete()
    assert v1.users.list() == [] and v1.roles.list() == []


def test_sdk_address_configurations(sdk: tuple[Client, str]) -> None:
    client, _token = sdk
    addresses = client.conversations.v1.address_configurations
    made = addresses.create(
        type="sms",
        address="+15550100",
        friendly_name="Support line",
        auto_creation_enabled=True,
        auto_creation_type="webhook",
        auto_creation_webhook_url="https://example.com/inbound",
        auto_creation_webhook_filters=["onMessageAdded"],
    )
    assert made.sid.startswith("IG") and made.type == "sms"
    assert made.auto_creation["enabled"] is True
    assert made.auto_creation["webhook_filters"] == ["onMessageAdded"]
    assert addresses(made.sid).fetch().address == "+15550100"
    assert [a.sid for a in addresses.list(type="sms")] == [made.sid]
    assert addresses.list(type="whatsapp") == []
    assert addresses(made.sid).update(friendly_name="Sales").friendly_name == "Sales"
    with pytest.raises(TwilioRestException) as twice:
        addresses.create(type="sms", address="+15550100")
    assert twice.value.status == 409
    addresses(made.sid).delete()
    assert addresses.list() == []


def test_sdk_conversation_with_participants_is_all_or_nothing(sdk: tuple[Client, str]) -> None:
    client, _token = sdk
    v1 = client.conversations.v1
    sms = {"messaging_binding": {"address": "+15550001", "proxy_address": "+15559999"}}
    made = v1.conversation_with_participants.create(
        friendly_name="Order 7",
        participant=[json.dumps({"identity": "agent-1"}), json.dumps(sms)],
    )
    assert made.sid.startswith("CH") and made.friendly_name == "Order 7"
    members = v1.conversations(made.sid).participants.list()
    found = {(p.identity, (p.messaging_binding or {}).get("address")) for p in members}
    assert found == {("agent-1", None), (None, "+15550001")}
    with pytest.raises(TwilioRestException) as twice:
        v1.conversation_with_participants.create(
            unique_name="dup", participant=[json.dumps({"identity": "a"})] * 2
        )
    assert twice.value.status == 409
    assert [c.sid for c in v1.conversations.list()] == [made.sid]  # nothing half-made
