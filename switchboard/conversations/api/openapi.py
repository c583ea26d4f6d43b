"""What the served OpenAPI document says about the conversations routes.

Twilio's own description of Conversations v1 (twilio/twilio-oai, MIT, vendored beside
this module) describes every Twilio operation Switchboard serves, so the document says
exactly what Twilio's does (only the operations served are listed; the `/v1/Services`
and `/v1/Credentials` families are not). The extension resources (Relationships,
Sequences, Backchannels, Invitations, Grants, Notes, attachments, search, receipt
updates) are described here, as their routes read them.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from switchboard.conversations.api.context import IDENTITY_HEADER, MAX_IDENTITY, WEBHOOK_HEADER
from switchboard.conversations.api.extensions import MAX_TAGS
from switchboard.conversations.domain import invitations as inv
from switchboard.conversations.domain import limits
from switchboard.conversations.domain import records as r
from switchboard.conversations.services.messages import RECEIPT_STATUSES
from switchboard.wire.openapi import Catalogue, form_body, json_response, parameter
from switchboard.wire.paging import MAX_PAGE_SIZE

REFERENCE = "twilio_conversations_v1.json"
TAG = "SwitchboardConversationsExtensions"
JSON = dict[str, Any]
_TEXT: JSON = {"type": "string"}
_NAME: JSON = {"type": "string", "maxLength": limits.MAX_NAME}
_TAGS: JSON = {"type": "array", "maxItems": MAX_TAGS, "items": {"type": "string", "maxLength": 64}}
_LIST: JSON = {"type": "array", "items": {"type": "string"}}


def _sid(prefix: str) -> JSON:
    return {
        "type": "string",
        "minLength": 34,
        "maxLength": 34,
        "pattern": f"^{prefix}[0-9a-fA-F]{{32}}$",
    }


@functools.cache
def reference() -> JSON:
    """Twilio's Conversations v1 OpenAPI document, as vendored."""
    text = resources.files(__package__).joinpath(REFERENCE).read_text(encoding="utf-8")
    document: JSON = json.loads(text)
    return document


def catalogue() -> Catalogue:
    """Twilio's operations, then the extensions."""
    found = Catalogue(schemas=dict(reference()["components"]["schemas"]))
    for path, item in reference()["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "delete"):
                found.add(method, path, operation)
    _relationships(found)
    _sequences(found)
    _conversation_extensions(found)
    _others(found)
    _request_routing(found)
    return found


def _request_routing(found: Catalogue) -> None:
    """Issue 19: an organization's routing profile, inbound requests, ratings, escalation."""
    org = parameter("Organization", "path", "The organization's name", _TEXT, required=True)
    sid = parameter("Sid", "path", "The request's SID", _TEXT, required=True)
    text = {
        name: (_TEXT, description)
        for name, description in (
            ("WorkspaceSid", "The TaskRouter workspace requests become tasks in"),
            ("ProxyAddress", "The organization's address customers write to"),
            ("WorkflowSid", "The workflow the tasks enter"),
            ("TaskChannel", "The tasks' channel"),
            ("Hours", "JSON: business hours (IANA zone, week, holidays)"),
            ("Rules", "JSON: categorization rules"),
            ("DefaultCategory", "The category when no rule or classifier decides"),
            ("Messages", "JSON: the texts customers are sent"),
            ("FeedbackInterval", "Seconds between queue-position messages"),
            ("InactiveAfter", "Seconds without a customer reply before the nudge"),
            ("RetireFactor", "The request is retired after this many InactiveAfter"),
            ("FirstResponseTarget", "Seconds: first-response SLA"),
            ("NextResponseTarget", "Seconds: next-response SLA"),
            ("ClassifierThreshold", "0..1: the classifier's confidence needed"),
            ("MaxWait", "Seconds before a waiting request escalates to overflow"),
        )
    }
    profile = form_body(text, "WorkspaceSid", "ProxyAddress")
    base = "/v1/Organizations/{Organization}"
    found.add(
        "post",
        f"{base}/RoutingProfile",
        _op("Set the routing profile", 200, org, requestBody=profile),
    )
    found.add("get", f"{base}/RoutingProfile", _op("The routing profile", 200, org))
    inbound = form_body(
        {
            "From": (_TEXT, "The customer's address"),
            "Body": (_TEXT, "The message"),
            "Channel": (_TEXT, "sms, email, chat or voice (default chat)"),
        },
        "From",
        "Body",
    )
    found.add("post", f"{base}/Inbound", _op("A customer's message", 200, org, requestBody=inbound))
    found.add(
        "get", f"{base}/RequestStatistics", _op("Ratings and SLA per member and team", 200, org)
    )
    found.add("get", "/v1/Requests/{Sid}", _op("A request", 200, sid))
    rating = form_body(
        {"Rating": ({"type": "integer", "minimum": 1, "maximum": 5}, "1..5"),
         "Comment": (_TEXT, "The customer's words")},
        "Rating",
    )  # fmt: skip
    found.add(
        "post", "/v1/Requests/{Sid}/Rating", _op("Rate a request", 200, sid, requestBody=rating)
    )
    escalate = form_body(
        {"To": (_TEXT, "Who takes it: supervisor, specialist, overflow"),
         "Reason": (_TEXT, "Why")},
        "To",
        "Reason",
    )  # fmt: skip
    found.add(
        "post",
        "/v1/Requests/{Sid}/Escalation",
        _op("Escalate a request", 200, sid, requestBody=escalate),
    )


def _identity() -> JSON:
    return parameter(
        IDENTITY_HEADER,
        "header",
        "Read and act as this user (their point of view) rather than as the account",
        {"type": "string", "maxLength": MAX_IDENTITY},
    )


def _paging() -> list[JSON]:
    return [
        parameter(
            "PageSize",
            "query",
            "How many resources to return in each list page",
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        ),
        parameter("Page", "query", "The page index", {"type": "integer", "minimum": 0}),
        parameter("PageToken", "query", "The page token", _TEXT),
    ]


def _op(summary: str, status: int, *parameters: JSON, **extra: Any) -> JSON:
    return {
        "summary": f"{summary} (Switchboard extension)",
        "tags": [TAG],
        "parameters": [*parameters, _identity()],
        "responses": json_response(status, summary),
        **extra,
    }


def _relationships(found: Catalogue) -> None:
    base = "/v1/Relationships"
    sid = parameter("Sid", "path", "The relationship's SID", _sid(r.OUTER_CONVERSATION))
    create = form_body(
        {
            "Organization": ({"type": "string", "maxLength": 256}, "Your side"),
            "OutsideParty": ({"type": "string", "maxLength": 256}, "The customer's side"),
            "FriendlyName": (_NAME, "A name"),
            "Tags": (_TAGS, "Tags (repeat the parameter)"),
            "Aliases": (_TAGS, "Other names of the outside party (repeat the parameter)"),
            "Encryption": ({"type": "string", "enum": ["account"]}, "Seal bodies at rest"),
        },
        "Organization",
        "OutsideParty",
    )
    found.add("post", base, _op("Create a relationship", 201, requestBody=create))
    found.add("get", base, _op("Relationships the reader may see", 200, *_paging()))
    found.add("get", f"{base}/{{Sid}}", _op("Fetch a relationship", 200, sid))
    into = form_body({"Into": (_sid(r.OUTER_CONVERSATION), "The relationship kept")})
    found.add(
        "post", f"{base}/{{Sid}}/Merge", _op("Merge into another", 200, sid, requestBody=into)
    )
    split = form_body({"Sequences": (_LIST, "Sequence SIDs moved out (repeat)")})
    found.add(
        "post", f"{base}/{{Sid}}/Split", _op("Split sequences off", 201, sid, requestBody=split)
    )
    found.add("get", f"{base}/{{Sid}}/Audit", _op("Merges and splits", 200, sid, *_paging()))
    found.add(
        "post",
        f"{base}/{{Sid}}/Sequences",
        _op("Open a sequence (case)", 201, sid, requestBody=_sequence_body()),
    )


def _sequence_body() -> JSON:
    return form_body(
        {
            "Subject": (_NAME, "What the case is about"),
            "Category": ({"type": "string", "maxLength": 64}, "A category"),
            "Tags": (_TAGS, "Tags (repeat the parameter)"),
            "State": ({"type": "string", "maxLength": 32}, "The case's state"),
            "PrimaryParticipant": (_NAME, "The main outside participant"),
            "Owner": (_NAME, "Who owns the case"),
        }
    )


def _sequences(found: Catalogue) -> None:
    base = "/v1/Sequences"
    sid = parameter("Sid", "path", "The sequence's SID", _sid(r.SEQUENCE))
    relationship = parameter(
        "RelationshipSid", "query", "Only this relationship's", _sid(r.OUTER_CONVERSATION)
    )
    found.add("get", base, _op("Sequences the reader may see", 200, relationship, *_paging()))
    found.add("get", f"{base}/{{Sid}}", _op("Fetch a sequence", 200, sid))
    found.add(
        "post", f"{base}/{{Sid}}", _op("Update a sequence", 200, sid, requestBody=_sequence_body())
    )
    found.add("get", f"{base}/{{Sid}}/Audit", _op("Merges and splits", 200, sid, *_paging()))
    into = form_body({"Into": (_sid(r.SEQUENCE), "The sequence kept")})
    found.add(
        "post", f"{base}/{{Sid}}/Merge", _op("Merge into another", 200, sid, requestBody=into)
    )
    split = form_body(
        {
            "Subject": ({"type": "string", "maxLength": 256}, "The new sequence's subject"),
            "Interactions": (_LIST, "Conversation SIDs moved out (repeat)"),
        }
    )
    found.add(
        "post", f"{base}/{{Sid}}/Split", _op("Split conversations off", 201, sid, requestBody=split)
    )


def _conversation_extensions(found: Catalogue) -> None:
    base = "/v1/Conversations/{ConversationSid}"
    conversation = parameter(
        "ConversationSid", "path", "The conversation's SID or unique name", _TEXT
    )
    typing = form_body({"Identity": (_NAME, "Who is typing (a user: themself)")})
    found.add(
        "post",
        f"{base}/Typing",
        _op("A participant started typing (nothing stored)", 202, conversation, requestBody=typing),
    )
    backchannel = form_body(
        {
            "Exclude": (_LIST, "Participants left out (repeat)"),
            "Include": (_LIST, "Participants brought in (repeat)"),
            "FriendlyName": (_NAME, "A name"),
            "History": ({"type": "string", "enum": list(r.HISTORY)}, "What they see (joined)"),
        }
    )
    found.add(
        "post",
        f"{base}/Backchannels",
        _op("Start a private side conversation", 201, conversation, requestBody=backchannel),
    )
    invite = form_body(
        {
            "Identity": ({"type": "string", "maxLength": 256}, "Who is invited"),
            "ExpiresIn": ({"type": "integer", "minimum": 60, "maximum": 30 * 86_400}, "Seconds"),
        }
    )
    found.add("post", f"{base}/Invitations", _op("Invite", 201, conversation, requestBody=invite))
    found.add("get", f"{base}/Invitations", _op("Invitations", 200, conversation, *_paging()))
    invitation = parameter("Sid", "path", "The invitation's SID", _sid("XI"))
    answer = form_body({"Status": ({"type": "string", "enum": list(inv.ANSWERS)}, "The answer")})
    found.add(
        "post",
        f"{base}/Invitations/{{Sid}}",
        _op("Answer an invitation", 200, conversation, invitation, requestBody=answer),
    )
    note_fields: JSON = {
        "Body": ({"type": "string", "maxLength": limits.MAX_BODY}, "The note's text"),
        "Author": (_NAME, "Who wrote it"),
    }
    note = form_body(note_fields)
    multipart = form_body(
        {**note_fields, "Media": ({"type": "array", "items": _FILE}, "Photos or videos")}
    )
    note["content"]["multipart/form-data"] = multipart["content"][
        "application/x-www-form-urlencoded"
    ]
    found.add(
        "post",
        f"{base}/Notes",
        _op("Post a note, with attachments", 201, conversation, requestBody=note),
    )
    message = parameter("MessageSid", "path", "The message's SID", _sid("IM"))
    media = parameter("Sid", "path", "The attachment's SID", _sid("ME"))
    attachment = _op("An attachment's bytes", 200, conversation, message, media)
    attachment["responses"] = {
        "200": {
            "description": "The attachment, with its content type",
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        }
    }
    found.add("get", f"{base}/Messages/{{MessageSid}}/Media/{{Sid}}", attachment)
    receipt = parameter("Sid", "path", "The receipt's SID", _sid("DY"))
    webhook = parameter(
        WEBHOOK_HEADER,
        "header",
        "true: fire the webhooks",
        {"type": "string", "enum": ["true", "false"]},
    )
    progress = form_body(
        {
            "Status": ({"type": "string", "enum": list(RECEIPT_STATUSES)}, "Delivery status"),
            "ErrorCode": ({"type": "integer", "minimum": 0}, "The channel's error code"),
        }
    )
    found.add(
        "post",
        f"{base}/Messages/{{MessageSid}}/Receipts/{{Sid}}",
        _op(
            "A channel adapter reports delivery progress",
            200,
            conversation,
            message,
            receipt,
            webhook,
            requestBody=progress,
        ),
    )


_FILE: JSON = {"type": "string", "format": "binary"}


def _others(found: Catalogue) -> None:
    found.add(
        "get",
        "/v1/Search/Messages",
        _op(
            "Full-text search over the messages the reader may see, newest first",
            200,
            parameter("Query", "query", "The words searched", {"type": "string", "maxLength": 256}),
            parameter(
                "PageSize",
                "query",
                "How many (50)",
                {"type": "integer", "minimum": 1, "maximum": 100},
            ),
        ),
    )
    user = parameter("Sid", "path", "The user's SID or identity", _TEXT)
    subject = form_body(
        {"Subject": ({"type": "string", "maxLength": 256}, "Whose view")}, "Subject"
    )
    found.add(
        "post",
        "/v1/Users/{Sid}/Grants",
        _op("Let a user see what another sees", 201, user, requestBody=subject),
    )
