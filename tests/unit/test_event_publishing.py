"""An event is published after commit exactly as its stored JSON text reads back: the
bus gets the same `event_data` whether it was parsed from the text or copied from a
flat payload (issue 10: no second parse of what was just written)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from switchboard.distribution.domain.records import Workspace
from switchboard.distribution.journal.events import Subject, event_dict, record
from switchboard.kernel.clock import FakeClock

WS = Workspace(sid="WS" + "a" * 32, account_sid="AC" + "b" * 32, friendly_name="Support",
               date_created=0, date_updated=0)  # fmt: skip


@dataclass
class Bus:
    published: list[dict[str, Any]] = field(default_factory=list)

    def publish(self, event: dict[str, Any]) -> None:
        self.published.append(event)


@dataclass
class Recorder:
    bus: Bus = field(default_factory=Bus)
    clock: FakeClock = field(default_factory=lambda: FakeClock(tick_ms=1))


@dataclass
class Unit:
    added: list[Any] = field(default_factory=list)
    hooks: list[Callable[[], None]] = field(default_factory=list)

    def add(self, record: Any) -> None:
        self.added.append(record)

    def after_commit(self, hook: Callable[[], None]) -> None:
        self.hooks.append(hook)

    def commit(self) -> None:
        for number, added in enumerate(self.added, 1):
            added.seq = number  # the store numbers events as it inserts them
        for hook in self.hooks:
            hook()


def _published(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what the bus got, what parsing the stored row gives)."""
    unit, recorder = Unit(), Recorder()
    row = record(unit, recorder, WS, "task.updated", Subject("task", "WT1"), "d", data)  # type: ignore[arg-type]
    unit.commit()
    [published] = recorder.bus.published
    return published, event_dict(row)


def test_a_flat_payload_is_published_as_its_text_reads_back() -> None:
    data = {"task_sid": "WT1", "task_attributes": '{"a": 1}', "task_age": "3", "n": 1.5,
            "flag": True, "none": None}  # fmt: skip
    published, parsed = _published(data)
    assert published == parsed
    assert json.dumps(published) == json.dumps(parsed)  # the same types, the same order


def test_a_nested_payload_is_published_as_its_text_reads_back() -> None:
    data = {"task_sid": "WT1", "path": ("a", "b"), "nested": {"k": [1, 2]}, "count": 2}
    published, parsed = _published(data)
    assert published == parsed
    assert published["event_data"]["path"] == ["a", "b"]  # a tuple reads back as a list


def test_the_published_data_is_not_the_caller_s_object() -> None:
    data = {"task_sid": "WT1", "task_age": "3"}
    published, _parsed = _published(data)
    data["task_age"] = "changed"
    assert published["event_data"]["task_age"] == "3"
