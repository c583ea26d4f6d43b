"""Worker-channel messages go through the same input layer as HTTP (issue 12; issue 11
item 7): non-standard or too deeply nested JSON is refused with code 20001, and the
channel stays open."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote

import pytest
from twilio.jwt.taskrouter.capabilities import WorkerCapabilityToken
from websockets.asyncio.client import connect

from switchboard.client import WorkerChannelError, WorkerClient
from switchboard.distribution.domain.records import Worker
from tests.callbacks.support import Live


def _token(live: Live, worker: str) -> str:
    token = WorkerCapabilityToken(live.account_sid, live.auth_token, live.workspace_sid, worker)
    return str(token.to_jwt())


async def _worker(live: Live) -> str:
    await live.workspace()
    return await live.worker("Alice", skill="support")


@pytest.mark.parametrize(
    "attributes", ['{"score": NaN}', '{"score": Infinity}', '{"a": ' + "[" * 40 + "]" * 40 + "}"]
)
async def test_attribute_updates_with_non_standard_or_deep_json_are_refused(
    live: Live, attributes: str
) -> None:
    worker = await _worker(live)
    client = WorkerClient.connect_to(
        live.base_url, live.account_sid, worker, _token(live, worker), timeout=30
    )  # generous: on a loaded CI machine the channel's first frame once took over 5 s
    async with client as alice:
        with pytest.raises(WorkerChannelError) as refused:
            await alice.request("update_attributes", attributes=attributes)
        assert refused.value.code == 20001
        await alice.ping()
    stored = await live.get(Worker, worker)
    assert json.loads(stored.attributes) == {"skill": "support"}


@pytest.mark.parametrize(
    "text",
    ['{"type": "ping", "n": NaN}', "[" * 5000 + "]" * 5000, '{"type": "ping", "s": "\\ud800"}'],
)
async def test_messages_that_are_not_strict_json_get_an_error_and_the_channel_stays(
    live: Live, text: str
) -> None:
    worker = await _worker(live)
    base = "ws" + live.base_url.removeprefix("http")
    url = f"{base}/v1/wschannels/{live.account_sid}/{worker}?token={quote(_token(live, worker))}"
    async with connect(url, open_timeout=20) as socket:
        await asyncio.wait_for(socket.recv(), 30)  # the snapshot
        await socket.send(text)
        reply = json.loads(await asyncio.wait_for(socket.recv(), 30))
        assert reply["type"] == "error" and reply["code"] == 20001, reply
        await socket.send(json.dumps({"type": "ping", "request_id": "r1"}))
        assert json.loads(await asyncio.wait_for(socket.recv(), 30))["type"] == "pong"
