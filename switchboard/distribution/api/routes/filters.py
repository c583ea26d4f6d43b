"""List filters evaluated in Python: expressions over worker and task attributes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from switchboard.distribution.domain.expressions import (
    Expression,
    ExpressionError,
    compile_expression,
)
from switchboard.distribution.domain.records import Worker
from switchboard.kernel import limits
from switchboard.kernel.criteria import Order
from switchboard.kernel.errors import InvalidParameter

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
    return limits.stored_object(text)


def worker_context(worker: Worker, activity_name: str | None) -> dict[str, Any]:
    """What TargetWorkers sees: the attributes plus the worker's own fields (as routing does)."""
    return {
        "sid": worker.sid,
        "friendly_name": worker.friendly_name,
        "activity_sid": worker.activity_sid,
        "activity_name": activity_name,
        **json_object(worker.attributes),
    }


def ordering(
    text: str | None, fields: Mapping[str, str], default: tuple[Order, ...]
) -> tuple[Order, ...]:
    """`Ordering=Attribute:asc|desc[,...]` into orderings over the named record `fields`."""
    if text is None:
        return default
    clauses = []
    for part in text.split(","):
        attribute, _, direction = part.strip().partition(":")
        field = fields.get(attribute)
        if field is None or direction.lower() not in ("asc", "desc", ""):
            raise InvalidParameter(
                f"Invalid Ordering: {part.strip()!r} is not one of "
                f"{', '.join(fields)} followed by :asc or :desc"
            )
        clauses.append(Order(field, descending=direction.lower() == "desc"))
    return tuple(clauses)
