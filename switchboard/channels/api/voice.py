"""Twilio's Voice webhook: `POST /v1/Channels/Voice/Inbound` answers an inbound call with
TwiML (greeting, then the queue); `POST /v1/Channels/Voice/Hold/{address}` is the hold
music the queue plays. Signed with `X-Twilio-Signature` like the SMS webhooks."""

from __future__ import annotations

from fastapi import Request, Response

from switchboard.channels.api.sms import NOT_ENABLED, signed_form
from switchboard.channels.domain.voice import answer_twiml, hold_twiml, parse_call, parse_status
from switchboard.channels.services import voice
from switchboard.channels.services.context import Channels, TwilioSettings
from switchboard.kernel.errors import NotFound
from switchboard.wire.deps import deps
from switchboard.wire.routing import GatedRouter

router = GatedRouter()
XML = "application/xml"


def _enabled(request: Request) -> tuple[Channels, TwilioSettings]:
    svc = deps(request).find(Channels)
    if svc is None or svc.voice_settings is None:
        raise NotFound(NOT_ENABLED.format(path=request.url.path))
    return svc, svc.voice_settings


@router.post("/v1/Channels/Voice/Inbound")
async def voice_inbound(request: Request) -> Response:
    svc, settings = _enabled(request)
    form, signer = await signed_form(request, settings, svc)
    call = parse_call(form)
    address, setup = await voice.receive_call(svc, call, signer)
    wait_url = f"/v1/Channels/Voice/Hold/{address.sid}"  # relative: Twilio resolves it
    return Response(answer_twiml(setup, call, svc.clock.now_ms(), wait_url), media_type=XML)


@router.post("/v1/Channels/Voice/Status")
async def voice_status(request: Request) -> Response:
    """Twilio's call status callback: a caller who hangs up while waiting cancels the task."""
    svc, settings = _enabled(request)
    form, _signer = await signed_form(request, settings, svc)
    call_sid, status = parse_status(form)
    await voice.call_status(svc, call_sid, status)
    return Response(status_code=204)


@router.post("/v1/Channels/Voice/Hold/{sid:xa}")
async def voice_hold(sid: str, request: Request) -> Response:
    svc, settings = _enabled(request)
    await signed_form(request, settings, svc)
    return Response(hold_twiml(await voice.hold_setup(svc, sid)), media_type=XML)
