"""The input layer's readers (issue 12): strict JSON with bounded nesting, checked text."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.kernel import limits

# storable text: no NUL, no lone surrogate (those are refused on purpose)
keys = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=3)
documents = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(limits.INT64_MIN, limits.INT64_MAX)
    | st.text(alphabet='ab[]{}"\\ ', max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner),
    max_leaves=20,
)


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 0


@given(documents)
def test_json_depth_is_the_nesting_of_the_document(value: Any) -> None:
    assert limits.json_depth(json.dumps(value)) == depth(value)


@given(documents)
def test_strict_loads_reads_every_bounded_document_as_json_does(value: Any) -> None:
    text = json.dumps(value)
    if depth(value) <= limits.MAX_JSON_DEPTH:
        assert limits.loads(text) == json.loads(text)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"a": NaN}', "NaN"),
        ("[Infinity]", "Infinity"),
        ("-Infinity", "-Infinity"),
        ("[1e999]", "too large"),
        ("[" + "9" * 20 + "]", "digits"),
        ("[" * 33 + "]" * 33, "nested more than 32"),
        ("[" * 100_000, "nested more than"),
        ('["\\ud800"]', "surrogate"),
        ('{"\\u0000": 1}', "NUL"),
        ("{'a': 1}", "not valid JSON"),
    ],
)
def test_strict_loads_refuses_what_is_not_portable_json(text: str, fragment: str) -> None:
    with pytest.raises(limits.InputError, match=fragment):
        limits.loads(text)


@pytest.mark.parametrize(
    "text",
    [None, "", "not json", "[1]", "[" * 2000 + "]" * 2000, '{"a": ' + "[" * 900 + "]" * 900 + "}"],
)
def test_stored_rows_that_are_not_bounded_objects_read_as_empty(text: str | None) -> None:
    assert limits.stored_object(text) == {}


@pytest.mark.parametrize(
    "url", ["http://", "http://a b/", "https://h:99999/", "mailto:x@y", "http://h/\x00", "//h/"]
)
def test_urls_must_parse_and_name_a_host(url: str) -> None:
    with pytest.raises(limits.InputError):
        limits.check_url(url)
    assert limits.check_url("https://example.com:8443/cb?x=1") == "https://example.com:8443/cb?x=1"
