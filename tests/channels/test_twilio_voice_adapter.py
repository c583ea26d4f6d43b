"""The Twilio voice media adapter against a local Calls API: each instruction's requests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from switchboard.channels.adapters.twilio_voice import TwilioVoice
from switchboard.kernel.media import MediaRequest
from switchboard.outbound.client import Outbound
from tests.callbacks.support import fast_settings
from tests.channels.provider import FakeTwilio, fake_twilio
from tests.channels.support import PROVIDER_SID, PROVIDER_TOKEN

CALL = "CA" + "c" * 32


def _request(instruction: str, **params: str) -> MediaRequest:
    attributes: dict[str, Any] = {"call_sid": CALL, "to": "+15550100001"}
    return MediaRequest(
        instruction, "AC" + "1" * 32, "WS" + "1" * 32, "WR" + "1" * 32, "WT" + "1" * 32,
        "WK" + "1" * 32, attributes, {"contact_uri": "client:alice"}, params,
    )  # fmt: skip


@pytest.fixture
async def voice() -> AsyncIterator[tuple[TwilioVoice, FakeTwilio]]:
    outbound = Outbound(fast_settings())
    async with fake_twilio(PROVIDER_SID, PROVIDER_TOKEN) as provider:
        yield TwilioVoice(outbound, PROVIDER_SID, PROVIDER_TOKEN, api_url=provider.url), provider
    await outbound.close()


async def test_call_redirect_conference_and_supervise_speak_the_calls_api(
    voice: tuple[TwilioVoice, FakeTwilio],
) -> None:
    adapter, provider = voice
    called = await adapter.call(
        _request("call", url="https://app.example/worker.xml", **{"from": "+15550100001"})
    )
    assert called.ok
    assert (provider.calls[-1]["To"], provider.calls[-1]["Url"]) == (
        "client:alice",
        "https://app.example/worker.xml",
    )

    assert (await adapter.redirect(_request("redirect", url="https://app.example/park.xml"))).ok
    assert provider.calls[-1]["path"].endswith(f"/Calls/{CALL}.json")
    assert provider.calls[-1]["Method"] == "POST"

    assert (await adapter.conference(_request("conference"))).ok
    caller, worker = provider.calls[-2:]
    assert caller["path"].endswith(f"/Calls/{CALL}.json")
    assert "<Conference>WT" in caller["Twiml"] and worker["Twiml"] == caller["Twiml"]
    assert (worker["To"], worker["From"]) == ("client:alice", "+15550100001")

    assert (await adapter.supervise(_request("supervise", supervisor="client:sam"))).ok
    assert provider.calls[-1]["To"] == "client:sam"
    assert 'muted="true"' in provider.calls[-1]["Twiml"]
    assert provider.refused == []


async def test_missing_arguments_and_bad_credentials_fail_with_a_reason(
    voice: tuple[TwilioVoice, FakeTwilio],
) -> None:
    adapter, provider = voice
    assert not (await adapter.call(_request("call"))).ok
    assert "url" in (await adapter.redirect(_request("redirect"))).detail["error"]
    wrong = TwilioVoice(adapter.outbound, PROVIDER_SID, "wrong-token", api_url=provider.url)
    refused = await wrong.dequeue(_request("dequeue"))
    assert not refused.ok
    assert "401" in refused.detail["error"]
    assert provider.refused == ["auth"]


async def test_the_desktops_call_control_updates_the_call(
    voice: tuple[TwilioVoice, FakeTwilio],
) -> None:
    """Hold plays the music, resume dials the worker again, transfer dials the colleague,
    hang up completes the call: each one update of the task's call (issue 16)."""
    adapter, provider = voice
    music = "https://cdn.example/hold.mp3"
    assert (await adapter.hold(_request("hold", url=music))).ok
    held = provider.calls[-1]
    assert held["path"].endswith(f"/Calls/{CALL}.json")
    assert held["Twiml"].endswith(f'<Response><Play loop="0">{music}</Play></Response>')

    assert (await adapter.resume(_request("resume"))).ok
    assert "<Dial>client:alice</Dial>" in provider.calls[-1]["Twiml"]

    assert (await adapter.transfer(_request("transfer", to="client:bob"))).ok
    assert "<Dial>client:bob</Dial>" in provider.calls[-1]["Twiml"]

    assert (await adapter.hangup(_request("hangup"))).ok
    assert provider.calls[-1]["Status"] == "completed"
    assert provider.calls[-1]["path"].endswith(f"/Calls/{CALL}.json")

    assert "url" in (await adapter.hold(_request("hold"))).detail["error"]
    assert "to" in (await adapter.transfer(_request("transfer"))).detail["error"]
    assert provider.refused == []
