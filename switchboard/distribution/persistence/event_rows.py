"""How an event row is stored: only what the row does not already say (issue 10, "events
stay small").

An event's full form (Twilio's payload: the envelope columns and `event_data`) repeats a
lot: every task event names its workspace, task, queue and workflow sids in the filter
columns *and* again in `event_data`; the resource sid is one of those columns; the actor
is almost always the workspace; the description quotes the sids. The stored row keeps
each fact once:

* `event_data` keys are short codes (:data:`CODES`; keys outside the code book are kept
  as they are), and a sid field equal to its filter column is stored as ``0`` ("see the
  column"); a literal 0 in such a field keeps its full name. The SQL statistics read a
  field inside the JSON by its full name, else by its code
  (:func:`switchboard.distribution.persistence.sql_statistics.event_field`);
* `resource_sid` is NULL when it equals the filter column of its resource type;
* `actor_type` and `actor_sid` are NULL when the actor is the workspace itself;
* `source` is NULL for "switchboard";
* the description is a template: the row's sids become ``%t`` (task), ``%r``
  (reservation), ``%w`` (worker), ``%q`` (queue), ``%f`` (workflow), ``%s`` (workspace),
  and a literal ``%`` is ``%%`` (migration 0017 escaped the rows written before).

This is a storage concern only: :data:`CODEC` is the `events` table's row codec
(``Table.info["codec"]``, see :class:`switchboard.store.schema.RowCodec`), so the SQL
store writes :func:`encode`'s row and builds every `Event` record from :func:`decode`'s.
Code that reads or writes events through the store sees full records, exactly as before.
Rows written before the compact form (full payloads, columns set) decode unchanged:
their keys are not codes and their columns are set.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

SOURCE = "switchboard"
WORKSPACE_ACTOR = "workspace"

# event_data keys and their codes: stored forever, so append only (never reuse a code).
# Codes are upper case; Twilio's keys are snake_case, so the two never collide.
CODES: dict[str, str] = {
    "workspace_sid": "S",
    "workspace_name": "N",
    "task_sid": "T",
    "task_attributes": "A",
    "task_age": "G",
    "task_priority": "P",
    "task_assignment_status": "U",
    "task_queue_sid": "Q",
    "task_queue_name": "QN",
    "workflow_sid": "F",
    "workflow_name": "FN",
    "worker_sid": "W",
    "worker_name": "WN",
    "worker_attributes": "WA",
    "worker_activity_sid": "WS",
    "worker_activity_name": "WT",
    "worker_time_in_previous_activity": "WP",
    "worker_channel_capacity": "WC",
    "worker_channel_previous_capacity": "WD",
    "worker_channel_available": "WV",
    "reservation_sid": "R",
    "task_canceled_reason": "CR",
    "task_completed_reason": "DR",
    "task_returned_reason": "RR",
    "task_channel_name": "CN",
    "task_channel_unique_name": "CU",
    "task_channel_optimized_routing": "CO",
    "task_queue_target_expression": "QE",
    "activity_sid": "V",
    "activity_name": "VN",
    "activity_available": "VA",
    "instruction": "I",
    "instruction_params": "IP",
    "instruction_result": "IR",
    "instruction_detail": "ID",
    "document_url": "DU",
    "error": "E",
    "task_channel_sid": "C",
    "filter_index": "FI",
    "target_index": "TI",
    "worker_previous_activity_sid": "WR",
    "worker_time_in_previous_activity_ms": "WM",
}
NAMES = {code: name for name, code in CODES.items()}
SAME = 0  # "the value is the row's filter column of the same name"
# the event_data keys that repeat a filter column (and so may be stored as SAME)
COLUMN_KEYS = (
    "workspace_sid",
    "task_sid",
    "worker_sid",
    "reservation_sid",
    "task_queue_sid",
    "workflow_sid",
)
# the column that holds a resource's sid, by resource type
RESOURCE_COLUMN = {
    "task": "task_sid",
    "reservation": "reservation_sid",
    "worker": "worker_sid",
    "workspace": "workspace_sid",
    "task_queue": "task_queue_sid",
    "workflow": "workflow_sid",
}
# description placeholders: letter -> the column whose sid it stands for
PLACEHOLDERS = {
    "t": "task_sid",
    "r": "reservation_sid",
    "w": "worker_sid",
    "q": "task_queue_sid",
    "f": "workflow_sid",
    "s": "workspace_sid",
}
_TOKEN = re.compile(r"%(.)", re.DOTALL)

Row = Mapping[str, Any]


def _is_same(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and value == SAME


def pack_data(row: Row, data: Mapping[str, Any]) -> str:
    """`event_data` as stored: coded keys, sids that repeat a column as SAME."""
    stored: dict[str, Any] = {}
    for key, value in data.items():
        code = CODES.get(key)
        if code is None and key in NAMES:
            raise ValueError(f"event_data key {key!r} is also a code")
        if key in COLUMN_KEYS:
            if value is not None and value == row.get(key):
                value = SAME
            elif _is_same(value):
                code = None  # a literal 0 keeps its full name: only a code means SAME
        stored[code or key] = value
    return json.dumps(stored, separators=(",", ":"))


def unpack_data(row: Row, text: str) -> dict[str, Any] | None:
    """The full `event_data` of a stored row as a dict (None when it holds no code: an
    object written before the compact form, or not an object); a key present under both
    its code and its full name reads as the full name's."""
    stored = json.loads(text)
    if not isinstance(stored, dict) or not any(key in NAMES for key in stored):
        return None
    found: dict[str, Any] = {}
    for key, value in stored.items():
        name = NAMES.get(key)
        if name is None:
            name = str(key)
        elif name in stored:
            continue  # the full name wins, as in the SQL statistics
        elif name in COLUMN_KEYS and _is_same(value):
            value = row.get(name)
        found[name] = value
    return found


def pack_description(row: Row, description: str) -> str:
    text = description.replace("%", "%%")
    for letter, column in PLACEHOLDERS.items():
        sid = row.get(column)
        if sid:  # sids have one length and a prefix of their kind: they never overlap
            text = text.replace(sid, f"%{letter}")
    return text


def unpack_description(row: Row, stored: str) -> str:
    if "%" not in stored:
        return stored

    def expand(match: re.Match[str]) -> str:
        column = PLACEHOLDERS.get(match.group(1))
        return str(row.get(column) or "") if column else match.group(1)

    return _TOKEN.sub(expand, stored)


def encode(fields: Row) -> dict[str, Any]:
    """The stored row of a full event's fields (column name -> value)."""
    row = dict(fields)
    resource_column = RESOURCE_COLUMN.get(row["resource_type"])
    if resource_column is not None and row["resource_sid"] == row.get(resource_column):
        row["resource_sid"] = None
    if row.get("actor_type") == WORKSPACE_ACTOR and row.get("actor_sid") == row["workspace_sid"]:
        row["actor_type"] = row["actor_sid"] = None
    row["description"] = pack_description(fields, row["description"])
    if row["event_data"] is not None:
        data = json.loads(row["event_data"])
        if isinstance(data, dict):
            row["event_data"] = pack_data(fields, data)
    if row.get("source") == SOURCE:
        row["source"] = None
    return row


def decode(stored: Row) -> dict[str, Any]:
    """The full event's fields of a stored row."""
    row = dict(stored)
    if row["resource_sid"] is None:
        row["resource_sid"] = row.get(RESOURCE_COLUMN.get(row["resource_type"], "workspace_sid"))
    if row.get("actor_type") is None and row.get("actor_sid") is None:
        row["actor_type"], row["actor_sid"] = WORKSPACE_ACTOR, row["workspace_sid"]
    row["description"] = unpack_description(stored, row["description"])
    if row["event_data"] is not None:
        data = unpack_data(stored, row["event_data"])
        if data is not None:
            row["event_data"] = json.dumps(data, separators=(",", ":"))
    if row.get("source") is None:
        row["source"] = SOURCE
    return row


class EventCodec:
    """The `events` table's row codec (see :class:`switchboard.store.schema.RowCodec`)."""

    # stored differently from the record: never filtered or bulk-updated by value
    columns = frozenset(
        {"resource_sid", "actor_type", "actor_sid", "description", "event_data", "source"}
    )

    def encode(self, fields: Row) -> dict[str, Any]:
        return encode(fields)

    def decode(self, stored: Row) -> dict[str, Any]:
        return decode(stored)


CODEC = EventCodec()
