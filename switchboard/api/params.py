"""Request parameters: Twilio's PascalCase keys from a form, a JSON object or the query string.

Every getter returns None when the key is absent (or sent empty) and raises
:class:`InvalidParameter` with a Twilio-like message when the value is malformed,
so routes validate everything before a service runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, Literal, overload
from urllib.parse import parse_qsl

from fastapi import Request

from switchboard.domain import sids
from switchboard.domain.clock import from_datetime
from switchboard.domain.errors import InvalidParameter

_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


class Params:
    """A multi-valued mapping of parameter name to the values sent, in order."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._values: dict[str, list[str]] = {}
        for key, value in items:
            self._values.setdefault(key, []).append(value)

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
        """An absolute http(s) URL; an empty value is kept (it clears the setting)."""
        value = self.string(name, max_length=2048)
        if value and not value.lower().startswith(("http://", "https://")):
            raise InvalidParameter(f"Invalid {name}: {value!r} is not an http or https URL")
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
        value = self.raw(name)
        if value is None:
            return None
        if not _INTEGER.match(value):
            raise InvalidParameter(f"Invalid {name}: {value!r} is not an integer")
        number = int(value)
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            raise InvalidParameter(f"Invalid {name}: must be {_range(minimum, maximum)}")
        return number

    def sid(self, name: str, prefix: str) -> str | None:
        value = self.raw(name)
        if value is not None and not sids.is_sid(value, prefix):
            raise InvalidParameter(f"Invalid {name}: {value!r} is not a valid {prefix} sid")
        return value

    def json_text(self, name: str, max_length: int | None = None) -> str | None:
        """JSON text that must be an object; returned exactly as sent (Twilio echoes it)."""
        value = self.string(name, max_length=max_length)
        if value is None:
            return None
        try:
            document: Any = json.loads(value)
        except ValueError:
            raise InvalidParameter(f"Invalid {name}: not valid JSON") from None
        if not isinstance(document, dict):
            raise InvalidParameter(f"Invalid {name}: must be a JSON object")
        return value

    def datetime_ms(self, name: str) -> int | None:
        """ISO 8601 (`2024-01-02T03:04:05Z`, with fraction or offset too) as epoch ms."""
        value = self.raw(name)
        if value is None:
            return None
        try:
            return from_datetime(datetime.fromisoformat(value.strip()))
        except ValueError:
            raise InvalidParameter(
                f"Invalid {name}: {value!r} is not an ISO 8601 date-time (YYYY-MM-DDTHH:MM:SSZ)"
            ) from None

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


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidParameter(f"Invalid {name}: {value!r} is not one of {', '.join(allowed)}")


def _range(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"between {minimum} and {maximum}"
    return f"at least {minimum}" if minimum is not None else f"at most {maximum}"


async def read_params(request: Request) -> Params:
    """FastAPI dependency: query string first, then the body's parameters."""
    items = list(request.query_params.multi_items())
    body = await request.body()
    if body.strip():
        items.extend(await _body_items(request, body))
    return Params(items)


async def _body_items(request: Request, body: bytes) -> list[tuple[str, str]]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        return _json_items(body)
    if content_type == "multipart/form-data":
        form = await request.form()
        return [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
    if content_type in ("application/x-www-form-urlencoded", ""):
        return _form_items(body)
    raise InvalidParameter(f"Unsupported Content-Type {content_type!r}: send form data or JSON")


def _form_items(body: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise InvalidParameter("The request body is not valid UTF-8") from None


def _json_items(body: bytes) -> list[tuple[str, str]]:
    """A JSON object body: scalars become their form spelling, objects their JSON text."""
    try:
        document: Any = json.loads(body)
    except ValueError:
        raise InvalidParameter("The request body is not valid JSON") from None
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
