"""Which status a task or a reservation may move to: the lifecycle as data.

TaskRouter's lifecycle: a task is ``pending`` until reserved, ``reserved`` while
offers wait for an answer, ``assigned`` once one is accepted, then ``wrapping``
and ``completed``; it can be ``canceled`` before assignment. A reservation is
``pending`` until accepted, rejected, timed out, canceled (its task went away)
or rescinded (another worker accepted); an accepted one wraps up and completes.

Every state change in the engine goes through :func:`next_task_status` or
:func:`next_reservation_status`; the property tests walk random action
sequences through these tables and the guards below.
"""

from __future__ import annotations

from collections.abc import Mapping

from switchboard.kernel.errors import InvalidTransition

TASK_STATUSES = ("pending", "reserved", "assigned", "wrapping", "completed", "canceled")
RESERVATION_STATUSES = (
    "pending",
    "accepted",
    "rejected",
    "timeout",
    "canceled",
    "rescinded",
    "wrapping",
    "completed",
)

# (status, action) -> status
TASK_TRANSITIONS: Mapping[tuple[str, str], str] = {
    ("pending", "reserve"): "reserved",
    ("reserved", "reserve"): "reserved",  # another offer (max_reserved_workers > 1)
    ("reserved", "release"): "pending",  # the last open offer ended unanswered
    ("reserved", "accept"): "assigned",
    ("pending", "cancel"): "canceled",
    ("reserved", "cancel"): "canceled",
    ("assigned", "wrap_up"): "wrapping",
    ("assigned", "complete"): "completed",
    ("wrapping", "complete"): "completed",
    ("assigned", "return"): "pending",  # a Switchboard extension: the worker hands it back
}

RESERVATION_TRANSITIONS: Mapping[tuple[str, str], str] = {
    ("pending", "accept"): "accepted",
    ("pending", "reject"): "rejected",
    ("pending", "time_out"): "timeout",
    ("pending", "cancel"): "canceled",
    ("pending", "rescind"): "rescinded",
    ("accepted", "wrap_up"): "wrapping",
    ("accepted", "complete"): "completed",
    ("wrapping", "complete"): "completed",
    ("accepted", "return"): "canceled",
}

# what the error message says a task must be for each action
_TASK_NEEDS = {
    "reserve": "a pending or reserved task can be reserved",
    "release": "a reserved task can go back to pending",
    "accept": "a reserved task can be accepted",
    "cancel": "a pending or reserved task can be canceled",
    "wrap_up": "an assigned task can wrap up",
    "complete": "an assigned or wrapping task can be completed",
    "return": "an assigned task can be returned",
}
FINAL_TASK_STATUSES = frozenset({"completed", "canceled"})
FINAL_RESERVATION_STATUSES = frozenset(
    {"rejected", "timeout", "canceled", "rescinded", "completed"}
)
# reservations in these states hold a slot of the worker's channel
LIVE_RESERVATION_STATUSES = ("pending", "accepted", "wrapping")


def allowed_from(table: Mapping[tuple[str, str], str], action: str) -> tuple[str, ...]:
    """The statuses `action` applies to, in lifecycle order."""
    return tuple(status for status, name in table if name == action)


def next_task_status(sid: str, status: str, action: str) -> str:
    """The status after `action`, or InvalidTransition saying what the task must be."""
    following = TASK_TRANSITIONS.get((status, action))
    if following is None:
        raise InvalidTransition(f"Task {sid} is {status}; only {_TASK_NEEDS[action]}")
    return following


def next_reservation_status(sid: str, status: str, action: str) -> str:
    """The status after `action`, or InvalidTransition naming the statuses it needs."""
    following = RESERVATION_TRANSITIONS.get((status, action))
    if following is None:
        needed = " or ".join(allowed_from(RESERVATION_TRANSITIONS, action))
        raise InvalidTransition(
            f"Reservation {sid} is {status}; this change needs it to be {needed}"
        )
    return following


def can(table: Mapping[tuple[str, str], str], status: str, action: str) -> bool:
    return (status, action) in table
