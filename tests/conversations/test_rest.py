"""Twilio Conversations v1 over HTTP, on the memory, SQLite and PostgreSQL stores."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from switchboard.conversations.domain.records import Message
from switchboard.kernel.clock import FakeClock
from switchboard.runtime import Core
from switchboard.tenancy.sealing import Sealer, SealingError

AS = "X-Switchboard-Identity"


async def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def create(client: httpx.AsyncClient, **data: str) -> dict[str, Any]:
    return await _ok(await client.post("/v1/Conversations", data=data), 201)  # type: ignore[no-any-return]


async def join(client: httpx.AsyncClient, sid: str, identity: str) -> dict[str, Any]:
    response = await client.post(
        f"/v1/Conversations/{sid}/Participants", data={"Identity": identity}
    )
    return await _ok(response, 201)  # type: ignore[no-any-return]


async def say(client: httpx.AsyncClient, sid: str, author: str, body: str, **headers: str) -> Any:
    response = await client.post(
        f"/v1/Conversations/{sid}/Messages", data={"Author": author, "Body": body}, headers=headers
    )
    return await _ok(response, 201)


async def bodies(client: httpx.AsyncClient, sid: str, identity: str | None = None) -> list[str]:
    headers = {AS: identity} if identity else {}
    response = await client.get(f"/v1/Conversations/{sid}/Messages", headers=headers)
    return [m["body"] for m in (await _ok(response))["messages"]]


async def test_a_conversation_is_created_fetched_by_sid_or_unique_name_and_listed(
    client: httpx.AsyncClient,
) -> None:
    made = await create(client, FriendlyName="Support", UniqueName="order-42", Attributes='{"a":1}')
    assert made["sid"].startswith("CH") and made["state"] == "active"
    assert made["chat_service_sid"].startswith("IS") and made["messaging_service_sid"].startswith(
        "MG"
    )
    by_name = await _ok(await client.get("/v1/Conversations/order-42"))
    assert by_name["sid"] == made["sid"] and by_name["attributes"] == '{"a":1}'
    listing = await _ok(await client.get("/v1/Conversations"))
    assert [c["sid"] for c in listing["conversations"]] == [made["sid"]]
    assert listing["meta"]["key"] == "conversations"
    assert (
        await client.post("/v1/Conversations", data={"UniqueName": "order-42"})
    ).status_code == 409


async def test_messages_take_monotonic_indexes_that_deletion_never_reuses(
    client: httpx.AsyncClient,
) -> None:
    sid = (await create(client))["sid"]
    first = await say(client, sid, "alice", "one")
    second = await say(client, sid, "alice", "two")
    assert (first["index"], second["index"]) == (0, 1)
    await _ok(await client.delete(f"/v1/Conversations/{sid}/Messages/{second['sid']}"), 204)
    third = await say(client, sid, "alice", "three")
    assert third["index"] == 2
    fetched = await _ok(await client.get(f"/v1/Conversations/{sid}/Messages/{third['sid']}"))
    assert fetched["body"] == "three"
    newest = await _ok(await client.get(f"/v1/Conversations/{sid}/Messages?Order=desc"))
    assert [m["index"] for m in newest["messages"]] == [2, 0]


async def test_participants_join_by_identity_or_by_address_and_address_ones_get_receipts(
    client: httpx.AsyncClient,
) -> None:
    sid = (await create(client))["sid"]
    agent = await join(client, sid, "agent-1")
    assert agent["identity"] == "agent-1" and agent["messaging_binding"] is None
    sms = await _ok(
        await client.post(
            f"/v1/Conversations/{sid}/Participants",
            data={
                "MessagingBinding.Address": "+15550001",
                "MessagingBinding.ProxyAddress": "+15559999",
            },
        ),
        201,
    )
    assert sms["identity"] is None
    assert sms["messaging_binding"]["address"] == "+15550001"
    message = await say(client, sid, "agent-1", "hello")
    assert message["participant_sid"] == agent["sid"]
    assert message["delivery"] == {
        "total": 1, "sent": "all", "delivered": "none", "read": "none", "failed": "none",
        "undelivered": "none",
    }  # fmt: skip
    receipts = await _ok(
        await client.get(f"/v1/Conversations/{sid}/Messages/{message['sid']}/Receipts")
    )
    (receipt,) = receipts["delivery_receipts"]
    assert receipt["participant_sid"] == sms["sid"] and receipt["status"] == "sent"
    url = f"/v1/Conversations/{sid}/Messages/{message['sid']}/Receipts/{receipt['sid']}"
    assert (await _ok(await client.post(url, data={"Status": "read"})))["status"] == "read"
    by_address = await _ok(await client.get("/v1/ParticipantConversations?Address=%2B15550001"))
    assert [c["conversation_sid"] for c in by_address["conversations"]] == [sid]


async def test_limits_answer_clear_400s(client: httpx.AsyncClient) -> None:
    sid = (await create(client))["sid"]
    too_long = await client.post(f"/v1/Conversations/{sid}/Messages", data={"Body": "x" * 1601})
    assert too_long.status_code == 400 and "1600" in too_long.json()["message"]
    assert (await say(client, sid, "a", "x" * 1600))["index"] == 0
    no_binding = await client.post(f"/v1/Conversations/{sid}/Participants", data={})
    assert no_binding.status_code == 400
    bad_timer = await client.post("/v1/Conversations", data={"Timers.Inactive": "soon"})
    assert bad_timer.status_code == 400 and bad_timer.json()["code"] == 20001


async def test_timers_make_a_conversation_inactive_then_closed_and_closed_is_final(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    made = await create(client, **{"Timers.Inactive": "PT5M", "Timers.Closed": "PT30M"})
    sid = made["sid"]
    assert set(made["timers"]) == {"date_inactive", "date_closed"}
    clock.advance(6 * 60)
    assert (await _ok(await client.get(f"/v1/Conversations/{sid}")))["state"] == "inactive"
    await say(client, sid, "alice", "back")  # a message wakes it up
    assert (await _ok(await client.get(f"/v1/Conversations/{sid}")))["state"] == "active"
    clock.advance(31 * 60)
    assert (await _ok(await client.get(f"/v1/Conversations/{sid}")))["state"] == "closed"
    refused = await client.post(f"/v1/Conversations/{sid}/Messages", data={"Body": "hi"})
    assert refused.status_code == 400
    reopen = await client.post(f"/v1/Conversations/{sid}", data={"State": "active"})
    assert reopen.status_code == 400


async def test_a_user_sees_only_the_interactions_they_take_part_in(
    client: httpx.AsyncClient,
) -> None:
    mine = (await create(client, FriendlyName="mine"))["sid"]
    theirs = (await create(client, FriendlyName="theirs"))["sid"]
    await join(client, mine, "alice")
    await join(client, theirs, "bob")
    listing = await _ok(await client.get("/v1/Conversations", headers={AS: "alice"}))
    assert [c["sid"] for c in listing["conversations"]] == [mine]
    hidden = await client.get(f"/v1/Conversations/{theirs}", headers={AS: "alice"})
    missing = await client.get("/v1/Conversations/CH" + "0" * 32, headers={AS: "alice"})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["code"] == missing.json()["code"]
    forbidden = await client.post(
        f"/v1/Conversations/{theirs}/Messages", data={"Body": "x"}, headers={AS: "alice"}
    )
    assert forbidden.status_code == 404
    await _ok(await client.post("/v1/Users", data={"Identity": "boss", "Admin": "true"}), 201)
    everything = await _ok(await client.get("/v1/Conversations", headers={AS: "boss"}))
    assert len(everything["conversations"]) == 2


async def test_a_backchannel_shows_nothing_of_its_parent(client: httpx.AsyncClient) -> None:
    parent = (await create(client))["sid"]
    for identity in ("customer", "agent"):
        await join(client, parent, identity)
    await say(client, parent, "customer", "my card number is ...")
    response = await client.post(
        f"/v1/Conversations/{parent}/Backchannels",
        data={"Exclude": "customer", "Include": "expert"},
    )
    back = await _ok(response, 201)
    assert back["parent_sid"] == parent and back["history"] == "joined"
    await say(client, back["sid"], "agent", "can you help?")
    assert await bodies(client, back["sid"], "expert") == ["can you help?"]
    seen = await _ok(await client.get(f"/v1/Conversations/{back['sid']}", headers={AS: "expert"}))
    assert seen["parent_sid"] is None  # the expert does not even learn the parent's sid
    assert (
        await client.get(f"/v1/Conversations/{parent}", headers={AS: "expert"})
    ).status_code == 404
    customer = await client.get(f"/v1/Conversations/{back['sid']}", headers={AS: "customer"})
    assert customer.status_code == 404


async def test_history_visibility_joined_shared_and_invited(client: httpx.AsyncClient) -> None:
    sid = (await create(client, History="joined"))["sid"]
    await join(client, sid, "agent")
    await say(client, sid, "agent", "before the invitation")
    invitation = await _ok(
        await client.post(f"/v1/Conversations/{sid}/Invitations", data={"Identity": "late"}), 201
    )
    await say(client, sid, "agent", "after the invitation")
    accepted = await client.post(
        f"/v1/Conversations/{sid}/Invitations/{invitation['sid']}",
        data={"Status": "accepted"},
        headers={AS: "late"},
    )
    assert (await _ok(accepted))["status"] == "accepted"
    await say(client, sid, "agent", "after joining")
    assert await bodies(client, sid, "late") == ["after joining"]
    await _ok(await client.post(f"/v1/Conversations/{sid}", data={"History": "invited"}))
    assert await bodies(client, sid, "late") == ["after the invitation", "after joining"]
    await _ok(await client.post(f"/v1/Conversations/{sid}", data={"History": "shared"}))
    assert len(await bodies(client, sid, "late")) == 3


async def test_another_account_sees_404_everywhere(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    sid = (await create(client, UniqueName="private"))["sid"]
    await join(client, sid, "alice")
    message = await say(client, sid, "alice", "secret")
    for path in (
        f"/v1/Conversations/{sid}",
        "/v1/Conversations/private",
        f"/v1/Conversations/{sid}/Participants",
        f"/v1/Conversations/{sid}/Participants/alice",
        f"/v1/Conversations/{sid}/Messages",
        f"/v1/Conversations/{sid}/Messages/{message['sid']}",
        f"/v1/Conversations/{sid}/Messages/{message['sid']}/Receipts",
        f"/v1/Conversations/{sid}/Webhooks",
    ):
        response = await other_client.get(path)
        assert response.status_code == 404, path
    assert (await other_client.get("/v1/Conversations")).json()["conversations"] == []
    listing = await other_client.get("/v1/ParticipantConversations?Identity=alice")
    assert listing.json()["conversations"] == []


async def test_search_finds_words_only_in_what_the_reader_may_see(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    shared = (await create(client))["sid"]
    private = (await create(client))["sid"]
    await join(client, shared, "alice")
    await say(client, shared, "bob", "the invoice is overdue")
    await say(client, shared, "bob", "lunch today?")
    await say(client, private, "bob", "the invoice of the other customer")
    found = await _ok(await client.get("/v1/Search/Messages?Query=invoice"))
    assert sorted(m["body"] for m in found["messages"]) == [
        "the invoice is overdue",
        "the invoice of the other customer",
    ]
    mine = await _ok(await client.get("/v1/Search/Messages?Query=invoice", headers={AS: "alice"}))
    assert [m["body"] for m in mine["messages"]] == ["the invoice is overdue"]
    both = await _ok(await client.get("/v1/Search/Messages?Query=invoice%20overdue"))
    assert [m["conversation_sid"] for m in both["messages"]] == [shared]
    await _ok(await client.post(f"/v1/Conversations/{shared}/Messages/0", data={"Body": "paid"}))
    after_edit = await _ok(await client.get("/v1/Search/Messages?Query=overdue"))
    assert after_edit["messages"] == []
    stranger = await _ok(await other_client.get("/v1/Search/Messages?Query=invoice"))
    assert stranger["messages"] == []
    assert (await client.get("/v1/Search/Messages?Query=%20")).status_code == 400


async def _case(client: httpx.AsyncClient, relationship: str, subject: str) -> dict[str, Any]:
    response = await client.post(
        f"/v1/Relationships/{relationship}/Sequences", data={"Subject": subject}
    )
    return await _ok(response, 201)  # type: ignore[no-any-return]


async def test_merges_and_splits_keep_history_and_an_audit_trail(client: httpx.AsyncClient) -> None:
    acme = (
        await _ok(
            await client.post(
                "/v1/Relationships", data={"Organization": "acme", "OutsideParty": "+1555"}
            ),
            201,
        )
    )["sid"]
    other = (
        await _ok(
            await client.post(
                "/v1/Relationships", data={"Organization": "globex", "OutsideParty": "+1555"}
            ),
            201,
        )
    )["sid"]
    first, second = await _case(client, acme, "refund"), await _case(client, acme, "refund again")
    assert (first["case_number"], second["case_number"]) == (1, 2)
    a = (await create(client, SequenceSid=first["sid"]))["sid"]
    b = (await create(client, SequenceSid=second["sid"]))["sid"]
    merged = await client.post(
        f"/v1/Sequences/{second['sid']}/Merge", data={"Into": first["sid"]}, headers={AS: "boss"}
    )
    assert merged.status_code == 404  # reading as a non-admin user: not allowed, not even seen
    merged = await client.post(f"/v1/Sequences/{second['sid']}/Merge", data={"Into": first["sid"]})
    assert (await _ok(merged))["sid"] == first["sid"]
    source = await _ok(await client.get(f"/v1/Sequences/{second['sid']}"))
    assert (source["state"], source["merged_into_sid"]) == ("closed", first["sid"])
    moved = await _ok(await client.get(f"/v1/Conversations/{b}"))
    assert moved["sequence_sid"] == first["sid"]
    split = await client.post(
        f"/v1/Sequences/{first['sid']}/Split", data={"Interactions": b, "Subject": "separate"}
    )
    third = await _ok(split, 201)
    assert (await _ok(await client.get(f"/v1/Conversations/{b}")))["sequence_sid"] == third["sid"]
    assert (await _ok(await client.get(f"/v1/Conversations/{a}")))["sequence_sid"] == first["sid"]
    trail = await _ok(await client.get(f"/v1/Sequences/{first['sid']}/Audit"))
    assert [
        (e["action"], e["sequence_sid"], e["target_sequence_sid"], e["interactions"])
        for e in trail["audit"]
    ] == [
        ("merge", second["sid"], first["sid"], [b]),
        ("split", first["sid"], third["sid"], [b]),
    ]
    foreign = await _case(client, other, "other organization")
    refused = await client.post(
        f"/v1/Sequences/{third['sid']}/Merge", data={"Into": foreign["sid"]}
    )
    assert refused.status_code == 400 and "organizations" in refused.json()["message"]


async def test_encrypted_conversations_keep_bodies_sealed_with_the_accounts_own_key(
    client: httpx.AsyncClient, core: Core, sealer: Sealer
) -> None:
    sid = (await create(client, Encryption="account"))["sid"]
    message = await say(client, sid, "alice", "card ending 4242")
    assert message["body"] == "card ending 4242"
    async with core.store.read() as unit:
        stored = await unit.get(Message, message["sid"])
    assert stored is not None and "4242" not in (stored.body or "")
    account = stored.account_sid
    assert sealer.for_account(account).unseal(stored.body or "") == "card ending 4242"
    with pytest.raises(SealingError):
        sealer.for_account("AC" + "0" * 32).unseal(stored.body or "")
    found = await _ok(await client.get("/v1/Search/Messages?Query=4242"))
    assert found["messages"] == []  # sealed bodies are not searchable


async def test_relationships_merge_and_split_with_their_sequences(
    client: httpx.AsyncClient,
) -> None:
    def party(org: str, who: str) -> dict[str, str]:
        return {"Organization": org, "OutsideParty": who, "Aliases": who}

    sms = (await _ok(await client.post("/v1/Relationships", data=party("acme", "+1555")), 201))[
        "sid"
    ]
    mail = (await _ok(await client.post("/v1/Relationships", data=party("acme", "a@b.c")), 201))[
        "sid"
    ]
    other = (await _ok(await client.post("/v1/Relationships", data=party("globex", "+1555")), 201))[
        "sid"
    ]
    case = await _case(client, mail, "by email")
    chat = (await create(client, SequenceSid=case["sid"]))["sid"]
    merged = await _ok(await client.post(f"/v1/Relationships/{mail}/Merge", data={"Into": sms}))
    assert merged["aliases"] == ["+1555", "a@b.c"]
    source = await _ok(await client.get(f"/v1/Relationships/{mail}"))
    assert (source["state"], source["merged_into_sid"]) == ("closed", sms)
    assert (await _ok(await client.get(f"/v1/Sequences/{case['sid']}")))["relationship_sid"] == sms
    assert (await _ok(await client.get(f"/v1/Conversations/{chat}")))["relationship_sid"] == sms
    split = await _ok(
        await client.post(f"/v1/Relationships/{sms}/Split", data={"Sequences": case["sid"]}), 201
    )
    assert (await _ok(await client.get(f"/v1/Conversations/{chat}")))["relationship_sid"] == split[
        "sid"
    ]
    trail = await _ok(await client.get(f"/v1/Relationships/{sms}/Audit"))
    assert [(e["action"], e["interactions"]) for e in trail["audit"]] == [
        ("merge", [chat]),
        ("split", [chat]),
    ]
    refused = await client.post(f"/v1/Relationships/{sms}/Merge", data={"Into": other})
    assert refused.status_code == 400


async def test_names_no_record_could_have_are_404s(client: httpx.AsyncClient) -> None:
    """A unique name, identity or message index from the path that no column could hold
    (NUL, which PostgreSQL refuses; non-ASCII or 64-bit-overflowing digits) names nothing:
    a 404 on every store, never a 500."""
    sid = (await create(client, UniqueName="room"))["sid"]
    await join(client, sid, "ann")
    await say(client, sid, "ann", "hello")
    for path in (
        "/v1/Conversations/%00",
        "/v1/Conversations/%00/Messages",
        "/v1/Conversations/%00/Invitations",
        f"/v1/Conversations/{sid}/Participants/a%00b",
        f"/v1/Conversations/{sid}/Messages/%C2%B2",  # a superscript two: a digit, not an index
        f"/v1/Conversations/{sid}/Messages/{'9' * 30}",
        "/v1/Users/%00",
        "/v1/Users/%00/Conversations",
        f"/v1/Users/%00/Conversations/{sid}",
    ):
        response = await client.get(path)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["code"] == 20404, path
    assert (await client.post("/v1/Users/%00/Grants", data={"Subject": "ann"})).status_code == 404
    assert (await client.post("/v1/Conversations/%00/Notes", data={"Body": "x"})).status_code == 404
    assert (await client.get(f"/v1/Conversations/{sid}/Messages/0")).json()["body"] == "hello"
