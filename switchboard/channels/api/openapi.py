"""What the served OpenAPI document says about the channels: carrier addresses (account
credentials) and the carriers' webhooks and the chat widget's routes (a carrier's
signature or a widget id instead of credentials; see the channels' how-tos)."""

from __future__ import annotations

from typing import Any

from switchboard.wire.openapi import Catalogue, form_body, json_response, parameter

_TEXT = {"type": "string"}
_SID = {"type": "string", "minLength": 34, "maxLength": 34, "pattern": "^XA[0-9a-fA-F]{32}$"}
_CHANNEL = {"type": "string", "enum": ["sms", "email", "chat", "voice"]}
_TAG = ["SwitchboardChannels"]
_PUBLIC: dict[str, Any] = {"security": []}


def _op(summary: str, status: int, *parameters: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "tags": _TAG,
        "parameters": list(parameters),
        "responses": json_response(status, summary),
        **extra,
    }


def _webhook(summary: str, *fields: str) -> dict[str, Any]:
    body = form_body({name: (_TEXT, f"As the carrier posts it: {name}") for name in fields})
    return _op(summary, 200, requestBody=body, **_PUBLIC)


def _credentials(found: Catalogue) -> None:
    base = "/v1/Channels/Credentials"
    schema = {"type": "string", "minLength": 34, "maxLength": 34, "pattern": "^XK[0-9a-fA-F]{32}$"}
    sid = parameter("Sid", "path", "The credential's SID", schema, required=True)
    create = form_body(
        {
            "Organization": (_TEXT, "The organization whose carrier account this is"),
            "ProviderAccountSid": (_TEXT, "The carrier's account sid (Twilio: AC...)"),
            "AuthToken": (_TEXT, "The carrier's auth token (stored sealed, never shown)"),
            "Provider": (_TEXT, "twilio (the default)"),
        },
        "Organization",
        "ProviderAccountSid",
        "AuthToken",
    )
    summary = "Set an organization's own carrier account"
    found.add("post", base, _op(summary, 201, requestBody=create))
    found.add("get", base, _op("Your organizations' carrier accounts", 200))
    found.add("get", f"{base}/{{Sid}}", _op("An organization's carrier account", 200, sid))
    found.add("delete", f"{base}/{{Sid}}", _op("Forget a carrier account", 204, sid))


def catalogue() -> Catalogue:
    found = Catalogue()
    base = "/v1/Channels/Addresses"
    sid = parameter("Sid", "path", "The address's SID", _SID, required=True)
    create = form_body(
        {
            "Channel": (_CHANNEL, "sms, email, chat or voice"),
            "Address": (_TEXT, "The phone number, email address or widget id"),
            "FriendlyName": (_TEXT, "A name for people"),
            "Attributes": (_TEXT, "JSON: the channel's settings (e.g. voice's workflow)"),
            "Organization": (
                _TEXT,
                "The organization whose request router takes new contacts (its routing "
                "profile); without one a contact only becomes a conversation message",
            ),
        },
        "Channel",
        "Address",
    )
    found.add("post", base, _op("Claim a carrier address", 201, requestBody=create))
    kind = parameter("Channel", "query", "Only addresses of this channel", _CHANNEL)
    found.add("get", base, _op("Your carrier addresses", 200, kind))
    found.add("get", f"{base}/{{Sid}}", _op("A carrier address", 200, sid))
    update = form_body(
        {
            "FriendlyName": (_TEXT, "A name for people"),
            "Attributes": (_TEXT, "JSON: the channel's settings"),
            "Organization": (_TEXT, "The organization whose router takes new contacts ('': none)"),
        }
    )
    found.add(
        "post", f"{base}/{{Sid}}", _op("Update a carrier address", 200, sid, requestBody=update)
    )
    found.add("delete", f"{base}/{{Sid}}", _op("Release a carrier address", 204, sid))
    _credentials(found)
    sms = ("MessageSid", "AccountSid", "From", "To", "Body", "NumMedia")
    found.add("post", "/v1/Channels/Sms/Inbound", _webhook("Twilio Messaging webhook", *sms))
    found.add(
        "post",
        "/v1/Channels/Sms/Status",
        _webhook("Twilio message status callback", "MessageSid", "MessageStatus"),
    )
    call = ("CallSid", "From", "To", "CallStatus")
    found.add("post", "/v1/Channels/Voice/Inbound", _webhook("Twilio Voice webhook (TwiML)", *call))
    found.add(
        "post",
        "/v1/Channels/Voice/Status",
        _webhook("Twilio call status callback", "CallSid", "CallStatus"),
    )
    hold = _webhook("Hold music and greeting while the caller waits (TwiML)", "CallSid")
    hold["parameters"] = [sid]
    found.add("post", "/v1/Channels/Voice/Hold/{Sid}", hold)
    widget = parameter("Widget", "path", "The chat widget's id", _TEXT, required=True)
    visitor = _op("A visitor token for the chat widget", 201, widget, **_PUBLIC)
    found.add("post", "/v1/Channels/Chat/{Widget}/Visitors", visitor)
    found.add("get", "/v1/Channels/Chat/widget.js", _op("The chat widget script", 200, **_PUBLIC))
    return found
