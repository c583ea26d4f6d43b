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
from collections.abc import Mapping, Sequence
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
# attributes (a JSON object held as text) stored as the object itself, when writing the
# object back gives the text exactly: no quotes escaped inside a string. The code says
# how to write it back (append only, like CODES).
JSON_FORMS: dict[str, tuple[str, dict[str, Any]]] = {
    "AJ": ("task_attributes", {}),  # json.dumps' defaults, as Python clients write it
    "AK": ("task_attributes", {"separators": (",", ":"), "ensure_ascii": False}),  # JS
    "WJ": ("worker_attributes", {}),
    "WK": ("worker_attributes", {"separators": (",", ":"), "ensure_ascii": False}),
}
_FORMS_OF: dict[str, tuple[tuple[str, dict[str, Any]], ...]] = {}
for _code, (_name, _form) in JSON_FORMS.items():
    _FORMS_OF[_name] = (*_FORMS_OF.get(_name, ()), (_code, _form))
NAMES = {code: name for name, code in CODES.items()} | {
    code: name for code, (name, _) in JSON_FORMS.items()
}
SAME = 0  # "the value is the row's filter column of the same name"
# A linked row (SQLite, see :func:`encode_many`) stores `{"^": k, "-": [names], ...}`:
# its data is that of the event `k` numbers before it, without the fields named in "-",
# with the fields that follow (coded as in any row).
LINK = "^"
DROPPED = "-"
LINK_REACH = 32  # how many rows back a link may point
# the fields the SQL statistics read inside `event_data`
# (sql_statistics.event_field): every row that has them keeps its own copy, but where
# its column holds it (the SQL reads the column too)
INLINE = frozenset(
    {
        "task_channel_sid",  # or its column (`task_channel`): the statistics read both
        "worker_previous_activity_sid",
        "worker_time_in_previous_activity_ms",
        "filter_index",
        "target_index",
    }
)
# the event_data keys that repeat a filter column (and so may be stored as SAME), and
# that column
SAME_COLUMN = {
    "workspace_sid": "workspace_sid",
    "task_sid": "task_sid",
    "worker_sid": "worker_sid",
    "reservation_sid": "reservation_sid",
    "task_queue_sid": "task_queue_sid",
    "workflow_sid": "workflow_sid",
    "task_channel_sid": "task_channel",
}
COLUMN_KEYS = tuple(SAME_COLUMN)
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

# The descriptions the platform writes, stored as ``%#<code>`` (append only: rows keep
# their codes forever). A template names the row's sids as the stored form does (``%t``,
# ``%r``, ...) and `event_data` fields as ``{field}``; a description is stored by its code
# only when the template, filled from the event itself, gives it back exactly.
DESCRIPTIONS: dict[int, str] = {
    1: "Task %t created",
    2: "Task %t updated",
    3: "Task %t deleted",
    4: "Task %t completed",
    5: "Task %t wrapping up",
    6: "Task %t canceled: {task_canceled_reason}",
    7: "Task %t entered Workflow {workflow_name}",
    8: "Task %t entered TaskQueue {task_queue_name}",
    9: "Task %t moved to TaskQueue {task_queue_name}",
    10: "Task %t reserved for Worker {worker_name}",
    11: "Task %t returned by Worker {worker_name}",
    12: "Task %t left Workflow {workflow_name} without an assignment",
    13: "Reservation %r accepted",
    14: "Reservation %r rejected",
    15: "Reservation %r timed out",
    16: "Reservation %r wrapping up",
    17: "Reservation %r completed",
    18: "Reservation %r returned",
    19: "Worker {worker_name} created",
    20: "Worker {worker_name} attributes updated",
    21: "Worker {worker_name} deleted",
    22: "Worker {worker_name} capacity updated",
    23: "Worker {worker_name} channel availability updated",
    24: "Worker {worker_name} updated to {worker_activity_name} Activity",
}
# which templates to try, by event type (a miss only means the text is stored as it is)
DESCRIPTION_CODES: dict[str, tuple[int, ...]] = {
    "task.created": (1,),
    "task.updated": (2,),
    "task.deleted": (3,),
    "task.completed": (4,),
    "task.wrapup": (5,),
    "task.canceled": (6,),
    "workflow.entered": (7,),
    "workflow.timeout": (12,),
    "task-queue.entered": (8,),
    "task-queue.moved": (9,),
    "reservation.created": (10,),
    "task.transfer-returned": (11,),
    "reservation.accepted": (13,),
    "reservation.rejected": (14,),
    "reservation.timeout": (15,),
    "reservation.wrapup": (16,),
    "reservation.completed": (17,),
    "reservation.canceled": (18,),
    "worker.created": (19,),
    "worker.attributes.update": (20,),
    "worker.deleted": (21,),
    "worker.capacity.update": (22,),
    "worker.channel.availability.update": (23,),
    "worker.activity.update": (24,),
}
_CODED = "%#"
DESCRIPTION_FIELD = re.compile(r"\{([a-z_]+)\}")

Row = Mapping[str, Any]


def _is_same(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and value == SAME


def pack_data(row: Row, data: Mapping[str, Any]) -> str:
    """`event_data` as stored: coded keys, sids that repeat a column as SAME."""
    return json.dumps(_packed(row, data), separators=(",", ":"))


def _packed(row: Row, data: Mapping[str, Any]) -> dict[str, Any]:
    stored: dict[str, Any] = {}
    for key, value in data.items():
        code = CODES.get(key)
        if code is None and key in NAMES:
            raise ValueError(f"event_data key {key!r} is also a code")
        column = SAME_COLUMN.get(key)
        if column is not None:
            if value is not None and value == row.get(column):
                value = SAME
            elif _is_same(value):
                code = None  # a literal 0 keeps its full name: only a code means SAME
        elif key in _FORMS_OF and isinstance(value, str):
            form = _json_form(key, value)
            if form is not None:
                code, value = form
        stored[code or key] = value
    return stored


def _reject_constant(name: str) -> Any:
    raise ValueError(name)  # NaN and Infinity are not JSON: SQL's JSON functions refuse them


# a task's events repeat its attributes text: each text's form is worked out once
_FORMS_SEEN: dict[tuple[str, str], tuple[str, Any] | None] = {}
FORMS_KEPT = 1024


def _json_form(key: str, text: str) -> tuple[str, Any] | None:
    """The code and the object of attributes text that one of its JSON forms writes back
    exactly, else None (then the text is stored as it is). The object is shared between
    the rows that store it: it is only ever written out, never changed."""
    seen = (key, text)
    if seen in _FORMS_SEEN:
        return _FORMS_SEEN[seen]
    if len(_FORMS_SEEN) >= FORMS_KEPT:
        _FORMS_SEEN.clear()
    form = _FORMS_SEEN[seen] = _find_json_form(key, text)
    return form


def _find_json_form(key: str, text: str) -> tuple[str, Any] | None:
    if not text.startswith("{") or "\\u" in text:
        return None  # escapes may be NUL or lone surrogates, which PostgreSQL's jsonb refuses
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    for code, form in _FORMS_OF[key]:
        if json.dumps(value, **form) == text:
            return code, value
    return None


def unpack_data(
    row: Row, text: str, bases: Mapping[Any, Row] | None = None
) -> dict[str, Any] | None:
    """The full `event_data` of a stored row as a dict (None when it holds no code: an
    object written before the compact form, or not an object); a key present under both
    its code and its full name reads as the full name's. A linked row's data is its
    base's (found in `bases` by `seq`) with its own changes."""
    stored = json.loads(text)
    if isinstance(stored, dict) and LINK in stored:
        return _unpack_linked(row, stored, bases or {})
    if not isinstance(stored, dict) or not any(key in NAMES for key in stored):
        return None
    return _unpack_coded(row, stored)


def _unpack_linked(row: Row, stored: dict[str, Any], bases: Mapping[Any, Row]) -> dict[str, Any]:
    base_row = bases.get(row["seq"] - stored[LINK])
    base = None
    if base_row is not None and base_row.get("event_data") is not None:
        text = base_row["event_data"]
        # a base without codes is read as it is (as `decode` reads such a row)
        base = unpack_data(base_row, text) or _object(text)
    # a base pruned before this row (retention deletes by `seq`): what the row kept
    found = {} if base is None else base
    for name in stored.get(DROPPED, ()):
        found.pop(name, None)
    own = {key: value for key, value in stored.items() if key not in (LINK, DROPPED)}
    found.update(_unpack_coded(row, own))
    return found


def _unpack_coded(row: Row, stored: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in stored.items():
        name = NAMES.get(key)
        if name is None:
            name = str(key)
        elif name in stored:
            continue  # the full name wins, as in the SQL statistics
        elif name in SAME_COLUMN and _is_same(value):
            value = row.get(SAME_COLUMN[name])
        elif key in JSON_FORMS:
            value = json.dumps(value, **JSON_FORMS[key][1])
        found[name] = value
    return found


def pack_description(row: Row, description: str) -> str:
    text = description.replace("%", "%%")
    for letter, column in PLACEHOLDERS.items():
        sid = row.get(column)
        if sid:  # sids have one length and a prefix of their kind: they never overlap
            text = text.replace(sid, f"%{letter}")
    return text


def unpack_description(row: Row, stored: str, data: Mapping[str, Any] | None = None) -> str:
    """The full description of a stored row (`data`: the row's full `event_data`, which
    a standard description's template may name)."""
    if "%" not in stored:
        return stored
    if stored.startswith(_CODED):
        template = DESCRIPTIONS.get(int(stored[2:])) if stored[2:].isdigit() else None
        if template is not None:
            filled = _fill(row, template, data or {})
            if filled is not None:
                return filled

    def expand(match: re.Match[str]) -> str:
        column = PLACEHOLDERS.get(match.group(1))
        return str(row.get(column) or "") if column else match.group(1)

    return _TOKEN.sub(expand, stored)


def _fill(row: Row, template: str, data: Mapping[str, Any]) -> str | None:
    """A standard description filled from the row's sids and its `event_data` fields
    (None when a field it names is not text)."""
    parts = DESCRIPTION_FIELD.split(template)  # static text, then field names, alternating
    filled = []
    for index, part in enumerate(parts):
        if index % 2 == 0:
            filled.append(unpack_description(row, part))
            continue
        value = data.get(part)
        if not isinstance(value, str):
            return None
        filled.append(value)
    return "".join(filled)


def description_code(fields: Row, data: Mapping[str, Any]) -> int | None:
    """The code of the standard description that gives this event's exactly, if any."""
    description = fields["description"]
    for code in DESCRIPTION_CODES.get(fields["event_type"], ()):
        if _fill(fields, DESCRIPTIONS[code], data) == description:
            return code
    return None


_UNPARSED: Any = object()


def encode(
    fields: Row, data_text: str | None = None, data: dict[str, Any] | None = _UNPARSED
) -> dict[str, Any]:
    """The stored row of a full event's fields (column name -> value); `data_text`: the
    stored `event_data` when the caller has it already (a linked row's); `data`: the
    `event_data` object when the caller has parsed it already."""
    row = dict(fields)
    resource_column = RESOURCE_COLUMN.get(row["resource_type"])
    if resource_column is not None and row["resource_sid"] == row.get(resource_column):
        row["resource_sid"] = None
    if row.get("actor_type") == WORKSPACE_ACTOR and row.get("actor_sid") == row["workspace_sid"]:
        row["actor_type"] = row["actor_sid"] = None
    if data is _UNPARSED:
        data = _object(row["event_data"])
    code = description_code(fields, data or {})
    if code is not None:
        row["description"] = f"{_CODED}{code}"
    else:
        row["description"] = pack_description(fields, row["description"])
    if data_text is not None:
        row["event_data"] = data_text
    elif data is not None:
        row["event_data"] = pack_data(fields, data)
    if row.get("source") == SOURCE:
        row["source"] = None
    return row


def decode(stored: Row, bases: Mapping[Any, Row] | None = None) -> dict[str, Any]:
    """The full event's fields of a stored row (`bases`: stored rows by `seq`, among
    them those its data links to)."""
    row = dict(stored)
    if row["resource_sid"] is None:
        row["resource_sid"] = row.get(RESOURCE_COLUMN.get(row["resource_type"], "workspace_sid"))
    if row.get("actor_type") is None and row.get("actor_sid") is None:
        row["actor_type"], row["actor_sid"] = WORKSPACE_ACTOR, row["workspace_sid"]
    full: dict[str, Any] | None = None
    if row["event_data"] is not None:
        data = unpack_data(stored, row["event_data"], bases)
        if data is not None:
            row["event_data"] = json.dumps(data, separators=(",", ":"))
            full = data
        elif row["description"].startswith(_CODED):
            parsed = json.loads(row["event_data"])
            full = parsed if isinstance(parsed, dict) else None
    row["description"] = unpack_description(stored, row["description"], full)
    if row.get("source") is None:
        row["source"] = SOURCE
    return row


def encode_many(rows: Sequence[Row], consecutive: bool) -> list[dict[str, Any]]:
    """The stored rows of events written together, in order. When the database numbers
    them consecutively (SQLite: one statement, one writer), an event about the same task
    as one before it in the batch stores only how its data differs ("event data once per
    transaction": a task's creation writes three events with the same task fields)."""
    if not consecutive:
        return [encode(fields) for fields in rows]
    stored: list[dict[str, Any]] = []
    bases: dict[tuple[Any, Any], tuple[int, dict[str, Any]]] = {}  # the last unlinked row
    for index, fields in enumerate(rows):
        task = fields.get("task_sid")
        key = (fields["workspace_sid"], task)
        base = bases.get(key) if task is not None else None
        data = _object(fields["event_data"])
        reach = base is not None and index - base[0] <= LINK_REACH
        if task is not None and base is not None and reach and data is not None:
            linked = _linked(fields, data, base[1], index - base[0])
            if linked is not None:
                row = encode(fields, linked, data)
                standalone = pack_data(fields, data)
                if len(linked) < len(standalone):
                    stored.append(row)
                    continue
                row["event_data"] = standalone
                stored.append(row)
                bases[key] = (index, data)
                continue
        stored.append(encode(fields, None, data))
        if task is None:
            continue
        if data is not None:
            bases[key] = (index, data)
    return stored


def _object(text: Any) -> dict[str, Any] | None:
    if text is None:
        return None
    value = json.loads(text)
    return value if isinstance(value, dict) else None


_SCALARS = (str, int, float, bool, type(None))


def _identical(a: Any, b: Any) -> bool:
    """Equal and written the same (`0 == False` and `1 == 1.0` in Python, not in JSON)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, _SCALARS):
        return bool(a == b)
    return bool(a == b) and json.dumps(a) == json.dumps(b)


def _in_column(fields: Row, key: str, value: Any) -> bool:
    column = SAME_COLUMN.get(key)
    return column is not None and value is not None and value == fields.get(column)


def _linked(fields: Row, data: dict[str, Any], base: dict[str, Any], back: int) -> str | None:
    """A row's `event_data` as a link to its base's data, when that gives it back
    exactly (keys in the same order; None otherwise)."""
    if LINK in data or DROPPED in data:
        return None
    changed = {
        key: value
        for key, value in data.items()
        if (key in INLINE and not _in_column(fields, key, value))
        or key not in base
        or not _identical(base[key], value)
    }
    dropped = [key for key in base if key not in data]
    rebuilt = [key for key in base if key not in dropped or key in changed]
    rebuilt += [key for key in changed if key not in base]
    if rebuilt != list(data):
        return None  # keys in another order: stored whole
    own = _packed(fields, changed)
    link: dict[str, Any] = {LINK: back}
    if dropped:
        link[DROPPED] = dropped
    return json.dumps({**link, **own}, separators=(",", ":"))


class EventCodec:
    """The `events` table's row codec (see :class:`switchboard.store.schema.RowCodec`)."""

    # stored differently from the record: never filtered or bulk-updated by value
    columns = frozenset(
        {"resource_sid", "actor_type", "actor_sid", "description", "event_data", "source"}
    )

    def encode(self, fields: Row) -> dict[str, Any]:
        return encode(fields)

    def encode_many(self, rows: Sequence[Row], consecutive: bool) -> list[dict[str, Any]]:
        return encode_many(rows, consecutive)

    def bases(self, stored: Sequence[Row]) -> set[Any]:
        """The `seq` of the rows these rows' data links to."""
        wanted = set()
        for row in stored:
            text = row["event_data"]
            if text is not None and text.startswith('{"' + LINK + '":'):
                wanted.add(row["seq"] - json.loads(text)[LINK])
        return wanted

    def decode(self, stored: Row, bases: Mapping[Any, Row] | None = None) -> dict[str, Any]:
        return decode(stored, bases)


CODEC = EventCodec()
