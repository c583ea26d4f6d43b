"""List filters evaluated in Python: expressions over worker and task attributes."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import InstrumentedAttribute

from switchboard.domain.errors import InvalidParameter
from switchboard.domain.expressions import Expression, ExpressionError, compile_expression
from switchboard.store import tables as t

Predicate = Callable[[Mapping[str, Any]], bool]


def compile_filter(name: str, text: str) -> Expression:
    """A request's expression; a syntax error is a 400 naming the parameter and position."""
    try:
        return compile_expression(text)
    except ExpressionError as exc:
        raise InvalidParameter(f"Invalid {name}: {exc}") from None


def stored_expression(text: str) -> Predicate:
    """A stored queue expression; one that no longer compiles matches nothing."""
    try:
        return compile_expression(text).evaluate
    except ExpressionError:
        return lambda _context: False


def json_object(text: str) -> dict[str, Any]:
    """Attributes text that was validated on the way in (or stored): a JSON object."""
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def worker_context(worker: t.Worker, activity_name: str | None) -> dict[str, Any]:
    """What TargetWorkers sees: the attributes plus the worker's own fields (as the router does)."""
    return {
        "sid": worker.sid,
        "friendly_name": worker.friendly_name,
        "activity_sid": worker.activity_sid,
        "activity_name": activity_name,
        **json_object(worker.attributes),
    }


def ordering(
    text: str | None,
    columns: Mapping[str, InstrumentedAttribute[Any]],
    default: tuple[ColumnElement[Any], ...],
) -> tuple[ColumnElement[Any], ...]:
    """`Ordering=Attribute:asc|desc[,...]` into ORDER BY clauses over `columns`."""
    if text is None:
        return default
    clauses = []
    for part in text.split(","):
        attribute, _, direction = part.strip().partition(":")
        column = columns.get(attribute)
        if column is None or direction.lower() not in ("asc", "desc", ""):
            raise InvalidParameter(
                f"Invalid Ordering: {part.strip()!r} is not one of "
                f"{', '.join(columns)} followed by :asc or :desc"
            )
        clauses.append(column.desc() if direction.lower() == "desc" else column.asc())
    return tuple(clauses)
