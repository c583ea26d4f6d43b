"""What the composition root hands the HTTP adapters: one registry per app, by type.

The root fills it once before serving (`Deps.provide`); a route or a websocket
finds what it needs with :func:`deps` (the only read of `app.state` in the code
base) and `Deps.get(Services)`, `Deps.get(Authenticator)`, ...
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

from starlette.requests import HTTPConnection

T = TypeVar("T")


class Deps:
    def __init__(self) -> None:
        self._items: dict[type[Any], Any] = {}

    def provide(self, kind: type[T], value: T) -> None:
        """Register the one `value` of `kind` (once: wiring never changes after start)."""
        if kind in self._items:
            raise RuntimeError(f"{kind.__name__} is already provided")
        self._items[kind] = value

    def get(self, kind: type[T]) -> T:
        try:
            return cast(T, self._items[kind])
        except KeyError:
            raise LookupError(f"nothing provides {kind.__name__}") from None

    def find(self, kind: type[T]) -> T | None:
        return cast(T | None, self._items.get(kind))


def deps(connection: HTTPConnection) -> Deps:
    """The app's registry (HTTP requests and websockets alike)."""
    registry: Deps = connection.app.state.deps
    return registry
