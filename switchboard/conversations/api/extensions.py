"""Switchboard's extension resources under `/v1` (docs/reference/conversations.md):
Relationships (outer conversations), Sequences (cases) with Merge and Split,
Backchannels, Invitations and Grants."""

from __future__ import annotations

from fastapi import Depends, Response
from starlette.datastructures import UploadFile as StarletteUpload

from switchboard.conversations.api import params as cp
from switchboard.conversations.api import serializers as ser
from switchboard.conversations.api.context import Ctx, context
from switchboard.conversations.domain import invitations as inv
from switchboard.conversations.domain import limits
from switchboard.conversations.domain import records as r
from switchboard.conversations.services import (
    access,
    backchannels,
    notes,
    relationships,
    sequences,
    typing,
    users,
)
from switchboard.conversations.services.messages import body_of
from switchboard.conversations.services.sequences import visible_containers
from switchboard.kernel.criteria import eq
from switchboard.kernel.errors import InvalidParameter
from switchboard.wire.context import json_response, list_response, page_from_query
from switchboard.wire.routing import GatedRouter

router = GatedRouter()
MAX_TAGS = 50


def _tags(ctx: Ctx, name: str) -> tuple[str, ...] | None:
    if name not in ctx.params:
        return None
    values = tuple(ctx.params.strings(name))
    if len(values) > MAX_TAGS or any(len(value) > 64 for value in values):
        raise InvalidParameter(f"Invalid {name}: at most {MAX_TAGS} values of 64 characters")
    return values


@router.post("/v1/Relationships")
async def create_relationship(ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    create = sequences.RelationshipCreate(
        organization=p.string("Organization", required=True, max_length=256),
        outside_party=p.string("OutsideParty", required=True, max_length=256),
        friendly_name=cp.name(p, "FriendlyName"),
        tags=_tags(ctx, "Tags") or (),
        aliases=_tags(ctx, "Aliases") or (),
        encryption=p.enum("Encryption", ("account",)),
    )
    row = await sequences.create_relationship(ctx.svc, ctx.account_sid, create)
    return json_response(ser.relationship(row, ctx.base), 201)


@router.get("/v1/Relationships")
async def list_relationships(ctx: Ctx = Depends(context)) -> Response:
    scope = await ctx.scope()
    async with ctx.svc.store.read() as unit:
        visible = await visible_containers(unit, scope, "conversation_sid")
        page = await page_from_query(
            ctx, unit, sequences.relationships_query(ctx.account_sid, visible)
        )
    records = [ser.relationship(row, ctx.base) for row in page.records]
    return list_response(ctx, "relationships", page, records)


@router.get("/v1/Relationships/{sid:xc}")
async def fetch_relationship(sid: str, ctx: Ctx = Depends(context)) -> Response:
    scope = await ctx.scope()
    async with ctx.svc.store.read() as unit:
        row = await access.access_relationship(unit, ctx.account_sid, scope, sid)
    return json_response(ser.relationship(row, ctx.base))


@router.post("/v1/Relationships/{sid:xc}/Merge")
async def merge_relationship(sid: str, ctx: Ctx = Depends(context)) -> Response:
    await _account_only(ctx)
    into = ctx.params.sid("Into", r.OUTER_CONVERSATION)
    row = await relationships.merge_relationships(ctx.svc, ctx.account_sid, sid, into, ctx.identity)
    return json_response(ser.relationship(row, ctx.base))


@router.post("/v1/Relationships/{sid:xc}/Split")
async def split_relationship(sid: str, ctx: Ctx = Depends(context)) -> Response:
    await _account_only(ctx)
    moving = ctx.params.strings("Sequences")
    row = await relationships.split_relationship(
        ctx.svc, ctx.account_sid, sid, moving, ctx.identity
    )
    return json_response(ser.relationship(row, ctx.base), 201)


@router.get("/v1/Relationships/{sid:xc}/Audit")
async def relationship_audit(sid: str, ctx: Ctx = Depends(context)) -> Response:
    """Merges and splits from or into the relationship, oldest first."""
    scope = await ctx.scope()
    async with ctx.svc.store.read() as unit:
        await access.access_relationship(unit, ctx.account_sid, scope, sid)
        page = await page_from_query(ctx, unit, sequences.audit_query(sid))
    return list_response(ctx, "audit", page, [ser.audit(row, ctx.base) for row in page.records])


def _sequence_fields(ctx: Ctx) -> sequences.SequenceFields:
    p = ctx.params
    return sequences.SequenceFields(
        subject=cp.name(p, "Subject"),
        category=p.string("Category", max_length=64) or None,
        tags=_tags(ctx, "Tags"),
        state=p.string("State", max_length=32) or None,
        primary_participant=cp.name(p, "PrimaryParticipant"),
        owner=cp.name(p, "Owner"),
    )


@router.post("/v1/Relationships/{sid:xc}/Sequences")
async def open_sequence(sid: str, ctx: Ctx = Depends(context)) -> Response:
    row = await sequences.open_sequence(ctx.svc, ctx.account_sid, sid, _sequence_fields(ctx))
    return json_response(ser.sequence(row, ctx.base), 201)


@router.get("/v1/Sequences")
async def list_sequences(ctx: Ctx = Depends(context)) -> Response:
    scope = await ctx.scope()
    async with ctx.svc.store.read() as unit:
        visible = await visible_containers(unit, scope, "sequence_sid")
        query = sequences.sequences_query(ctx.account_sid, visible)
        relationship = ctx.params.sid("RelationshipSid", r.OUTER_CONVERSATION)
        if relationship is not None:
            query = query.filtered(eq("conversation_sid", relationship))
        page = await page_from_query(ctx, unit, query)
    return list_response(
        ctx, "sequences", page, [ser.sequence(row, ctx.base) for row in page.records]
    )


@router.get("/v1/Sequences/{sid:xs}")
async def fetch_sequence(sid: str, ctx: Ctx = Depends(context)) -> Response:
    scope = await ctx.scope()
    async with ctx.svc.store.read() as unit:
        row = await access.access_sequence(unit, ctx.account_sid, scope, sid)
    return json_response(ser.sequence(row, ctx.base))


@router.post("/v1/Sequences/{sid:xs}")
async def update_sequence(sid: str, ctx: Ctx = Depends(context)) -> Response:
    fields = _sequence_fields(ctx)
    row = await sequences.update_sequence(ctx.svc, ctx.account_sid, await ctx.scope(), sid, fields)
    return json_response(ser.sequence(row, ctx.base))


async def _account_only(ctx: Ctx) -> None:
    """Merges and splits rewrite history: the account or an admin user only."""
    if not (await ctx.viewer()).everything:
        raise access.missing("Sequences", "Merge")


@router.get("/v1/Sequences/{sid:xs}/Audit")
async def sequence_audit(sid: str, ctx: Ctx = Depends(context)) -> Response:
    """Merges and splits from or into the sequence, oldest first."""
    scope = await ctx.scope()
    async with ctx.svc.store.read() as unit:
        await access.access_sequence(unit, ctx.account_sid, scope, sid)
        page = await page_from_query(ctx, unit, sequences.audit_query(sid))
    return list_response(ctx, "audit", page, [ser.audit(row, ctx.base) for row in page.records])


@router.post("/v1/Sequences/{sid:xs}/Merge")
async def merge_sequence(sid: str, ctx: Ctx = Depends(context)) -> Response:
    await _account_only(ctx)
    into = ctx.params.sid("Into", r.SEQUENCE)
    row = await sequences.merge_sequences(ctx.svc, ctx.account_sid, sid, into, ctx.identity)
    return json_response(ser.sequence(row, ctx.base))


@router.post("/v1/Sequences/{sid:xs}/Split")
async def split_sequence(sid: str, ctx: Ctx = Depends(context)) -> Response:
    await _account_only(ctx)
    p = ctx.params
    subject = p.string("Subject", max_length=256)
    interactions = p.strings("Interactions")
    row = await sequences.split_sequence(
        ctx.svc, ctx.account_sid, sid, interactions, subject, ctx.identity
    )
    return json_response(ser.sequence(row, ctx.base), 201)


@router.post("/v1/Conversations/{key}/Backchannels")
async def start_backchannel(key: str, ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    params = backchannels.Backchannel(
        exclude=p.strings("Exclude"),
        include=p.strings("Include"),
        friendly_name=cp.name(p, "FriendlyName"),
        history=p.enum("History", r.HISTORY) or r.JOINED,
    )
    scope = await ctx.scope()
    row = await backchannels.start_backchannel(ctx.svc, ctx.account_sid, scope, key, params)
    # the starter sees the parent, so the parent link is shown to them
    return json_response(ser.interaction(row, ctx.base, scope, ctx.svc.clock.now_ms()), 201)


@router.post("/v1/Conversations/{key}/Invitations")
async def invite(key: str, ctx: Ctx = Depends(context)) -> Response:
    p = ctx.params
    identity = p.string("Identity", max_length=256)
    ttl = p.integer("ExpiresIn", 60, 30 * 86_400)
    ttl_ms = ttl * 1000 if ttl is not None else None
    row = await sequences.invite(ctx.svc, ctx.account_sid, await ctx.scope(), key, identity, ttl_ms)
    return json_response(ser.invitation(row, ctx.base, ctx.svc.clock.now_ms()), 201)


@router.get("/v1/Conversations/{key}/Invitations")
async def list_invitations(key: str, ctx: Ctx = Depends(context)) -> Response:
    scope = await ctx.scope()
    async with ctx.svc.store.read() as unit:
        interaction = await access.access_interaction(unit, ctx.account_sid, scope, key)
        page = await page_from_query(ctx, unit, sequences.invitations_query(interaction.sid))
    now = ctx.svc.clock.now_ms()
    records = [ser.invitation(row, ctx.base, now) for row in page.records]
    return list_response(ctx, "invitations", page, records)


@router.post("/v1/Conversations/{key}/Invitations/{sid:xi}")
async def answer_invitation(key: str, sid: str, ctx: Ctx = Depends(context)) -> Response:
    answer = ctx.params.enum("Status", inv.ANSWERS)
    viewer = await ctx.viewer()
    row = await sequences.answer_invitation(ctx.svc, ctx.account_sid, viewer, key, sid, answer)
    return json_response(ser.invitation(row, ctx.base, ctx.svc.clock.now_ms()))


@router.post("/v1/Users/{key}/Grants")
async def grant(key: str, ctx: Ctx = Depends(context)) -> Response:
    """`key` (a user) sees from now on what `Subject` sees (supervisor over a team member)."""
    await _account_only(ctx)
    subject = ctx.params.string("Subject", max_length=256)
    async with ctx.svc.store.read() as unit:
        user = await access.access_user(unit, ctx.account_sid, key)
    if not subject:
        raise InvalidParameter("Missing required parameter Subject in the post body")
    row = await users.grant(ctx.svc, ctx.account_sid, user.identity, subject)
    body = {
        "sid": row.sid,
        "account_sid": row.account_sid,
        "viewer": row.viewer,
        "subject": row.subject,
    }
    return json_response(body, 201)


async def _uploads(ctx: Ctx) -> list[notes.Upload]:
    form = await ctx.request.form()
    uploads = []
    for name, value in form.multi_items():
        if name == "Media" and isinstance(value, StarletteUpload):
            content = await value.read(ctx.svc.media_max_bytes + 1)
            kind = (value.content_type or "").split(";")[0].strip().lower()
            uploads.append(notes.Upload(value.filename or "", kind, content))
    return uploads


@router.post("/v1/Conversations/{key}/Notes")
async def post_note(key: str, ctx: Ctx = Depends(context)) -> Response:
    """A note (kind `note`) with text and photo or video attachments (multipart `Media`)."""
    scope = await ctx.scope()
    async with ctx.svc.store.read() as unit:
        interaction = await access.access_interaction(unit, ctx.account_sid, scope, key)
    store = ctx.svc.attachments
    body = ctx.params.string("Body")
    limits.check_body(body)
    multipart = "multipart/form-data" in ctx.request.headers.get("content-type", "")
    uploads = await _uploads(ctx) if multipart else []
    if uploads and store is None:
        raise InvalidParameter("Attachments are not enabled on this server")
    notes.check_uploads(uploads, ctx.svc.media_max_bytes)
    if body is None and not uploads:
        raise InvalidParameter("Missing required parameter Body or Media")
    author = cp.name(ctx.params, "Author")
    row = await notes.post_note(ctx.svc, store, ctx.account_sid, scope, key, author, body, uploads)
    rendered = ser.message(row, body_of(ctx.svc, interaction, row), None, ctx.base)
    return json_response(rendered, 201)


@router.post("/v1/Conversations/{key}/Typing")
async def typing_started(key: str, ctx: Ctx = Depends(context)) -> Response:
    """A participant started typing (`Identity`; a user's own by default): the members'
    streams and a web chat visitor's widget show it. Nothing is stored."""
    scope = await ctx.scope()
    who = ctx.params.string("Identity", max_length=256) or ctx.identity
    event = await typing.started(ctx.svc, ctx.account_sid, scope, key, who)
    body = {"conversation_sid": event["conversation_sid"], **event["record"]}
    return json_response(body, 202)


@router.get("/v1/Conversations/{key}/Messages/{message}/Media/{media:me}")
async def fetch_attachment(
    key: str, message: str, media: str, ctx: Ctx = Depends(context)
) -> Response:
    """An attachment's bytes, under the same point of view as its note."""
    store = ctx.svc.attachments
    scope = await ctx.scope()
    async with ctx.svc.store.read() as unit:
        if store is None:
            raise access.missing(f"Conversations/{key}/Messages/{message}/Media", media)
        kind, content = await notes.read_attachment(
            ctx.svc, store, unit, ctx.account_sid, scope, key, message, media
        )
    return Response(content, media_type=kind)
