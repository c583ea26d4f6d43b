"""The only way to load a conversations record: one `access_*` function per type.

Each raises the same 404 for a record that does not exist, belongs to another account,
or lies outside the reader's point of view, so neither a tenant nor a user learns that
it exists. The scope comes from :func:`scope_for`, the one place memberships are read.
"""

from __future__ import annotations

from switchboard.conversations.domain import records as r
from switchboard.conversations.domain.pov import Membership, Scope, Viewer, scope_of
from switchboard.kernel import limits, sids
from switchboard.kernel.criteria import eq, isin
from switchboard.kernel.errors import NotFound
from switchboard.kernel.ports import Unit


def missing(path: str, key: str) -> NotFound:
    return NotFound(f"The requested resource /{path}/{key} was not found", code=20404)


def _storable(key: str) -> bool:
    """Whether a name or identity from the path could be stored at all (PostgreSQL
    refuses NUL outright): one that could not names nothing, so it is a 404."""
    try:
        limits.check_text(key)
    except limits.InputError:
        return False
    return True


def _index(key: str) -> int | None:
    """A message index from the path: ASCII digits within 64 bits, else none."""
    if not (key.isascii() and key.isdigit()) or len(key) > 18:
        return None
    return int(key)


async def viewer_of(unit: Unit, account_sid: str, identity: str | None) -> Viewer:
    """The account itself (no identity), or a user with their admin flag and grants."""
    if identity is None:
        return Viewer()
    user = await unit.first(r.User, eq("account_sid", account_sid), eq("identity", identity))
    granted = await unit.values(
        r.Grant, "subject", eq("account_sid", account_sid), eq("viewer", identity)
    )
    admin = user is not None and user.admin
    return Viewer(identity=identity, admin=admin, sees_as=frozenset(granted))


async def scope_for(unit: Unit, account_sid: str, viewer: Viewer) -> Scope:
    """The viewer's scope: the memberships of their identities, with each interaction's
    history setting."""
    if viewer.everything:
        return scope_of(viewer, ())
    rows = await unit.select(
        r.Participant,
        eq("account_sid", account_sid),
        isin("identity", sorted(viewer.identities())),
    )
    histories = await _histories(unit, {row.interaction_sid for row in rows})
    memberships = [
        Membership(
            row.interaction_sid, histories[row.interaction_sid], row.joined_index, row.invited_index
        )
        for row in rows
        if row.interaction_sid in histories
    ]
    return scope_of(viewer, memberships)


async def _histories(unit: Unit, interaction_sids: set[str]) -> dict[str, str]:
    if not interaction_sids:
        return {}
    found = await unit.select(r.Interaction, isin("sid", sorted(interaction_sids)))
    return {row.sid: row.history for row in found}


async def access_interaction(unit: Unit, account_sid: str, scope: Scope, key: str) -> r.Interaction:
    """By sid or by unique name, as Twilio allows; 404 outside the account or the view."""
    if sids.is_sid(key, r.INTERACTION):
        row = await unit.get(r.Interaction, key)
    elif not _storable(key):
        row = None
    else:
        row = await unit.first(
            r.Interaction, eq("account_sid", account_sid), eq("unique_name", key)
        )
    if row is None:
        raise missing("Conversations", key)
    if row.account_sid != account_sid:
        raise missing("Conversations", key)
    if not scope.sees_interaction(row.sid):
        raise missing("Conversations", key)
    return row


async def access_participant(unit: Unit, interaction: r.Interaction, key: str) -> r.Participant:
    """By sid or by identity."""
    if sids.is_sid(key, r.PARTICIPANT):
        row = await unit.get(r.Participant, key)
    elif not _storable(key):
        row = None
    else:
        row = await unit.first(
            r.Participant, eq("interaction_sid", interaction.sid), eq("identity", key)
        )
    if row is None or row.interaction_sid != interaction.sid:
        raise missing(f"Conversations/{interaction.sid}/Participants", key)
    return row


async def access_message(
    unit: Unit, interaction: r.Interaction, scope: Scope, key: str
) -> r.Message:
    """By sid or by index; 404 for a message before the reader's first visible index."""
    if sids.is_sid(key, r.MESSAGE):
        row = await unit.get(r.Message, key)
    elif (index := _index(key)) is not None:
        row = await unit.first(
            r.Message, eq("interaction_sid", interaction.sid), eq("index", index)
        )
    else:
        row = None
    if row is None or row.interaction_sid != interaction.sid:
        raise missing(f"Conversations/{interaction.sid}/Messages", key)
    if not scope.sees_message(interaction.sid, row.index):
        raise missing(f"Conversations/{interaction.sid}/Messages", key)
    return row


async def access_receipt(unit: Unit, message: r.Message, sid: str) -> r.Receipt:
    row = await unit.get(r.Receipt, sid)
    if row is None or row.message_sid != message.sid:
        raise missing(
            f"Conversations/{message.interaction_sid}/Messages/{message.sid}/Receipts", sid
        )
    return row


async def access_webhook(unit: Unit, interaction: r.Interaction, sid: str) -> r.Webhook:
    row = await unit.get(r.Webhook, sid)
    if row is None or row.interaction_sid != interaction.sid:
        raise missing(f"Conversations/{interaction.sid}/Webhooks", sid)
    return row


async def access_user(unit: Unit, account_sid: str, key: str) -> r.User:
    """By sid or by identity."""
    if sids.is_sid(key, r.USER):
        row = await unit.get(r.User, key)
    elif not _storable(key):
        row = None
    else:
        row = await unit.first(r.User, eq("account_sid", account_sid), eq("identity", key))
    if row is None or row.account_sid != account_sid:
        raise missing("Users", key)
    return row


async def access_role(unit: Unit, account_sid: str, sid: str) -> r.Role:
    row = await unit.get(r.Role, sid)
    if row is None or row.account_sid != account_sid:
        raise missing("Roles", sid)
    return row


async def access_invitation(unit: Unit, interaction: r.Interaction, sid: str) -> r.Invitation:
    row = await unit.get(r.Invitation, sid)
    if row is None or row.interaction_sid != interaction.sid:
        raise missing(f"Conversations/{interaction.sid}/Invitations", sid)
    return row


async def access_sequence(unit: Unit, account_sid: str, scope: Scope, sid: str) -> r.Sequence:
    """A sequence is visible when any of its interactions is."""
    row = await unit.get(r.Sequence, sid)
    if row is None or row.account_sid != account_sid:
        raise missing("Sequences", sid)
    if not scope.everything and not await unit.exists(
        r.Interaction, eq("sequence_sid", sid), *scope.interaction_criteria()
    ):
        raise missing("Sequences", sid)
    return row


async def access_relationship(
    unit: Unit, account_sid: str, scope: Scope, sid: str
) -> r.OuterConversation:
    """An outer conversation is visible when any of its interactions is."""
    row = await unit.get(r.OuterConversation, sid)
    if row is None or row.account_sid != account_sid:
        raise missing("Relationships", sid)
    if not scope.everything and not await unit.exists(
        r.Interaction, eq("conversation_sid", sid), *scope.interaction_criteria()
    ):
        raise missing("Relationships", sid)
    return row
