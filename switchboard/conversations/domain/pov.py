"""The point of view: the one predicate that decides every read of the pillar.

A user sees only the interactions they take part in (or that someone they are granted
sees, such as a supervisor over a team member); administrators and the account itself
see everything. Within a visible interaction, the interaction's history setting says
from which message on a participant reads: `shared` everything, `joined` from when
they joined (the default for backchannels), `invited` from when they were invited.
A backchannel is an interaction of its own, so joining it reveals nothing of its parent.

REST fetch and list, participant conversations, search and the websocket all ask a
:class:`Scope` built here; none of them decides visibility by itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from switchboard.conversations.domain.records import INVITED, SHARED
from switchboard.kernel.criteria import Criterion, eq, ge, isin


@dataclass(frozen=True)
class Viewer:
    """Who reads: the account itself (`identity` None), an admin user, or a user, who also
    sees what each identity in `sees_as` sees (grants such as supervisor over a team)."""

    identity: str | None = None
    admin: bool = False
    sees_as: frozenset[str] = frozenset()

    @property
    def everything(self) -> bool:
        return self.identity is None or self.admin

    def identities(self) -> frozenset[str]:
        """The identities whose participations make up this view."""
        own = frozenset() if self.identity is None else frozenset({self.identity})
        return own | self.sees_as


@dataclass(frozen=True)
class Membership:
    """One identity's participation in an interaction, with the history setting of it."""

    interaction_sid: str
    history: str
    joined_index: int
    invited_index: int


def first_visible_index(membership: Membership) -> int:
    """The index of the first message this participation may read."""
    if membership.history == SHARED:
        return 0
    if membership.history == INVITED:
        return membership.invited_index
    return membership.joined_index


@dataclass(frozen=True)
class Scope:
    """What one viewer may read: everything, or for each visible interaction the index of
    its first visible message."""

    everything: bool
    first_index: Mapping[str, int] = field(default_factory=dict)

    def sees_interaction(self, interaction_sid: str) -> bool:
        return self.everything or interaction_sid in self.first_index

    def sees_message(self, interaction_sid: str, index: int) -> bool:
        """The predicate for messages, notes, receipts and every event about a message."""
        if self.everything:
            return True
        first = self.first_index.get(interaction_sid)
        return first is not None and index >= first

    def interaction_criteria(self, field_name: str = "sid") -> list[Criterion]:
        """The same predicate as store criteria over interaction sids."""
        return [] if self.everything else [isin(field_name, sorted(self.first_index))]

    def message_criteria(self, interaction_sid: str) -> list[Criterion]:
        """The same predicate as store criteria over one interaction's messages."""
        where: list[Criterion] = [eq("interaction_sid", interaction_sid)]
        if not self.everything:
            where.append(ge("index", self.first_index.get(interaction_sid, 1 << 62)))
        return where


EVERYTHING = Scope(everything=True)


def scope_of(viewer: Viewer, memberships: Iterable[Membership]) -> Scope:
    """The viewer's scope from the memberships of their identities; with several
    identities (grants) an interaction is read from the earliest index any of them may."""
    if viewer.everything:
        return EVERYTHING
    first: dict[str, int] = {}
    for membership in memberships:
        index = first_visible_index(membership)
        sid = membership.interaction_sid
        first[sid] = min(index, first.get(sid, index))
    return Scope(everything=False, first_index=first)
