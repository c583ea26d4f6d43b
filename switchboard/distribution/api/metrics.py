"""Prometheus metrics at `GET /metrics` (text exposition format, no authentication).

Every app gets its own :class:`~prometheus_client.CollectorRegistry`, so several
apps in one process (tests) never share or collide on a metric. What is measured:

* ``switchboard_http_request_duration_seconds{method,route,status}``: a histogram
  of request latency by route *template* (``/v1/Workspaces/{workspace_sid}/Tasks``),
  so sids never become label values; unmatched paths are ``route="<unmatched>"``.
* ``switchboard_tasks{status}``: tasks by assignment status, counted with one
  ``GROUP BY`` query at scrape time (the store is the source of truth). With
  ``SWITCHBOARD_METRICS_PER_WORKSPACE=1`` it is ``{workspace_sid,status}``: off by
  default, because `/metrics` is unauthenticated and workspace sids are tenant data
  (see ``tests/tenancy``); turn it on where the endpoint is private.
* ``switchboard_reservations_total{outcome}``: reservation events seen on the bus
  (``created``, ``accepted``, ``rejected``, ``timeout``, ``canceled``, ``rescinded``,
  ``wrapup``, ``completed``, ``instruction``).
* ``switchboard_events_total{event_type}``: every committed event published here.
* ``switchboard_routing_pass_duration_seconds`` and ``switchboard_routing_passes_total``:
  from the dispatcher's pass observer (passes this process ran, successful or not retried).
* ``switchboard_callback_deliveries{kind,status}``: callback deliveries in the store
  (``pending``, ``delivered``, ``failed``), counted at scrape time like the tasks.
* ``switchboard_callback_failures_total{kind}``: callback deliveries this process saw
  fail for good (``assignment`` or ``event``), reported by the callback engine through
  :meth:`Metrics.callback_failed` (wired in the composition root).

* ``switchboard_notifications_received_total{kind}``: with several processes on
  PostgreSQL, the notifications from other processes this one handled: ``poke``,
  ``event`` (decoded and published here: a socket or page of that workspace is open
  here), ``skipped`` (an event of a workspace this process owns but does not show:
  dropped undecoded). Each process hears only the workspaces it owns or shows, so these
  stay flat as processes are added.

Events republished from other processes (``remote``) are not counted: each process
exposes what it did, and Prometheus sums the processes.
"""

from __future__ import annotations

import re
import time
from collections import Counter as CounterType
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from switchboard.distribution.domain.records import Task
from switchboard.distribution.engine.dispatcher import Dispatcher
from switchboard.distribution.work.context import Services
from switchboard.kernel.criteria import COUNT
from switchboard.outbound.records import CallbackDelivery

TASK_STATUSES = ("pending", "reserved", "assigned", "wrapping", "completed", "canceled")
UNMATCHED_ROUTE = "<unmatched>"
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
PASS_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_CONVERTER = re.compile(r"\{(\w+):\w+\}")


def route_template(scope: Scope) -> str:
    """The matched route's path without converters (`{workspace_sid:ws}` → `{workspace_sid}`)."""
    path = getattr(scope.get("route"), "path", None)
    if not isinstance(path, str):
        return UNMATCHED_ROUTE
    return _CONVERTER.sub(r"{\1}", path)


class ScrapeGauge(Collector):
    """A gauge family counted by one ``GROUP BY`` query, refreshed by the scrape itself.

    `zero_fill` lists the values of the last label that are exposed as 0 for every
    group the query returns (a status that emptied shows 0 instead of vanishing).
    """

    def __init__(
        self,
        name: str,
        documentation: str,
        kind: type[Any],
        fields: tuple[str, ...],
        labels: tuple[str, ...],
        zero_fill: tuple[str, ...] = (),
    ) -> None:
        self.name, self.documentation, self.labels = name, documentation, labels
        self.kind, self.fields = kind, fields
        self.zero_fill = zero_fill
        self.counts: dict[tuple[str, ...], int] = {}

    async def refresh(self, services: Services) -> None:
        async with services.store.read() as unit:
            found = await unit.aggregate(self.kind, self.fields, n=COUNT)
        rows = [tuple(row[field] for field in (*self.fields, "n")) for row in found]
        counts: dict[tuple[str, ...], int] = {}
        groups = {row[:-2] for row in rows} if len(self.labels) > 1 else {()}
        for group in groups:
            counts.update({(*group, value): 0 for value in self.zero_fill})
        for *key, count in rows:
            counts[tuple(str(part) for part in key)] = int(count)
        self.counts = counts

    def _family(self) -> GaugeMetricFamily:
        return GaugeMetricFamily(self.name, self.documentation, labels=self.labels)

    def describe(self) -> Iterable[Metric]:
        return [self._family()]

    def collect(self) -> Iterable[Metric]:
        family = self._family()
        for key, count in sorted(self.counts.items()):
            family.add_metric(key, count)
        return [family]


def _tasks_gauge(per_workspace: bool) -> ScrapeGauge:
    if not per_workspace:
        return ScrapeGauge(
            "switchboard_tasks",
            "Tasks by assignment status, all workspaces (counted at scrape time).",
            Task,
            ("assignment_status",),
            ("status",),
            TASK_STATUSES,
        )
    return ScrapeGauge(
        "switchboard_tasks",
        "Tasks by workspace and assignment status (counted at scrape time).",
        Task,
        ("workspace_sid", "assignment_status"),
        ("workspace_sid", "status"),
        TASK_STATUSES,
    )


def _scrape_gauges(per_workspace: bool) -> list[ScrapeGauge]:
    tasks = _tasks_gauge(per_workspace)
    deliveries = ScrapeGauge(
        "switchboard_callback_deliveries",
        "Callback deliveries in the store by kind and status (pending, delivered, failed).",
        CallbackDelivery,
        ("kind", "status"),
        ("kind", "status"),
    )
    return [tasks, deliveries]


class NotificationsReceived(Collector):
    """The coordinator's count of other processes' notifications, read at scrape time."""

    def __init__(self, received: CounterType[str]) -> None:
        self.received = received

    def describe(self) -> Iterable[Metric]:
        return [self._family()]

    def collect(self) -> Iterable[Metric]:
        family = self._family()
        for kind in ("poke", "event", "skipped"):
            family.add_metric([kind], self.received[kind])
        return [family]

    def _family(self) -> CounterMetricFamily:
        return CounterMetricFamily(
            "switchboard_notifications_received",
            "Notifications from other processes handled here, by kind (poke, event, skipped).",
            labels=("kind",),
        )


class Metrics:
    """The registry of one app and the hooks that feed it."""

    def __init__(self, *, per_workspace: bool = False) -> None:
        self.registry = CollectorRegistry()
        self.http_latency = Histogram(
            "switchboard_http_request_duration_seconds",
            "HTTP request latency by method, route template and status.",
            ("method", "route", "status"),
            buckets=HTTP_BUCKETS,
            registry=self.registry,
        )
        self.reservations = Counter(
            "switchboard_reservations",
            "Reservation events by outcome (created, accepted, rejected, timeout, ...).",
            ("outcome",),
            registry=self.registry,
        )
        self.events = Counter(
            "switchboard_events",
            "Committed events published by this process, by type.",
            ("event_type",),
            registry=self.registry,
        )
        self._events, self._reservations = Children(self.events), Children(self.reservations)
        self.pass_latency = Histogram(
            "switchboard_routing_pass_duration_seconds",
            "Duration of the routing passes this process ran.",
            buckets=PASS_BUCKETS,
            registry=self.registry,
        )
        self.passes = Counter(
            "switchboard_routing_passes",
            "Routing passes this process ran.",
            registry=self.registry,
        )
        self.callback_failures = Counter(
            "switchboard_callback_failures",
            "Callback deliveries that failed for good (after their retries), by kind.",
            ("kind",),
            registry=self.registry,
        )
        self.gauges = _scrape_gauges(per_workspace)
        for gauge in self.gauges:
            self.registry.register(gauge)

    def on_event(self, event: dict[str, Any]) -> None:
        """Bus subscriber: count the committed events of this process."""
        if event.get("remote"):
            return
        event_type = str(event.get("event_type") or "")
        self._events(event_type).inc()
        if event_type.startswith("reservation."):
            self._reservations(event_type.removeprefix("reservation.")).inc()

    def on_pass(self, _workspace_sid: str, seconds: float) -> None:
        """Dispatcher observer: one pass ran for `seconds`."""
        self.passes.inc()
        self.pass_latency.observe(seconds)

    def callback_failed(self, kind: str) -> None:
        """The callback engine's observer: one delivery of `kind` failed for good."""
        self.callback_failures.labels(kind).inc()

    async def exposition(self, services: Services) -> bytes:
        for gauge in self.gauges:
            await gauge.refresh(services)
        return generate_latest(self.registry)


# label sets whose child metric is kept at hand (event types, outcomes, route templates
# by method and status: a few hundred at most); past this, `labels()` as usual
MAX_CHILDREN = 2048


class Children:
    """A metric's children by their label values. `labels()` builds and checks the
    values and takes a lock on every call; these metrics are labelled on every event
    and request, and their label sets are never removed."""

    def __init__(self, metric: Any) -> None:
        self.metric = metric
        self._by: dict[tuple[str, ...], Any] = {}

    def __call__(self, *values: str) -> Any:
        child = self._by.get(values)
        if child is None:
            child = self.metric.labels(*values)
            if len(self._by) < MAX_CHILDREN:
                self._by[values] = child
        return child


class HttpMetricsMiddleware:
    """Pure ASGI: times each HTTP request and labels it once the router matched a route."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self.histogram = histogram
        self._children = Children(histogram)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises before responding

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            elapsed = time.perf_counter() - started
            labels = (str(scope["method"]), route_template(scope), str(status))
            self._children(*labels).observe(elapsed)


def install(
    app: FastAPI, services: Services, dispatcher: Dispatcher, *, per_workspace: bool = False
) -> Metrics:
    """Mount `GET /metrics` and attach the middleware, bus subscriber and pass observer.

    `per_workspace` (the `SWITCHBOARD_METRICS_PER_WORKSPACE` setting) adds the workspace
    sid label to the task counts.
    """
    metrics = Metrics(per_workspace=per_workspace)
    metrics.registry.register(NotificationsReceived(dispatcher.coordinator.received))
    services.bus.subscribe(metrics.on_event)
    dispatcher.observers.append(metrics.on_pass)
    app.add_middleware(HttpMetricsMiddleware, histogram=metrics.http_latency)

    @app.get("/metrics", include_in_schema=False)
    async def scrape(_request: Request) -> Response:
        """Prometheus text exposition (no authentication: bind or firewall it)."""
        return Response(await metrics.exposition(services), media_type=CONTENT_TYPE_LATEST)

    return metrics
