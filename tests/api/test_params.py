"""Parameter parsing: Twilio's booleans, lists, dates and JSON documents."""

from __future__ import annotations

import pytest

from switchboard.kernel.errors import InvalidParameter
from switchboard.wire.params import Params


def params(*items: tuple[str, str]) -> Params:
    return Params(items)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("TRUE", True), ("1", True), ("Yes", True),
     ("false", False), ("0", False), ("NO", False)],
)  # fmt: skip
def test_booleans(value: str, expected: bool) -> None:
    assert params(("Available", value)).boolean("Available") is expected


def test_a_bad_boolean_is_rejected() -> None:
    with pytest.raises(InvalidParameter, match="Invalid Available"):
        params(("Available", "maybe")).boolean("Available")


def test_absent_and_empty_values_are_none() -> None:
    p = params(("Priority", ""))
    assert p.integer("Priority") is None
    assert p.boolean("Missing") is None
    assert p.string("Priority") == ""


def test_lists_accept_repeated_keys_and_commas() -> None:
    p = params(("S", "pending"), ("S", "reserved, assigned"), ("S", ""))
    assert p.strings("S") == ["pending", "reserved", "assigned"]
    assert p.values("S") == ["pending", "reserved, assigned", ""]


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("2024-01-02T03:04:05Z", 1704164645000),
        ("2024-01-02T03:04:05.250Z", 1704164645250),
        ("2024-01-02T05:04:05+02:00", 1704164645000),
    ],
)
def test_datetimes(text: str, ms: int) -> None:
    assert params(("StartDate", text)).datetime_ms("StartDate") == ms


def test_json_text_is_returned_verbatim() -> None:
    text = '{ "a" : [1, 2] }'
    assert params(("Attributes", text)).json_text("Attributes") == text
    with pytest.raises(InvalidParameter, match="must be a JSON object"):
        params(("Attributes", '"text"')).json_text("Attributes")
    with pytest.raises(InvalidParameter, match="at most 5 characters"):
        params(("Attributes", "{}    ")).json_text("Attributes", max_length=5)


def test_sids_and_enums() -> None:
    p = params(("WorkerSid", "WK" + "a" * 32), ("Order", "FIFO"))
    assert p.sid("WorkerSid", "WK") == "WK" + "a" * 32
    with pytest.raises(InvalidParameter, match="not a valid WA sid"):
        p.sid("WorkerSid", "WA")
    assert p.enum("Order", ("FIFO", "LIFO")) == "FIFO"
    with pytest.raises(InvalidParameter, match="FIFO, LIFO"):
        params(("Order", "fifo")).enum("Order", ("FIFO", "LIFO"))


def test_required_strings() -> None:
    with pytest.raises(InvalidParameter, match="Missing required parameter FriendlyName"):
        params().string("FriendlyName", required=True)
    assert params(("FriendlyName", "x")).string("FriendlyName", required=True) == "x"
