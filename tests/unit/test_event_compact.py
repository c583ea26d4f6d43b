"""Event rows are stored compact and read back as the full records, exactly (issue 10,
"events stay small"): the `events` table's row codec, as the SQL store applies it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from switchboard.distribution.domain.records import Event
from switchboard.distribution.persistence import event_rows as compact
from switchboard.distribution.persistence.tables import events
from switchboard.store.schema import Schema

WS = "WS" + "a" * 32
TASK = "WT" + "b" * 32
RES = "WR" + "c" * 32
WORKER = "WK" + "d" * 32
QUEUE = "WQ" + "e" * 32
FLOW = "WW" + "f" * 32
OTHER = "WT" + "9" * 32


def _json(value: Any) -> str:
    """The text `record` stores and the API's `event_data` re-serializes (no spaces)."""
    return json.dumps(value, separators=(",", ":"))


def _event(**fields: Any) -> Event:
    base: dict[str, Any] = {
        "seq": 7,
        "account_sid": "AC" + "2" * 32,
        "workspace_sid": WS,
        "event_type": "reservation.created",
        "resource_type": "reservation",
        "resource_sid": RES,
        "actor_type": "workspace",
        "actor_sid": WS,
        "description": f"Task {TASK} reserved for Worker Alice",
        "event_data": "{}",
        "source": "switchboard",
        "event_date": 1_700_000_000_000,
        "task_sid": TASK,
        "worker_sid": WORKER,
        "reservation_sid": RES,
        "task_queue_sid": QUEUE,
        "workflow_sid": FLOW,
    }
    return Event(**(base | fields))


EVENTS = Schema({Event: events}).of(Event)


def _stored(event: Event) -> dict[str, Any]:
    """The row the SQL store writes for the record."""
    return EVENTS.row(event)


def _read(row: dict[str, Any]) -> Event:
    """The record the SQL store builds from a stored row."""
    record: Event = EVENTS.record(row)
    return record


def _payload() -> dict[str, Any]:
    return {
        "workspace_sid": WS,
        "workspace_name": "Support",
        "reservation_sid": RES,
        "task_sid": TASK,
        "task_attributes": json.dumps({"type": "support", "lang": "fr"}),
        "task_age": "3",
        "task_priority": "0",
        "task_assignment_status": "reserved",
        "task_channel_sid": "TC" + "3" * 32,
        "task_queue_sid": QUEUE,
        "workflow_sid": FLOW,
        "worker_sid": WORKER,
        "worker_name": "Alice",
        "worker_attributes": "{}",
        "worker_activity_sid": None,
        "worker_activity_name": None,
        "filter_index": 0,
        "target_index": 1,
    }


def _data(event: Event) -> Any:
    return json.loads(event.event_data)


def test_a_reservation_event_reads_back_exactly_what_was_recorded() -> None:
    event = _event(event_data=_json(_payload()))
    assert _read(_stored(event)) == event


def test_the_stored_row_keeps_each_fact_once() -> None:
    event = _event(event_data=_json(_payload()))
    stored = _stored(event)
    # the filter columns' sids are not repeated in the payload or the description, and
    # the resource sid, the workspace as actor and the source are NULL
    for sid in (WS, TASK, RES, WORKER, QUEUE, FLOW):
        assert sid not in stored["event_data"]
        assert sid not in stored["description"]
    assert [stored[name] for name in ("resource_sid", "actor_type", "actor_sid", "source")] == [
        None
    ] * 4
    assert "task_attributes" not in stored["event_data"]  # coded key
    assert len(stored["event_data"]) < len(event.event_data) / 2


def test_a_sid_that_differs_from_its_column_is_stored_as_it_is() -> None:
    payload = _payload() | {"task_queue_sid": None, "workflow_sid": "WW" + "0" * 32}
    event = _event(event_data=_json(payload), actor_type="worker", actor_sid=WORKER)
    stored = _stored(event)
    assert "WW" + "0" * 32 in stored["event_data"]
    assert (stored["actor_type"], stored["actor_sid"]) == ("worker", WORKER)
    assert _read(stored) == event


def test_rows_written_before_the_compact_form_read_back_unchanged() -> None:
    """Old rows: full payload, every column set; a literal `%` was escaped by 0017."""
    event = _event(event_data=json.dumps(_payload()), description="100% done")
    old = {**vars(event), "description": "100%% done"}  # as 0017 left it
    assert _read(old) == event  # the payload text too, spaces and all
    assert _data(_read(old)) == _payload()


def test_a_key_under_both_its_full_name_and_its_code_reads_as_the_full_name() -> None:
    """As the SQL statistics read it (full name first, then the code)."""
    stored = _stored(_event(event_data=_json({"worker_time_in_previous_activity_ms": "5"})))
    patched = {**json.loads(stored["event_data"]), "worker_time_in_previous_activity_ms": "9"}
    stored["event_data"] = json.dumps(patched)
    assert _data(_read(stored)) == {"worker_time_in_previous_activity_ms": "9"}


def test_the_platform_s_own_descriptions_are_stored_as_codes() -> None:
    created = _event(
        event_type="task.created",
        resource_type="task",
        resource_sid=TASK,
        description=f"Task {TASK} created",
        event_data=_json({"task_sid": TASK}),
    )
    reserved = _event(event_data=_json(_payload()))  # "... reserved for Worker Alice"
    for event in (created, reserved):
        stored = _stored(event)
        assert stored["description"].startswith("%#") and len(stored["description"]) <= 4
        assert _read(stored) == event


def test_a_description_its_template_does_not_give_back_is_stored_as_text() -> None:
    """The worker named in the text is not the event's `worker_name`."""
    event = _event(event_data=_json(_payload() | {"worker_name": "Bob"}))
    stored = _stored(event)
    assert stored["description"] == "Task %t reserved for Worker Alice"
    assert _read(stored) == event


@pytest.mark.parametrize(
    ("attributes", "stored_as"),
    [
        (json.dumps({"type": "support", "lang": ["fr", "en"]}), "object"),  # Python's form
        ('{"type":"support","vip":true,"n":1.5}', "object"),  # JavaScript's form
        ('{"name":"Zoë"}', "object"),
        ('{ "type" : "support" }', "text"),  # any other spacing
        ('{"a": 1, "a": 2}', "text"),  # a repeated key
        ('{"n": 1e3}', "text"),
        ('{"nul": "\\u0000"}', "text"),
        ("[1, 2]", "text"),
        ("not json", "text"),
    ],
)
def test_attributes_are_stored_as_objects_only_when_they_read_back_as_the_same_text(
    attributes: str, stored_as: str
) -> None:
    payload = _payload() | {"task_attributes": attributes, "worker_attributes": attributes}
    event = _event(event_data=_json(payload))
    stored = json.loads(_stored(event)["event_data"])
    held = [value for key, value in stored.items() if key in ("A", "AJ", "AK")]
    assert held == [json.loads(attributes) if stored_as == "object" else attributes]
    assert _read(_stored(event)) == event


def test_attributes_seen_before_are_stored_by_the_form_of_their_own_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A task's events repeat its attributes text, so each text's form is worked out
    once; the same text as a task's and as a worker's attributes keeps its own code, and
    every row reads back what was recorded however often the kept forms are dropped."""
    monkeypatch.setattr(compact, "FORMS_KEPT", 3)
    texts = [json.dumps({"n": n, "lang": "fr"}) for n in range(5)]
    for _ in range(2):
        for text in texts:
            payload = _payload() | {"task_attributes": text, "worker_attributes": text}
            event = _event(event_data=_json(payload))
            [row] = EVENTS.rows([event], consecutive=True)
            stored = json.loads(row["event_data"])
            assert stored["AJ"] == stored["WJ"] == json.loads(text)
            assert _read(row) == event
    assert len(compact._FORMS_SEEN) <= 3


def test_coded_columns_cannot_be_compared_or_bulk_updated_in_sql() -> None:
    with pytest.raises(ValueError, match="stored coded"):
        EVENTS.refuse_coded(["event_data"])
    EVENTS.refuse_coded(["event_date", "task_sid", "legacy_sid"])


SIDS = st.sampled_from([WS, TASK, RES, WORKER, QUEUE, FLOW, OTHER, None])
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0, 0.0, False]),  # 0 is the stored "same as the column" mark
    st.text(max_size=12),
    SIDS,
    st.lists(st.integers(0, 2), max_size=2),
    # attributes text in the forms stored as objects, and in others
    st.dictionaries(
        st.text(max_size=3), st.one_of(st.none(), st.integers(), st.text(max_size=3)), max_size=3
    ).flatmap(
        lambda value: st.sampled_from(
            [
                json.dumps(value),
                json.dumps(value, separators=(",", ":"), ensure_ascii=False),
                json.dumps(value, indent=1),
            ]
        )
    ),
)
KEYS = st.sampled_from(
    [*compact.CODES, "unknown_key", *compact.COLUMN_KEYS, "worker_name", "task_queue_name"]
)


@settings(deadline=None)  # a loaded machine must not fail it
@given(
    data=st.dictionaries(KEYS, VALUES, max_size=8),
    description=st.lists(
        st.one_of(
            st.sampled_from([TASK, RES, WORKER, QUEUE, FLOW, WS, "%", "%t", "%%"]),
            st.text(max_size=5),
        ),
        max_size=6,
    ),
    resource=st.sampled_from(
        ["task", "reservation", "worker", "workspace", "task_queue", "workflow", "activity"]
    ),
    resource_sid=SIDS.filter(lambda sid: sid is not None),
    actor=st.sampled_from([("workspace", WS), ("worker", WORKER), ("workspace", OTHER)]),
    columns=st.fixed_dictionaries(
        {
            "task_sid": SIDS,
            "worker_sid": SIDS,
            "reservation_sid": SIDS,
            "task_queue_sid": SIDS,
            "workflow_sid": SIDS,
        }
    ),
    source=st.sampled_from(["switchboard", "api", "sdk"]),
    event_type=st.one_of(  # None: the type whose template it is
        st.none(), st.sampled_from([*compact.DESCRIPTION_CODES, "task.unknown"])
    ),
    template=st.one_of(st.none(), st.sampled_from(sorted(compact.DESCRIPTIONS.values()))),
)
def test_any_event_reads_back_exactly_what_was_recorded(
    data: dict[str, Any],
    description: list[str],
    resource: str,
    resource_sid: str,
    actor: tuple[str, str],
    columns: dict[str, str | None],
    source: str,
    event_type: str | None,
    template: str | None,
) -> None:
    text = "".join(description)
    if event_type is None:
        event_type = next(
            (
                kind
                for kind, codes in compact.DESCRIPTION_CODES.items()
                if template is not None and compact.DESCRIPTIONS[codes[0]] == template
            ),
            "task.unknown",
        )
    if template is not None:  # a standard description, filled from the event (or not)
        text = compact.unpack_description(columns | {"workspace_sid": WS}, template)
        for name in compact.DESCRIPTION_FIELD.findall(template):
            value = data.get(name)
            text = text.replace(f"{{{name}}}", value if isinstance(value, str) else "?")
    event = _event(
        event_data=_json(data),
        description=text,
        event_type=event_type,
        resource_type=resource,
        resource_sid=resource_sid,
        actor_type=actor[0],
        actor_sid=actor[1],
        source=source,
        **columns,
    )
    stored = _stored(event)
    assert _read(stored) == event
    assert _data(_read(stored)) == data


def _created(seq: int, task: str, event_type: str, **data: Any) -> Event:
    """One of the events a task's creation writes, with the task's payload."""
    payload = {
        "workspace_sid": WS,
        "workspace_name": "Support",
        "task_sid": task,
        "task_attributes": json.dumps({"type": "support", "lang": "fr"}),
        "task_age": "0",
        "task_channel_sid": "TC" + "3" * 32,
        "task_queue_sid": None,
        "workflow_sid": FLOW,
        **data,
    }
    return _event(
        seq=seq,
        event_type=event_type,
        resource_type="task",
        resource_sid=task,
        description=f"Task {task} created",
        event_data=_json(payload),
        task_sid=task,
        worker_sid=None,
        reservation_sid=None,
        task_queue_sid=payload["task_queue_sid"],
    )


def _written_together(records: list[Event], consecutive: bool = True) -> list[dict[str, Any]]:
    """The rows the SQL store writes for records inserted in one statement, numbered."""
    rows = EVENTS.rows(records, consecutive)
    return [row | {"seq": record.seq} for row, record in zip(rows, records, strict=True)]


def test_a_task_s_events_written_together_store_its_data_once() -> None:
    created = _created(10, TASK, "task.created")
    entered = _created(11, TASK, "workflow.entered", workflow_name="Main")
    queued = _created(12, TASK, "task-queue.entered", task_queue_sid=QUEUE, task_queue_name="All")
    rows = _written_together([created, entered, queued])
    # the first row whole, the next ones a link back to it with what differs
    assert not rows[0]["event_data"].startswith('{"^"')
    assert json.loads(rows[1]["event_data"])["^"] == 1
    assert json.loads(rows[2]["event_data"])["^"] == 2
    assert "support" not in rows[1]["event_data"] + rows[2]["event_data"]
    # every row keeps what the SQL statistics read (the channel) inline
    assert all('"C"' in row["event_data"] for row in rows)
    bases = {row["seq"]: row for row in rows}
    assert [EVENTS.record(row, bases) for row in rows] == [created, entered, queued]
    # a row read alone: the store reads its base with it (EventCodec.bases)
    assert compact.CODEC.bases([rows[2]]) == {10}


def test_rows_are_linked_only_when_numbered_one_after_the_other() -> None:
    """PostgreSQL numbers rows from a shared sequence: no row may count on its neighbour."""
    records = [_created(10, TASK, "task.created"), _created(11, TASK, "workflow.entered")]
    rows = _written_together(records, consecutive=False)
    assert not any(row["event_data"].startswith('{"^"') for row in rows)
    assert [EVENTS.record(row) for row in rows] == records


def test_events_of_another_task_are_not_linked_together() -> None:
    records = [_created(10, TASK, "task.created"), _created(11, OTHER, "task.created")]
    rows = _written_together(records)
    assert not any(row["event_data"].startswith('{"^"') for row in rows)


def test_a_linked_row_whose_base_was_pruned_reads_what_it_kept() -> None:
    """Retention deletes by `seq`, oldest first: for a moment a link may point nowhere."""
    records = [_created(10, TASK, "task.created"), _created(11, TASK, "workflow.entered")]
    rows = _written_together(records)
    alone = json.loads(_read(rows[1]).event_data)
    assert alone["task_channel_sid"] == "TC" + "3" * 32 and "task_attributes" not in alone


@settings(deadline=None)
@given(
    batch=st.lists(
        st.tuples(
            st.sampled_from([TASK, OTHER, None]),
            st.dictionaries(KEYS, VALUES, max_size=6),
        ),
        min_size=1,
        max_size=6,
    ),
    first=st.integers(1, 10**9),
)
def test_any_events_written_together_read_back_exactly(
    batch: list[tuple[str | None, dict[str, Any]]], first: int
) -> None:
    records = [
        _event(
            seq=first + index,
            task_sid=task,
            resource_type="task",
            resource_sid=task or TASK,
            event_data=_json(data),
        )
        for index, (task, data) in enumerate(batch)
    ]
    rows = _written_together(records)
    bases = {row["seq"]: row for row in rows}
    assert [EVENTS.record(row, bases) for row in rows] == records


def test_a_row_with_its_base_s_fields_in_another_order_is_stored_whole() -> None:
    """Its text must read back exactly: a link rebuilds the base's order."""
    created = _created(10, TASK, "task.created")
    fields = json.loads(created.event_data)
    reordered = {"task_sid": fields.pop("task_sid"), **fields}
    entered = _created(11, TASK, "workflow.entered")
    entered.event_data = _json(reordered)
    rows = _written_together([created, entered])
    assert not rows[1]["event_data"].startswith('{"^"')
    assert [EVENTS.record(row, {10: rows[0]}) for row in rows] == [created, entered]


@settings(deadline=None)
@given(
    base=st.dictionaries(KEYS, VALUES, min_size=1, max_size=8),
    changes=st.lists(
        st.tuples(st.dictionaries(KEYS, VALUES, max_size=3), st.lists(KEYS, max_size=2)),
        min_size=1,
        max_size=4,
    ),
)
def test_a_task_s_events_that_change_a_few_fields_read_back_exactly(
    base: dict[str, Any], changes: list[tuple[dict[str, Any], list[str]]]
) -> None:
    """Mostly linked: each next event is the first's data, a few fields changed, added
    (at the end, or in place) or dropped."""
    datas = [base]
    for changed, dropped in changes:
        data = {key: value for key, value in base.items() if key not in dropped}
        datas.append(data | changed)
    records = [
        _event(seq=100 + index, task_sid=TASK, resource_type="task", event_data=_json(data))
        for index, data in enumerate(datas)
    ]
    rows = _written_together(records)
    bases = {row["seq"]: row for row in rows}
    assert [EVENTS.record(row, bases) for row in rows] == records
