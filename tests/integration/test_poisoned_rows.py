"""No single row can stop a workspace's routing (issue 12, item 1).

The input layer keeps such rows out, so these scenarios write them behind the
services' back, as an older version, a migration or a hand edit could: a worker
whose attributes nest 700 deep (the RecursionError of the issue), a task whose
attributes are not JSON, a queue whose expression no longer compiles, a workflow
whose configuration no longer parses. Every other task must still be routed, and
no routing pass may fail.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from switchboard.distribution.domain.expressions import compile_expression
from switchboard.distribution.domain.records import Task, TaskQueue, Worker, Workflow
from switchboard.kernel.criteria import eq
from tests.integration.conftest import Center

pytestmark = pytest.mark.raw_store


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


async def poison(center: Center, kind: type[Any], sid: str, **values: Any) -> None:
    """Write fields straight to the store, skipping every input check."""
    async with center.svc.store.transaction(lock=center.workspace_sid) as unit:
        await unit.update_where(kind, values, eq("sid", sid))


async def routing(center: Center) -> tuple[str, str, str]:
    """Queues `sales` (workers with a == b) and `support` (anybody); a workflow that
    sends `type == 'sales'` to sales and everything else to support."""
    sales = await center.queue("sales", "a == b")
    support = await center.queue("support", "1==1")
    workflow = await center.workflow(
        {
            "task_routing": {
                "filters": [
                    {"expression": "type == 'sales'", "targets": [{"queue": sales}]},
                ],
                "default_filter": {"queue": support},
            }
        }
    )
    return sales, support, workflow


async def reserved_worker(center: Center, task_sid: str) -> str | None:
    found = await center.reservations(task_sid=task_sid)
    return found[0].worker_sid if found else None


def failed_passes(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "routing pass failed" in r.getMessage()]


async def test_a_worker_with_deeply_nested_attributes_stops_nothing(
    center: Center, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    _sales, _support, workflow = await routing(center)
    bad = await center.worker("bad")
    deep = json.dumps({"a": nested(700), "b": nested(700)}, separators=(",", ":"))
    await poison(center, Worker, bad, attributes=deep)
    good = await center.worker("good", a=1, b=1)
    await center.worker("spare")
    await center.settle()
    sale = await center.task(workflow, type="sales")
    help_ = await center.task(workflow, type="support")
    await center.settle()
    assert await reserved_worker(center, sale) == good
    assert await reserved_worker(center, help_) is not None
    assert failed_passes(caplog) == []


async def test_a_broken_queue_expression_task_and_workflow_stop_only_themselves(
    center: Center, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    sales, _support, workflow = await routing(center)
    broken_flow = await center.workflow({"task_routing": {"default_filter": {"queue": sales}}})
    stuck = await center.task(broken_flow, type="other")
    garbled = await center.task(workflow, type="support")
    await center.settle()
    await poison(center, TaskQueue, sales, target_workers="a == (")
    await poison(center, Workflow, broken_flow, configuration='{"task_routing": ')
    await poison(center, Task, garbled, attributes="{not json")
    await center.worker("w1", a=1, b=1)
    await center.worker("w2")
    await center.settle()
    fine = await center.task(workflow, type="support")
    await center.settle()
    assert await reserved_worker(center, fine) is not None
    assert await reserved_worker(center, garbled) is not None  # it reads as {}: support
    assert await reserved_worker(center, stuck) is None  # its queue matches nobody now
    assert failed_passes(caplog) == []


def test_an_evaluation_that_cannot_finish_is_false_for_that_pair_only() -> None:
    """Deeper than the interpreter can compare: that pair does not match, nothing raises."""
    expression = compile_expression("a == b")
    deep = {"a": nested(50_000), "b": nested(50_000)}
    assert expression.evaluate(deep) is False
    assert expression.evaluate({"a": [1], "b": [1]}) is True
