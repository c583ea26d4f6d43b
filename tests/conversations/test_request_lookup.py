"""An accepted reservation looks up a conversation request only for a task that may be
one's: a request's task carries a `conversations` attribute."""

from __future__ import annotations

import json

from switchboard.conversations.services.routing import may_be_a_requests_task


def test_a_task_whose_attributes_lack_the_key_is_not_looked_up() -> None:
    plain = {"task_attributes": json.dumps({"type": "support", "conversation": "x"})}
    assert not may_be_a_requests_task(plain)


def test_a_requests_task_is_looked_up_however_its_attributes_are_written() -> None:
    attributes = {"channel": "chat", "conversations": {"request_sid": "CQ1"}}
    for text in (
        json.dumps(attributes),  # Python's separators
        json.dumps(attributes, separators=(",", ":")),  # a JavaScript client's
        json.dumps(attributes, ensure_ascii=True).replace("conversations", "conversati\\u006fns"),
    ):
        assert json.loads(text)["conversations"] == {"request_sid": "CQ1"}
        assert may_be_a_requests_task({"task_attributes": text}), text


def test_an_event_without_the_tasks_attributes_is_looked_up() -> None:
    assert may_be_a_requests_task({})
    assert may_be_a_requests_task({"task_attributes": None})
