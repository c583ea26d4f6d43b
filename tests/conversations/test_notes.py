"""Notes with photo and video attachments, stored on disk, read under the point of view."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from switchboard.conversations.services.context import Conversations
from switchboard.wire.deps import Deps

AS = "X-Switchboard-Identity"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def _conversation_with(client: httpx.AsyncClient, identity: str) -> str:
    sid = str((await client.post("/v1/Conversations", data={})).json()["sid"])
    await client.post(f"/v1/Conversations/{sid}/Participants", data={"Identity": identity})
    return sid


async def test_a_note_carries_a_photo_that_members_can_download(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    sid = await _conversation_with(client, "alice")
    response = await client.post(
        f"/v1/Conversations/{sid}/Notes",
        data={"Author": "alice", "Body": "the damaged box"},
        files={"Media": ("box.png", PNG, "image/png")},
    )
    assert response.status_code == 201, response.text
    note = response.json()
    assert note["kind"] == "note" and note["body"] == "the damaged box"
    (media,) = note["media"]
    assert media["content_type"] == "image/png" and media["size"] == len(PNG)
    url = f"/v1/Conversations/{sid}/Messages/{note['sid']}/Media/{media['sid']}"
    download = await client.get(url, headers={AS: "alice"})
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert (await client.get(url, headers={AS: "mallory"})).status_code == 404
    assert (await other_client.get(url)).status_code == 404
    listed = await client.get(f"/v1/Conversations/{sid}/Messages", headers={AS: "alice"})
    assert [m["kind"] for m in listed.json()["messages"]] == ["note"]


async def test_attachment_type_and_size_are_limited(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    sid = await _conversation_with(client, "alice")
    notes = f"/v1/Conversations/{sid}/Notes"
    script = await client.post(notes, files={"Media": ("x.sh", b"rm -rf /", "application/x-sh")})
    assert script.status_code == 400 and "Media" in script.json()["message"]
    registry: Deps = app.state.deps
    registry.get(Conversations).media_max_bytes = 32
    big = await client.post(notes, files={"Media": ("big.png", PNG, "image/png")})
    assert big.status_code == 400 and "32 bytes" in big.json()["message"]
    empty = await client.post(notes, data={})
    assert empty.status_code == 400
    text_only = await client.post(notes, data={"Body": "called the customer back"})
    assert text_only.status_code == 201 and text_only.json()["media"] is None
