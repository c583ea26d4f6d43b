"""Every input limit, named once, and the strict readers that enforce them.

Hostile or careless input must end as a 400 with a clear message, never as a 500
or as a stored row that later stops a workspace's routing. So everything read
from the outside world (HTTP parameters and bodies, websocket messages, stored
JSON documents) goes through the checks here: bounded nesting before anything
recursive sees the value, integers inside the databases' 64-bit range, text that
is valid UTF-8 without NUL, dates that stay within year 1-9999 after their
offset, URLs that parse and name a host, and JSON as RFC 8259 defines it
(``NaN`` and ``Infinity`` are not JSON: callbacks would send them as invalid JSON).

The values are listed in ``docs/reference/input-limits.md``; a test keeps the two
in step. Pure standard library: the kernel does no I/O.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

# JSON documents (attributes, configuration, request bodies, websocket messages)
MAX_JSON_DEPTH = 32
# decimal digits an integer may have (int64 has 19; a sign comes on top)
MAX_INTEGER_DIGITS = 19
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# date-times, after their UTC offset is applied
MIN_YEAR = 1
MAX_YEAR = 9999
# callback and document URLs
MAX_URL_LENGTH = 2048
URL_SCHEMES = ("http", "https")
# a whole request body (the largest document, a workflow configuration, is 1 MB)
MAX_BODY_BYTES = 2 * 1024 * 1024

_BAD_CHARACTERS = "\x00"
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class InputError(ValueError):
    """Input that breaks one of the limits. The message is a predicate ("is nested more
    than 32 levels deep") for the caller to put after the input's name."""

    @property
    def detail(self) -> str:
        """The message for Twilio's `Invalid <Name>: <detail>` form."""
        return str(self).removeprefix("is ")


def check_text(value: str) -> str:
    """Valid UTF-8 (no lone surrogate) without NUL, which PostgreSQL cannot store."""
    if _BAD_CHARACTERS in value:
        raise InputError("must not contain a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError("is not valid UTF-8 (it holds a lone surrogate)") from None
    return value


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in JSON text, without recursing: strings are
    cut out and only the brackets left are walked (regular expressions run in C, so a
    1 MB document takes milliseconds)."""
    if "[" not in text and "{" not in text:
        return 0
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _refuse_constant(name: str) -> Any:
    raise InputError(f"is not valid JSON: {name} is not a JSON value (send null or a number)")


def _checked_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise InputError(f"is not valid JSON: {text[:40]} is too large to be a finite number")
    return value


def _checked_int(text: str) -> int:
    digits = text.lstrip("-")
    if len(digits) > MAX_INTEGER_DIGITS:
        raise InputError(f"is not valid JSON: an integer has more than {MAX_INTEGER_DIGITS} digits")
    return int(text)


def loads(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Strict JSON: RFC 8259 only, nesting and integers bounded, every string checked.

    Raises :class:`InputError` (a ValueError) with a message fit for a 400."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("is not valid UTF-8") from None
    if json_depth(text) > max_depth:
        raise InputError(f"is nested more than {max_depth} levels deep")
    try:
        value = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_checked_float,
            parse_int=_checked_int,
        )
    except InputError:
        raise
    except json.JSONDecodeError as exc:
        raise InputError(
            f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise InputError(f"is not valid JSON: {exc}") from None
    _check_strings(value)
    return value


def _check_strings(value: Any) -> None:
    """Every key and string value is storable text (iterative: depth is bounded anyway)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            check_text(item)
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())


def check_integer(value: int) -> int:
    """Within the 64-bit range every database stores."""
    if not INT64_MIN <= value <= INT64_MAX:
        raise InputError(f"must be between {INT64_MIN} and {INT64_MAX}")
    return value


def check_datetime(value: datetime) -> datetime:
    """Aware (naive is UTC) and, once in UTC, within year 1-9999."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        moment = value.astimezone(UTC)
    except OverflowError:
        moment = None
    if moment is None or not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise InputError(f"must fall between years {MIN_YEAR} and {MAX_YEAR} in UTC")
    try:
        moment.timestamp()
    except (OverflowError, ValueError, OSError):
        raise InputError("is out of range") from None
    return moment


def check_url(value: str) -> str:
    """An absolute http(s) URL with a host, no whitespace or control characters."""
    if len(value) > MAX_URL_LENGTH:
        raise InputError(f"must be at most {MAX_URL_LENGTH} characters")
    if any(char.isspace() or ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        raise InputError(f"{value[:80]!r} is not a URL (it holds whitespace)")
    try:
        parts = urlsplit(value)
        _port = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        raise InputError(f"{value[:80]!r} is not a valid URL") from None
    if parts.scheme.lower() not in URL_SCHEMES:
        raise InputError(f"{value[:80]!r} is not an http or https URL")
    if not parts.hostname:
        raise InputError(f"{value[:80]!r} has no host")
    return value


def stored_object(text: str | None) -> dict[str, Any]:
    """A JSON object read back from the store, or `{}` for one that is not.

    Input checks keep bad documents out, but a row written by an older version or
    by hand must not stop the routing of a whole workspace: it reads as empty.
    Cheap on the hot path: the nesting scan runs only when there are many brackets."""
    if not text:
        return {}
    brackets = text.count("[") + text.count("{")
    if brackets > MAX_JSON_DEPTH and json_depth(text) > MAX_JSON_DEPTH:
        return {}
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}
