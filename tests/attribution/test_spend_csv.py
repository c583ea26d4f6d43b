"""Spend CSV imports: whatever the sender posts, a malformed file is a 400 naming the
problem, never a 500 (found by the API fuzzer: a carriage return inside a field)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.attribution.services.outcomes import spend_csv
from switchboard.kernel.errors import InvalidParameter

HEADER = "day,campaign,amount,currency\n"


def test_a_well_formed_file_gives_its_rows_whatever_the_line_endings() -> None:
    for ending in ("\n", "\r\n", "\r"):
        text = HEADER.replace("\n", ending) + f"2026-11-30,spring,12.50,EUR{ending}"
        [row] = spend_csv(text)
        assert (row.campaign, row.currency, row.amount_micros) == ("spring", "EUR", 12_500_000)


@pytest.mark.parametrize(
    "text",
    [
        HEADER + '2026-11-30,"spring,12.50,EUR\n',  # an unclosed quote
        HEADER + "2026-11-30,spr\ring,12.50,EUR\n",  # a carriage return inside a field
        HEADER + "2026-11-30," + "x" * 200_000 + ",12.50,EUR\n",  # past csv's field limit
    ],
)
def test_malformed_csv_is_the_senders_error(text: str) -> None:
    with pytest.raises(InvalidParameter):
        spend_csv(text)


@given(st.text(max_size=300))
def test_any_text_is_rows_or_a_400(text: str) -> None:
    with contextlib.suppress(InvalidParameter):
        spend_csv(HEADER + text)
