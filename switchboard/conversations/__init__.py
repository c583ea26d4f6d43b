"""Pillar 2, conversations: an outside party's relationship with an organization.

`domain/` is the pure model (records, the point-of-view predicate, state and timers,
limits); `persistence` binds the records to tables; `services` are the use cases over
the store port; `api/` speaks Twilio Conversations v1 plus Switchboard's extension
resources. Nothing here imports the distribution pillar: the composition root wires both.
"""

from __future__ import annotations
