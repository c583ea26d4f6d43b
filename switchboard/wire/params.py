"""Request parameters: Twilio's PascalCase keys from a form, a JSON object or the query string.

Every getter returns None when the key is absent (or sent empty) and raises
:class:`InvalidParameter` with a Twilio-like message when the value is malformed,
so routes validate everything before a service runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any, Literal, TypeVar, overload
from urllib.parse import parse_qsl

from fastapi import Request

from switchboard.kernel import limits, sids
from switchboard.kernel.clock import from_datetime
from switchboard.kernel.errors import InvalidParameter

_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})
V = TypeVar("V")
R = TypeVar("R")


class Params:
    """A multi-valued mapping of parameter name to the values sent, in order."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        """Every name and value is checked once here: valid UTF-8 text without NUL."""
        self._values: dict[str, list[str]] = {}
        for key, value in items:
            _checked(key, "A parameter name")
            self._values.setdefault(key, []).append(_checked(value, key))

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def items(self) -> list[tuple[str, str]]:
        """Every (name, value) pair, repeated keys included (for rebuilding URLs)."""
        return [(key, value) for key, values in self._values.items() for value in values]

    def values(self, name: str) -> list[str]:
        """Every value sent for `name`, as sent."""
        return list(self._values.get(name, ()))

    def raw(self, name: str) -> str | None:
        """The last value sent for `name`, or None when absent or empty."""
        values = self._values.get(name)
        if not values or values[-1] == "":
            return None
        return values[-1]

    @overload
    def string(
        self, name: str, *, required: Literal[True], max_length: int | None = None
    ) -> str: ...

    @overload
    def string(
        self, name: str, *, required: bool = False, max_length: int | None = None
    ) -> str | None: ...

    def string(
        self, name: str, *, required: bool = False, max_length: int | None = None
    ) -> str | None:
        """A string as sent; an empty value is kept (it clears optional URLs)."""
        values = self._values.get(name)
        value = values[-1] if values else None
        if required and not value:
            raise InvalidParameter(f"Missing required parameter {name} in the post body")
        if value is not None and max_length is not None and len(value) > max_length:
            raise InvalidParameter(f"Invalid {name}: must be at most {max_length} characters")
        return value

    def url(self, name: str) -> str | None:
        """An absolute http(s) URL with a host; an empty value is kept (it clears the setting)."""
        value = self.string(name)
        if value:
            _limited(limits.check_url, value, name)
        return value

    def boolean(self, name: str) -> bool | None:
        value = self.raw(name)
        if value is None:
            return None
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise InvalidParameter(f"Invalid {name}: {value!r} is not a boolean (use true or false)")

    def integer(
        self, name: str, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        """An integer in range; never outside the databases' 64-bit range."""
        value = self.raw(name)
        if value is None:
            return None
        if not _INTEGER.match(value):
            raise InvalidParameter(f"Invalid {name}: {value[:40]!r} is not an integer")
        low = limits.INT64_MIN if minimum is None else minimum
        high = limits.INT64_MAX if maximum is None else maximum
        # too many digits is out of range, and int() would refuse past 4,300 digits anyway
        digits = value.lstrip("+-").lstrip("0")
        if len(digits) > limits.MAX_INTEGER_DIGITS or not low <= int(value) <= high:
            raise InvalidParameter(f"Invalid {name}: must be {_range(low, high)}")
        return int(value)

    def sid(self, name: str, prefix: str) -> str | None:
        value = self.raw(name)
        if value is not None and not sids.is_sid(value, prefix):
            raise InvalidParameter(f"Invalid {name}: {value!r} is not a valid {prefix} sid")
        return value

    def json_text(self, name: str, max_length: int | None = None) -> str | None:
        """Strict JSON text that must be an object; returned exactly as sent (Twilio echoes it)."""
        value = self.string(name, max_length=max_length)
        if value is None:
            return None
        document: Any = _limited(limits.loads, value, name)
        if not isinstance(document, dict):
            raise InvalidParameter(f"Invalid {name}: must be a JSON object")
        return value

    def datetime_ms(self, name: str) -> int | None:
        """ISO 8601 (`2024-01-02T03:04:05Z`, with fraction or offset too) as epoch ms."""
        value = self.raw(name)
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidParameter(
                f"Invalid {name}: {value[:40]!r} is not an ISO 8601 date-time"
                " (YYYY-MM-DDTHH:MM:SSZ)"
            ) from None
        return from_datetime(_limited(limits.check_datetime, moment, name))

    def strings(self, name: str) -> list[str]:
        """Repeated keys and comma-separated values alike: `A=x&A=y` or `A=x,y`."""
        found: list[str] = []
        for value in self._values.get(name, ()):
            found.extend(part.strip() for part in value.split(",") if part.strip())
        return found

    def enum(self, name: str, allowed: Iterable[str]) -> str | None:
        value = self.raw(name)
        if value is not None:
            _check_choice(name, value, tuple(allowed))
        return value

    def enums(self, name: str, allowed: Iterable[str]) -> list[str]:
        """Several enum values (repeated or comma-separated), each checked."""
        choices = tuple(allowed)
        values = self.strings(name)
        for value in values:
            _check_choice(name, value, choices)
        return values


def _checked(value: str, name: str) -> str:
    return _limited(limits.check_text, value, name[:40])


def _limited(check: Callable[[V], R], value: V, name: str) -> R:
    """Run one of the kernel's input checks; its refusal becomes a 400 naming the input."""
    try:
        return check(value)
    except limits.InputError as exc:
        raise InvalidParameter(f"Invalid {name}: {exc.detail}") from None


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidParameter(f"Invalid {name}: {value!r} is not one of {', '.join(allowed)}")


def _range(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"between {minimum} and {maximum}"
    return f"at least {minimum}" if minimum is not None else f"at most {maximum}"


async def read_params(request: Request) -> Params:
    """FastAPI dependency: query string first, then the body's parameters.

    Everything goes through :class:`Params`, so every route sees checked text."""
    items = list(request.query_params.multi_items())
    body = await request.body()
    if len(body) > limits.MAX_BODY_BYTES:
        raise InvalidParameter(
            f"The request body is larger than {limits.MAX_BODY_BYTES} bytes", status=413
        )
    if body.strip():
        items.extend(await _body_items(request, body))
    return Params(items)


async def _body_items(request: Request, body: bytes) -> list[tuple[str, str]]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        return _json_items(body)
    if content_type == "multipart/form-data":
        _check_multipart(request.headers.get("content-type", ""), body)
        form = await request.form()
        return [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
    if content_type in ("application/x-www-form-urlencoded", ""):
        return _form_items(body)
    raise InvalidParameter(f"Unsupported Content-Type {content_type!r}: send form data or JSON")


def _check_multipart(content_type: str, body: bytes) -> None:
    """A multipart body must name its boundary, open with it and close with it: a
    truncated upload is refused rather than read as an empty form."""
    boundary = _boundary(content_type)
    if boundary is None:
        raise InvalidParameter("The multipart/form-data Content-Type has no boundary")
    delimiter = b"--" + boundary.encode("latin-1", "replace")
    if not body.lstrip(b"\r\n").startswith(delimiter) or not body.rstrip(b"\r\n").endswith(
        delimiter + b"--"
    ):
        raise InvalidParameter("The multipart/form-data body is truncated or malformed")


def _boundary(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "boundary" and value.strip().strip('"'):
            return value.strip().strip('"')
    return None


def _form_items(body: bytes) -> list[tuple[str, str]]:
    """Strictly `name=value` pairs joined by `&`, percent-escapes decoding to UTF-8."""
    try:
        fields = [field for field in body.decode("utf-8").strip().split("&") if field]
        if any("=" not in field for field in fields):
            raise ValueError("a field without '='")
        return parse_qsl("&".join(fields), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise InvalidParameter("The request body is not valid UTF-8") from None
    except ValueError:
        raise InvalidParameter(
            "The request body is not valid form data (name=value pairs joined by &)"
        ) from None


def _json_items(body: bytes) -> list[tuple[str, str]]:
    """A JSON object body: scalars become their form spelling, objects their JSON text."""
    try:
        document: Any = limits.loads(body)
    except limits.InputError as exc:
        raise InvalidParameter(f"The request body {exc}") from None
    if not isinstance(document, dict):
        raise InvalidParameter("The request body must be a JSON object")
    items: list[tuple[str, str]] = []
    for key, value in document.items():
        values = value if isinstance(value, list) else [value]
        items.extend((key, _form_value(item)) for item in values if item is not None)
    return items


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)
