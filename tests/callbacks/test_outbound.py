"""URL policy and signatures, without any network beyond 127.0.0.1."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress

import pytest
from starlette.responses import RedirectResponse, Response
from twilio.request_validator import RequestValidator

from switchboard.outbound.client import Outbound, RefusedUrl, check_url
from switchboard.outbound.settings import OutboundSettings
from switchboard.outbound.signing import signature, url_with_body_hash
from switchboard.settings import Settings
from tests.callbacks.support import Hit, Receiver

REFUSED = [
    "http://10.0.0.5/hook",
    "http://192.168.1.1/hook",
    "http://172.16.0.1/hook",
    "http://169.254.169.254/latest/meta-data",  # cloud metadata: link-local
    "http://224.0.0.1/hook",  # multicast
    "http://0.0.0.0/hook",
    "http://[::1]/hook",
    "http://[fe80::1]/hook",
    "http://[::ffff:10.0.0.1]/hook",  # IPv4-mapped private address
    "http://127.0.0.1:9/hook",  # loopback, not allowed by default
]


@pytest.mark.parametrize("url", REFUSED)
async def test_private_loopback_link_local_and_multicast_are_refused(url: str) -> None:
    with pytest.raises(RefusedUrl):
        await check_url(url, OutboundSettings())


@pytest.mark.parametrize("url", ["ftp://8.8.8.8/x", "file:///etc/passwd", "gopher://1.1.1.1/"])
async def test_only_http_and_https_are_allowed(url: str) -> None:
    with pytest.raises(RefusedUrl, match="only http and https"):
        await check_url(url, OutboundSettings(allow_private=True))


async def test_public_addresses_pass_and_policy_can_allow_private_ones() -> None:
    await check_url("https://8.8.8.8/hook", OutboundSettings())
    await check_url("http://10.0.0.5/hook", OutboundSettings(allow_private=True))
    await check_url("http://127.0.0.1:9/hook", OutboundSettings.loopback_only())
    with pytest.raises(RefusedUrl):
        await check_url("http://10.0.0.5/hook", OutboundSettings.loopback_only())
    allow_ten = OutboundSettings(allowed_networks=(ipaddress.ip_network("10.0.0.0/8"),))
    await check_url("http://10.0.0.5/hook", allow_ten)


def test_the_environment_switch_allows_private_callbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHBOARD_ALLOW_PRIVATE_CALLBACKS", "1")
    monkeypatch.setenv("SWITCHBOARD_CALLBACK_ALLOWED_NETWORKS", "10.1.0.0/16, ::1/128")
    settings = Settings().outbound_settings()
    assert settings.allow_private
    assert [str(n) for n in settings.allowed_networks] == ["10.1.0.0/16", "::1/128"]
    monkeypatch.delenv("SWITCHBOARD_ALLOW_PRIVATE_CALLBACKS")
    monkeypatch.delenv("SWITCHBOARD_CALLBACK_ALLOWED_NETWORKS")
    assert not Settings().outbound_settings().allow_private


def test_signatures_are_the_ones_twilio_validates() -> None:
    params = {"EventType": "task.created", "TaskSid": "WT1", "Empty": "", "Ünï": "çödé"}
    url = "https://example.com:8443/cb?x=1"
    assert RequestValidator("secret").validate(url, params, signature("secret", url, params))
    body = b'{"TaskSid":"WT1"}'
    signed = url_with_body_hash(url, body)
    assert hashlib.sha256(body).hexdigest() in signed
    assert RequestValidator("secret").validate(
        signed, body.decode(), signature("secret", signed, {})
    )


async def test_a_hanging_server_is_cut_at_the_timeout(receiver: Receiver) -> None:
    receiver.hang("slow")
    outbound = Outbound(OutboundSettings.loopback_only())
    try:
        with pytest.raises(TimeoutError):
            await outbound.post(receiver.url("slow"), timeout=0.2, data={"a": "b"})
    finally:
        await outbound.close()


async def test_each_call_gets_its_own_timeout_not_the_clients_default(
    receiver: Receiver,
) -> None:
    """A media request may wait longer than an event callback: 0.5 s here, beyond the
    client's 0.1 s default, within the call's 5 s."""

    async def slow(_hit: Hit) -> Response:
        await asyncio.sleep(0.5)
        return Response(b"late but in time")

    receiver.on("slow", slow)
    settings = OutboundSettings.loopback_only()
    settings.event_timeout = 0.1
    outbound = Outbound(settings)
    try:
        answer = await outbound.post(receiver.url("slow"), timeout=5.0, data={"a": "b"})
    finally:
        await outbound.close()
    assert (answer.status, answer.body) == (200, b"late but in time")


async def test_large_answers_are_cut_and_redirects_not_followed(receiver: Receiver) -> None:
    async def big(_hit: Hit) -> Response:
        return Response(b"x" * 5000)

    async def redirect(_hit: Hit) -> Response:
        return RedirectResponse("http://10.0.0.1/", status_code=307)

    receiver.on("big", big)
    receiver.on("redirect", redirect)
    settings = OutboundSettings.loopback_only()
    settings.max_response_bytes = 1000
    outbound = Outbound(settings)
    try:
        answer = await outbound.post(receiver.url("big"), timeout=10, data={})
        moved = await outbound.post(receiver.url("redirect"), timeout=10, data={})
    finally:
        await outbound.close()
    assert len(answer.body) == 1000
    assert moved.status == 307
