"""The conversations websocket carries only what the reader's point of view allows."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from switchboard.tenancy.accounts import Accounts
from tests.conversations.support import chat_token, stream

AS = "X-Switchboard-Identity"


async def _post(client: httpx.AsyncClient, path: str, **data: str) -> dict[str, object]:
    response = await client.post(path, data=data)
    assert response.status_code in (200, 201), response.text
    return response.json()  # type: ignore[no-any-return]


async def test_members_hear_their_conversations_and_nothing_else(
    app: FastAPI, client: httpx.AsyncClient, credentials: tuple[str, str]
) -> None:
    account, token = credentials
    alice = stream(app, chat_token(account, token, "alice"))
    bob = stream(app, chat_token(account, token, "bob"))
    await alice.ready()
    await bob.ready()
    assert alice.frames() == [{"type": "ready", "identity": "alice"}]
    ours = str((await _post(client, "/v1/Conversations"))["sid"])
    others = str((await _post(client, "/v1/Conversations"))["sid"])
    await _post(client, f"/v1/Conversations/{ours}/Participants", Identity="alice")
    await _post(client, f"/v1/Conversations/{others}/Participants", Identity="bob")
    await _post(client, f"/v1/Conversations/{ours}/Messages", Author="x", Body="for alice")
    await _post(client, f"/v1/Conversations/{others}/Messages", Author="x", Body="for bob")
    await alice.settle()
    await bob.settle()
    heard = [f["message"]["body"] for f in alice.frames() if f["type"] == "onMessageAdded"]
    assert heard == ["for alice"]
    assert {f["conversation_sid"] for f in alice.frames()[1:]} == {ours}
    assert {f["conversation_sid"] for f in bob.frames()[1:]} == {others}
    await alice.close()
    await bob.close()


async def test_a_removed_member_hears_the_removal_then_nothing(
    app: FastAPI, client: httpx.AsyncClient, credentials: tuple[str, str]
) -> None:
    account, token = credentials
    sid = str((await _post(client, "/v1/Conversations"))["sid"])
    await _post(client, f"/v1/Conversations/{sid}/Participants", Identity="alice")
    alice = stream(app, chat_token(account, token, "alice"))
    await alice.ready()
    await client.delete(f"/v1/Conversations/{sid}/Participants/alice")
    await _post(client, f"/v1/Conversations/{sid}/Messages", Author="x", Body="after")
    await alice.settle()
    assert [f["type"] for f in alice.frames()] == ["ready", "onParticipantRemoved"]
    await alice.close()


async def test_another_account_hears_nothing_even_as_an_admin_with_the_same_identity(
    app: FastAPI, client: httpx.AsyncClient, accounts: Accounts
) -> None:
    other, other_token = await accounts.create("Other")
    outsider = stream(app, chat_token(other.sid, other_token, "alice"))
    await outsider.ready()
    sid = str((await _post(client, "/v1/Conversations"))["sid"])
    await _post(client, f"/v1/Conversations/{sid}/Participants", Identity="alice")
    await _post(client, "/v1/Users", Identity="alice", Admin="true")
    await _post(client, f"/v1/Conversations/{sid}/Messages", Author="alice", Body="secret")
    await outsider.settle()
    assert outsider.frames() == [{"type": "ready", "identity": "alice"}]
    await outsider.close()


async def test_bad_tokens_close_the_stream_with_4401(
    app: FastAPI, credentials: tuple[str, str]
) -> None:
    account, _token = credentials
    for bad in ("", "not-a-jwt", chat_token(account, "f" * 32, "alice")):
        socket = stream(app, bad)
        await socket.ready()
        closed = socket.closed()
        assert closed is not None and closed["code"] == 4401, socket.sent
        await socket.close()
