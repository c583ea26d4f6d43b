"""Helpers for the channels specifications: Twilio-signed webhook forms."""

from __future__ import annotations

import uuid

import httpx
from twilio.request_validator import RequestValidator

PROVIDER_SID = "AC" + "7" * 32
PROVIDER_TOKEN = "provider-auth-token-0123456789ab"
ORG_NUMBER = "+15550100001"
CUSTOMER = "+15550177777"


def message_sid() -> str:
    return "SM" + uuid.uuid4().hex


def inbound_form(
    body: str = "Hello, my order is late", sid: str | None = None, **extra: str
) -> dict[str, str]:
    """What Twilio posts for an inbound SMS."""
    form = {
        "MessageSid": sid or message_sid(),
        "AccountSid": PROVIDER_SID,
        "From": CUSTOMER,
        "To": ORG_NUMBER,
        "Body": body,
        "NumMedia": "0",
    }
    form.update(extra)
    return form


async def post_signed(
    http: httpx.AsyncClient,
    url: str,
    form: dict[str, str],
    token: str = PROVIDER_TOKEN,
) -> httpx.Response:
    """POST the form with the X-Twilio-Signature Twilio would compute for `url`."""
    signature = RequestValidator(token).compute_signature(url, form)
    return await http.post(url, data=form, headers={"X-Twilio-Signature": signature})
