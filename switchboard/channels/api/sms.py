"""Twilio's Messaging webhooks: `POST /v1/Channels/Sms/Inbound` (a message came in) and
`POST /v1/Channels/Sms/Status` (a reply's delivery status), each signed with
`X-Twilio-Signature` over the public URL and the form, checked with the provider's token."""

from __future__ import annotations

from fastapi import Request, Response

from switchboard.channels.domain import signatures
from switchboard.channels.domain.records import SMS
from switchboard.channels.domain.sms import parse_inbound, parse_status
from switchboard.channels.ports import CarrierAccount
from switchboard.channels.services import credentials, inbound
from switchboard.channels.services.context import Channels, TwilioSettings
from switchboard.kernel.errors import NotFound, SwitchboardError
from switchboard.wire.deps import deps
from switchboard.wire.routing import GatedRouter

router = GatedRouter()
NOT_ENABLED = "The requested resource {path} was not found"
SIGNATURE_HEADER = "X-Twilio-Signature"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


class BadSignature(SwitchboardError):
    """The webhook is not signed with the provider's token (or not for this URL)."""

    status = 403
    code = 20003


def _enabled(request: Request) -> tuple[Channels, TwilioSettings]:
    svc = deps(request).find(Channels)
    if svc is None or svc.sms is None or svc.sms_settings is None:
        raise NotFound(NOT_ENABLED.format(path=request.url.path))
    return svc, svc.sms_settings


def public_url(request: Request, settings: TwilioSettings) -> str:
    """The URL the provider signed: the configured public root, else the request's own."""
    if settings.public_url is None:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return settings.public_url.rstrip("/") + request.url.path + query


async def signed_form(
    request: Request, settings: TwilioSettings, svc: Channels
) -> tuple[dict[str, str], CarrierAccount | None]:
    """The form, once its signature is checked (403 otherwise, before anything is stored),
    and who signed it: an organization's own carrier account (the form's `AccountSid`
    names it), or None for the deployment's account."""
    form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
    signature = request.headers.get(SIGNATURE_HEADER, "")
    url = public_url(request, settings)
    if signature:
        for signer in await credentials.signers(svc, form.get("AccountSid")):
            if signatures.is_valid(signer.auth_token, url, form, signature):
                return form, signer
        # an empty deployment token signs nothing (organizations bring their own)
        deployment = settings.auth_token
        if deployment and signatures.is_valid(deployment, url, form, signature):
            return form, None
    raise BadSignature(f"Invalid {SIGNATURE_HEADER} for {request.url.path}")


@router.post("/v1/Channels/Sms/Inbound")
async def sms_inbound(request: Request) -> Response:
    """An empty TwiML answer: the reply comes later, from a member of the organization."""
    svc, settings = _enabled(request)
    form, signer = await signed_form(request, settings, svc)
    await inbound.receive_sms(svc, parse_inbound(form), signer)
    return Response(EMPTY_TWIML, media_type="application/xml")


@router.post("/v1/Channels/Sms/Status")
async def sms_status(request: Request) -> Response:
    svc, settings = _enabled(request)
    form, signer = await signed_form(request, settings, svc)
    await inbound.report_status(svc, SMS, parse_status(form), signer)
    return Response(status_code=204)
