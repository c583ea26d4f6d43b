"""The lifecycle tables: which status may follow which, for tasks and reservations."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.distribution.domain import lifecycle as lc
from switchboard.kernel.errors import InvalidTransition

TASK_ACTIONS = sorted({action for _status, action in lc.TASK_TRANSITIONS})
RESERVATION_ACTIONS = sorted({action for _status, action in lc.RESERVATION_TRANSITIONS})


def test_every_transition_goes_between_known_statuses() -> None:
    for (status, _action), following in lc.TASK_TRANSITIONS.items():
        assert {status, following} <= set(lc.TASK_STATUSES)
    for (status, _action), following in lc.RESERVATION_TRANSITIONS.items():
        assert {status, following} <= set(lc.RESERVATION_STATUSES)


def test_final_statuses_are_final() -> None:
    assert not [key for key in lc.TASK_TRANSITIONS if key[0] in lc.FINAL_TASK_STATUSES]
    assert not [
        key for key in lc.RESERVATION_TRANSITIONS if key[0] in lc.FINAL_RESERVATION_STATUSES
    ]


def test_only_an_accepted_offer_assigns_a_task() -> None:
    into_assigned = [key for key, status in lc.TASK_TRANSITIONS.items() if status == "assigned"]
    assert into_assigned == [("reserved", "accept")]
    into_accepted = [
        key for key, status in lc.RESERVATION_TRANSITIONS.items() if status == "accepted"
    ]
    assert into_accepted == [("pending", "accept")]


@pytest.mark.parametrize("status", lc.TASK_STATUSES)
@pytest.mark.parametrize("action", TASK_ACTIONS)
def test_a_refused_task_change_says_what_the_task_is(status: str, action: str) -> None:
    if (status, action) in lc.TASK_TRANSITIONS:
        assert lc.next_task_status("WT1", status, action) in lc.TASK_STATUSES
        return
    with pytest.raises(InvalidTransition, match=f"Task WT1 is {status}; only "):
        lc.next_task_status("WT1", status, action)


@pytest.mark.parametrize("status", lc.RESERVATION_STATUSES)
@pytest.mark.parametrize("action", RESERVATION_ACTIONS)
def test_a_refused_reservation_change_names_the_statuses_it_needs(status: str, action: str) -> None:
    if (status, action) in lc.RESERVATION_TRANSITIONS:
        assert lc.next_reservation_status("WR1", status, action) in lc.RESERVATION_STATUSES
        return
    needed = " or ".join(lc.allowed_from(lc.RESERVATION_TRANSITIONS, action))
    with pytest.raises(
        InvalidTransition, match=f"is {status}; this change needs it to be {needed}"
    ):
        lc.next_reservation_status("WR1", status, action)


@given(st.lists(st.sampled_from(TASK_ACTIONS), max_size=30))
def test_no_sequence_of_task_actions_leaves_the_lifecycle(actions: list[str]) -> None:
    status, assigned, returned = "pending", 0, 0
    for action in actions:
        try:
            before, status = status, lc.next_task_status("WT1", status, action)
        except InvalidTransition:
            continue
        assigned += status == "assigned"
        returned += before == "assigned" and status == "pending"
        assert before not in ("canceled", "completed")  # final statuses stay final
    assert status in lc.TASK_STATUSES
    # the only way back from assigned is a worker returning the task (an extension)
    assert assigned <= 1 + returned
