"""The composition root: the one place where store, pillars, background tasks and HTTP meet.

Everything is built here, once, from the :class:`~switchboard.settings.Settings`:
the store adapter the URL names, the sealer, the clock, the outbound HTTP client,
each pillar's services and adapters. Nothing is swapped in later; the HTTP
adapters find what they need in the app's :class:`~switchboard.wire.deps.Deps`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from importlib.metadata import version as package_version
from typing import Any, Protocol

from fastapi import Depends, FastAPI

from switchboard.attribution import api as attribution_api
from switchboard.attribution.api import openapi as attribution_openapi
from switchboard.attribution.domain.pacing import Availability
from switchboard.attribution.services.arrivals import MarketingEnricher, TaskFollower
from switchboard.attribution.services.context import Attribution
from switchboard.channel_desk import ConversationsDesk, send_replies
from switchboard.channel_desk import DistributionIntake as ChannelTaskIntake
from switchboard.channels import api as channels_api
from switchboard.channels.adapters.imap_in import ImapMailbox
from switchboard.channels.adapters.pg_chat import PostgresChatRelay
from switchboard.channels.adapters.smtp_out import SmtpRelay
from switchboard.channels.adapters.twilio_sms import TwilioMessages
from switchboard.channels.adapters.twilio_voice import TwilioVoice
from switchboard.channels.api import openapi as channels_openapi
from switchboard.channels.ports import CarrierAccount
from switchboard.channels.services import chat as chat_service
from switchboard.channels.services import credentials
from switchboard.channels.services.chat import ChatHub
from switchboard.channels.services.context import Channels, TwilioSettings
from switchboard.channels.services.email import EmailListener, ImapPoller
from switchboard.channels.services.sender import ReplySender
from switchboard.conversations import api as conversations_api
from switchboard.conversations.api import openapi as conversations_openapi
from switchboard.conversations.api import routing as conversation_routing
from switchboard.conversations.attachments import DiskAttachments
from switchboard.conversations.search_sql import SqlMessageIndex
from switchboard.conversations.services.context import Conversations
from switchboard.conversations.services.routing import Router, may_be_a_requests_task
from switchboard.conversations.services.search import ScanIndex
from switchboard.database import open_store, upgrade
from switchboard.distribution.api import app as distribution_api
from switchboard.distribution.api import openapi as distribution_openapi
from switchboard.distribution.api.metrics import Metrics
from switchboard.distribution.api.metrics import install as install_metrics
from switchboard.distribution.callbacks.documents import HttpDocumentSource
from switchboard.distribution.callbacks.wiring import CallbackEngine
from switchboard.distribution.domain.records import Event, Task
from switchboard.distribution.engine.dispatcher import Dispatcher
from switchboard.distribution.journal.events import event_dict
from switchboard.distribution.journal.queries import event_sid_is
from switchboard.distribution.journal.retention import EventRetention
from switchboard.distribution.persistence.sql_statistics import SqlStatistics
from switchboard.distribution.realtime import wiring as realtime
from switchboard.distribution.stats.realtime import load_pool
from switchboard.distribution.work.access import access_task_queue, access_workspace
from switchboard.distribution.work.context import Services
from switchboard.distribution.work.intake import DistributionIntake
from switchboard.distribution.work.tasks import TaskCreate, create_task
from switchboard.kernel import sids
from switchboard.kernel.changes import Changes
from switchboard.kernel.clock import SystemClock
from switchboard.kernel.criteria import eq, ge, lt
from switchboard.kernel.media import RecordingMediaAdapter
from switchboard.kernel.ports import (
    Authenticator,
    CallbackSender,
    Clock,
    EventPublisher,
    MediaAdapter,
    Store,
)
from switchboard.outbound.client import Outbound
from switchboard.outbound.poster import SignedPoster
from switchboard.outbound.settings import OutboundSettings
from switchboard.pages_bridge import DistributionFloor, SupervisorBridge
from switchboard.settings import Settings
from switchboard.store.ownership import Coordinator, LocalCoordinator, PostgresCoordinator
from switchboard.store.sql import SqlStore
from switchboard.tenancy.accounts import Accounts
from switchboard.tenancy.api import accounts as account_routes
from switchboard.tenancy.api import fairness, usage_tracking
from switchboard.tenancy.api import openapi as tenancy_openapi
from switchboard.tenancy.api import usage as usage_routes
from switchboard.tenancy.fraud import FraudMonitor
from switchboard.tenancy.sealing import (
    AccountSealers,
    Sealer,
    describe_source,
    ensure_key,
    load_key,
)
from switchboard.tenancy.usage import UsageMeter
from switchboard.web import home as web_home
from switchboard.web import live as web_live
from switchboard.web import pages as web_pages
from switchboard.web.people import People
from switchboard.web.ports import Floor, ServiceTarget, Supervisor
from switchboard.wire.auth import CredentialCache, authenticated_account
from switchboard.wire.deps import Deps
from switchboard.wire.errors import ErrorGuard, install_error_handlers
from switchboard.wire.openapi import install_docs

log = logging.getLogger(__name__)

StartupHook = Callable[[Services, Accounts], Awaitable[None]]


class Background(Protocol):
    """A task that runs beside the server (usage flushing, fraud evaluation, callbacks)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class Core:
    """The pillars' services over one store, without any HTTP (tests and the CLI use it)."""

    settings: Settings
    store: Store
    accounts: Accounts
    services: Services
    outbound: Outbound
    outbound_settings: OutboundSettings
    attribution: Attribution

    async def close(self) -> None:
        await self.outbound.close()
        await self.store.dispose()


def build_core(
    settings: Settings,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    media: MediaAdapter | None = None,
    sealer: Sealer | None = None,
    outbound: OutboundSettings | None = None,
) -> Core:
    """The store, accounts and distribution services the settings describe (each keyword
    replaces one part, for tests and embedding)."""
    store = store or open_store(settings.database_url, group_commit=settings.group_commit)
    clock = clock or SystemClock()
    sealer = sealer or _sealer(settings)
    accounts = Accounts(store, sealer, clock)
    outbound_settings = outbound or settings.outbound_settings()
    client = Outbound(outbound_settings)
    services = Services(
        store=store,
        signing=accounts,
        clock=clock,
        statistics=SqlStatistics() if isinstance(store, SqlStore) else None,
        media=media or _voice_media(settings, client) or RecordingMediaAdapter(),
        documents=HttpDocumentSource(store, accounts, client, outbound_settings),
    )
    poster = SignedPoster(accounts, client, clock)
    services, attribution = _wire_attribution(services, poster)
    store.observe(_ring_routing(services))
    return Core(settings, store, accounts, services, client, outbound_settings, attribution)


# --- marketing attribution meets work distribution (the only place the two are named) ------


class _DistributionPorts:
    """The attribution pillar's ports over the distribution pillar: live availability of a
    task queue's agents (pacing) and follow-up tasks (`callback_requested`)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def availability(
        self, account_sid: str, workspace_sid: str, task_queue_sid: str, since_ms: int
    ) -> Availability:
        async with self.services.store.read() as unit:
            workspace = await access_workspace(unit, account_sid, workspace_sid)
            queue = await access_task_queue(unit, workspace, task_queue_sid)
            pool = await load_pool(unit, workspace, self.services.now())
            arrivals = await unit.count(
                Task, eq("task_queue_sid", queue.sid), ge("date_created", since_ms)
            )
        roster = pool.eligible(queue.target_workers)
        staffed = [w for w in roster if w.available]
        free = sum(1 for w in staffed if any(c.free() > 0 for c in w.channels.values()))
        return Availability(free, len(staffed), recent_arrivals=arrivals, roster=len(roster))

    async def arrivals(
        self,
        account_sid: str,
        workspace_sid: str,
        task_queue_sid: str,
        since_ms: int,
        until_ms: int,
    ) -> list[int]:
        async with self.services.store.read() as unit:
            workspace = await access_workspace(unit, account_sid, workspace_sid)
            queue = await access_task_queue(unit, workspace, task_queue_sid)
            times: list[int] = await unit.values(
                Task, "date_created", eq("task_queue_sid", queue.sid),
                ge("date_created", since_ms), lt("date_created", until_ms),
            )  # fmt: skip
        return times

    async def create_follow_up(
        self, account_sid: str, workspace_sid: str, attributes: Mapping[str, Any]
    ) -> str:
        params = TaskCreate(attributes=json.dumps(dict(attributes)))
        return (await create_task(self.services, account_sid, workspace_sid, params)).sid


def _wire_attribution(services: Services, sender: CallbackSender) -> tuple[Services, Attribution]:
    """Tasks created for a contact to a leased point carry its attribution (the
    task-attribute port); the bus tells the pillar which task a contact became and
    whether it was answered; pacing reads live availability through a port."""
    ports = _DistributionPorts(services)
    attribution = Attribution(
        services.store, services.clock, availability=ports, follow_ups=ports, history=ports,
        sender=sender,
    )  # fmt: skip
    wired = replace(services, enrichers=(*services.enrichers, MarketingEnricher(attribution)))
    ports.services = wired
    wired.bus.subscribe(TaskFollower(attribution))
    return wired, attribution


def _sealer(settings: Settings) -> Sealer:
    """The configured key, else the key file's (created on first use)."""
    key = load_key(settings.secret_key)
    assert key is not None  # created when missing
    return Sealer(key, describe_source(settings.secret_key))


def _voice_media(settings: Settings, client: Outbound) -> MediaAdapter | None:
    """With the voice channel on, reservations' call instructions go to Twilio's Calls API
    (issue 13); otherwise the recording adapter stands in."""
    if not settings.channel_voice:
        return None
    return TwilioVoice(
        client,
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        api_url=settings.twilio_api_url,
        timeout=client.settings.media_timeout,
    )


def _ring_routing(services: Services) -> Callable[[str | None, Changes], None]:
    """Every committed write of a workspace (they lock on its sid) rings its routing
    doorbell with what changed: no service has to remember to. Other pillars' locks
    (a conversation's, say) ring nothing."""

    def ring(lock: str | None, changes: Changes) -> None:
        if lock is not None and lock.startswith(sids.WORKSPACE):
            services.doorbell.ring(lock, changes)

    return ring


def http_app(core: Core, *, meter: UsageMeter | None = None) -> tuple[FastAPI, Deps]:
    """The REST API of every pillar: routes, Twilio error bodies and the adapters' registry."""
    app = FastAPI(title="Switchboard", docs_url=None, redoc_url=None, openapi_url=None)
    install_error_handlers(app)
    registry = Deps()
    registry.provide(Services, core.services)
    registry.provide(Store, core.store)  # type: ignore[type-abstract]
    registry.provide(Accounts, core.accounts)
    registry.provide(Authenticator, core.accounts)  # type: ignore[type-abstract]
    registry.provide(CredentialCache, CredentialCache())
    registry.provide(Attribution, core.attribution)
    if meter is not None:
        registry.provide(UsageMeter, meter)
    app.state.deps = registry
    distribution_api.install(app)
    conversations = _wire_conversations(app, registry, core)
    router = _wire_conversation_routing(app, registry, core, conversations)
    _wire_channels(app, registry, core, conversations, router)
    account_routes.install(app)
    usage_routes.install(app)
    web_home.install(app)
    attribution_api.install(app)
    _wire_pages(app, core, registry)
    _wire_desk(app, core, registry)
    _wire_docs(app)
    return app, registry


def _wire_pages(app: FastAPI, core: Core, registry: Deps) -> None:
    """The pages (switchboard.web) meet work distribution only through the Floor port and
    the event bus, both handed over here."""
    floor = DistributionFloor(core.services)
    registry.provide(Floor, floor)  # type: ignore[type-abstract]
    registry.provide(People, People(core.store, core.services.clock, floor))
    registry.provide(EventPublisher, core.services.bus)  # type: ignore[type-abstract]
    _wire_supervisor(core, registry)
    web_pages.install(app)
    web_live.install(app)


def _wire_docs(app: FastAPI) -> None:
    """`/openapi.json` and `/docs`: each pillar describes its own operations."""
    catalogues = [
        distribution_openapi.catalogue(),
        tenancy_openapi.catalogue(),
        attribution_openapi.catalogue(),
        conversations_openapi.catalogue(),
        channels_openapi.catalogue(),
    ]
    install_docs(app, catalogues, version=package_version("switchboard"))


def _guard_outermost(app: FastAPI) -> None:
    """The error guard again around every middleware (fair scheduling, metrics, usage):
    an exception in any of them still answers Twilio's 500 and keeps the connection."""
    app.add_middleware(ErrorGuard)


def _wire_conversations(app: FastAPI, registry: Deps, core: Core) -> Conversations:
    """Pillar 2: its services over the shared store and clock, webhooks signed with the
    account's token through the guarded outbound client, bodies sealed with the
    deployment's sealer; then its routes."""
    clock = core.services.clock
    poster = SignedPoster(core.accounts, core.outbound, clock)
    timeout = core.outbound_settings.event_timeout
    conversations = Conversations(
        core.store,
        clock,
        sender=poster,
        sealer=AccountSealers(core.accounts.sealer),
        keys=core.accounts,
        index=SqlMessageIndex(core.store.kind) if isinstance(core.store, SqlStore) else ScanIndex(),
        attachments=DiskAttachments(core.settings.conversation_media_dir),
        media_max_bytes=core.settings.conversation_media_max_bytes,
        webhook_timeout=timeout,
    )
    registry.provide(Conversations, conversations)
    conversations_api.install(app, registry, conversations)
    return conversations


def _wire_conversation_routing(
    app: FastAPI, registry: Deps, core: Core, conversations: Conversations
) -> Router:
    """Pillar 2 meets pillar 1 (issue 19): requests become tasks through the intake port,
    accepted reservations come back on the distribution bus (the worker joins the
    interaction), members' messages on the conversations bus stop the SLA clocks."""
    router = Router(conversations, DistributionIntake(core.services))

    def on_distribution_event(event: dict[str, Any]) -> None:
        # synchronous: an awaiting bus subscriber lets later transactions' events overtake;
        # the join runs as the pillar's post-action work (drained by tests and shutdown);
        # with several processes on PostgreSQL, in the one that committed the acceptance
        # (others hear the event too, marked `remote`: they would join the worker twice)
        if (
            event.get("event_type") == "reservation.accepted"
            and not event.get("remote")
            and may_be_a_requests_task(event.get("event_data") or {})
        ):
            conversations.spawn(router.on_distribution_event(event))

    core.services.bus.subscribe(on_distribution_event)
    conversations.bus.subscribe(router.on_conversation_event)
    conversation_routing.install(app, registry, router)
    return router


class _SweepOwnership:
    """The conversations pillar's request sweep (inactivity, queue updates, SLA) runs
    where the workspace's routing runs: with PostgreSQL, in the process holding the
    workspace's ownership lock (ADR 0002), so several processes send each nudge and
    closing message once. A sweep that takes over a workspace nobody routed (its owner
    died while every task was assigned) also starts routing it here: one owner for both."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher

    async def owns(self, workspace_sid: str) -> bool:
        coordinator = self.dispatcher.coordinator
        if not coordinator.distributed:
            return True
        held = workspace_sid in coordinator.owned()
        if not await coordinator.owns(workspace_sid):
            return False
        if not held:  # taken just now: its timers and passes run here from now on
            self.dispatcher.poke_local(workspace_sid, Changes())
        return True


def _wire_channels(
    app: FastAPI, registry: Deps, core: Core, conversations: Conversations, router: Router
) -> Channels:
    """Issue 13: carrier addresses, inbound webhooks handed to the conversation desk, and
    replies sent by a ledger lane through the enabled channels' providers (each channel is
    on with one setting: `SWITCHBOARD_CHANNEL_SMS=true`, `SWITCHBOARD_CHANNEL_EMAIL=true`)."""
    settings = core.settings
    desk = ConversationsDesk(conversations, router)  # new requests and widget chats routed
    channels = Channels(core.store, core.services.clock, desk)
    channels.sealer = AccountSealers(core.accounts.sealer)  # organizations' carrier tokens
    public_url = settings.public_url or None
    if settings.channel_sms:
        if not settings.twilio_account_sid:
            log.warning(
                "SMS without a deployment Twilio account: only organizations with their own "
                "carrier credentials (/v1/Channels/Credentials) receive and send texts"
            )
        channels.sms = TwilioMessages(
            core.outbound,
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            api_url=settings.twilio_api_url,
            timeout=core.outbound_settings.media_timeout,
        )
        channels.sms_settings = TwilioSettings(settings.twilio_auth_token, public_url)
    if isinstance(core.services.media, TwilioVoice):

        async def voice_account(tenant: str, organization: str) -> CarrierAccount | None:
            return await credentials.sending_account(channels, tenant, organization)

        core.services.media.accounts = voice_account  # organizations' own accounts
    if settings.channel_chat:
        # on PostgreSQL the visitors' frames are relayed to every process (LISTEN/NOTIFY)
        relay = _chat_relay(core.store)
        hub = ChatHub(relay)

        async def delivered(receipt: dict[str, Any]) -> None:
            await chat_service.mark_delivered(channels, receipt)

        hub.on_delivered = delivered
        channels.chat, channels.chat_desk = hub, desk
        if relay is not None:
            registry.provide(PostgresChatRelay, relay)
    if settings.channel_voice:
        channels.voice_settings = TwilioSettings(settings.twilio_auth_token, public_url)
        channels.tasks = ChannelTaskIntake(core.services)
    if settings.channel_email:
        channels.email = SmtpRelay(
            settings.smtp_relay_host,
            settings.smtp_relay_port,
            timeout=core.outbound_settings.media_timeout,
            username=settings.smtp_relay_username or None,
            password=settings.smtp_relay_password or None,
            starttls=settings.smtp_relay_starttls,
        )
        listener = EmailListener(
            channels,
            settings.smtp_listen_host,
            settings.smtp_listen_port,
            settings.email_max_bytes,
        )
        registry.provide(EmailListener, listener)
        if settings.imap_host:
            mailbox = ImapMailbox(
                settings.imap_host,
                settings.imap_port,
                settings.imap_username,
                settings.imap_password,
                mailbox=settings.imap_mailbox,
                ssl=settings.imap_ssl,
            )
            poller = ImapPoller(channels, mailbox, settings.imap_interval_seconds)
            registry.provide(ImapPoller, poller)
    registry.provide(Channels, channels)
    registry.provide(ReplySender, ReplySender(channels, core.outbound_settings))
    send_replies(conversations, channels)
    channels_api.install(app)
    return channels


def _chat_relay(store: Store) -> PostgresChatRelay | None:
    if not isinstance(store, SqlStore) or store.kind != "postgresql":
        return None
    return PostgresChatRelay(store.url.replace("postgresql+asyncpg://", "postgresql://", 1))


def _coordinator(store: Store, services: Services) -> Coordinator:
    """SQLite and memory: one process owns everything.

    PostgreSQL: one owner per workspace; pokes and events travel over LISTEN/NOTIFY."""
    if not isinstance(store, SqlStore) or store.kind != "postgresql":
        return LocalCoordinator()

    async def load_event(sid: str) -> dict[str, Any] | None:
        async with store.read() as unit:
            row = await unit.first(Event, event_sid_is(sid))
        return event_dict(row) if row is not None else None

    dsn = store.url.replace("postgresql+asyncpg://", "postgresql://", 1)
    coordinator = PostgresCoordinator(dsn, load_event)

    def share(event: dict[str, Any]) -> None:
        if not event.get("remote"):
            coordinator.queue_event(event)  # synchronous: the bus keeps commit order

    services.bus.subscribe(share)
    services.bus.attend(coordinator)  # other processes' events of what is shown here
    return coordinator


@dataclass
class Runtime:
    """Everything one server process runs."""

    core: Core
    dispatcher: Dispatcher
    app: FastAPI
    deps: Deps
    metrics: Metrics
    meter: UsageMeter
    fraud: FraudMonitor
    callbacks: CallbackEngine
    sockets: realtime.Realtime
    replies: ReplySender | None = None
    mail: EmailListener | None = None
    mailbox: ImapPoller | None = None
    chat_relay: PostgresChatRelay | None = None
    retention: EventRetention | None = None

    @property
    def services(self) -> Services:
        return self.core.services

    @property
    def background(self) -> list[Background]:
        """Started in this order; stopped in reverse, so the websockets close first, then the
        callback senders, then the fraud monitor, and the usage meter flushes last."""
        parts = (self.chat_relay, self.replies, self.mail, self.mailbox)
        channels = [t for t in parts if t is not None]
        retention = [self.retention] if self.retention is not None else []
        return [self.meter, self.fraud, *retention, self.callbacks, *channels, self.sockets]


def _wire_callback_metrics(callbacks: CallbackEngine, metrics: Metrics) -> None:
    """`switchboard_callback_failures_total` counts the deliveries that fail for good."""
    callbacks.failure_observers.append(metrics.callback_failed)


def build_runtime(
    settings: Settings | None = None,
    *,
    on_startup: StartupHook | None = None,
    clock: Clock | None = None,
    outbound: OutboundSettings | None = None,
    media: MediaAdapter | None = None,
    sealer: Sealer | None = None,
) -> Runtime:
    """Wire the adapters; the returned app migrates, checks the secret key against the
    database's and resumes routing when it starts."""
    settings = settings or Settings()
    core = build_core(settings, clock=clock, outbound=outbound, media=media, sealer=sealer)
    services, store = core.services, core.store
    dispatcher = Dispatcher(services, _coordinator(store, services))
    meter = UsageMeter(store, settings.usage_settings(), services.clock)
    app, registry = http_app(core, meter=meter)
    per_workspace = settings.metrics_per_workspace
    metrics = install_metrics(app, services, dispatcher, per_workspace=per_workspace)
    usage_tracking.install(app, meter)
    monitor = FraudMonitor(store, core.accounts, settings.fraud_settings(), services.clock)
    callbacks = CallbackEngine(services, core.outbound, core.outbound_settings)
    _wire_callback_metrics(callbacks, metrics)
    # installed last: the outermost middleware admits a request before anything else runs
    fairness.install(app, store, settings.fairness_settings())
    _guard_outermost(app)
    sockets = realtime.install(app, services, registry)
    runtime = Runtime(core, dispatcher, app, registry, metrics, meter, monitor, callbacks, sockets)
    registry.get(Router).ownership = _SweepOwnership(dispatcher)
    runtime.replies = registry.find(ReplySender)
    runtime.mail = registry.find(EmailListener)
    runtime.mailbox = registry.find(ImapPoller)
    runtime.chat_relay = registry.find(PostgresChatRelay)
    runtime.retention = EventRetention(store, services.clock, settings.event_retention_days)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await upgrade(store)
        await ensure_key(store, core.accounts.sealer, services.clock)
        if on_startup is not None:
            await on_startup(services, core.accounts)
        await dispatcher.start()
        registry.get(Router).arm()  # waiting requests resume (issue 19)
        for task in runtime.background:
            await task.start()
        try:
            yield
        finally:
            for task in reversed(runtime.background):
                await task.stop()
            await dispatcher.stop()
            registry.get(Router).stop()
            await core.close()

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, Any]:
        """Liveness for load balancers (no tenant data: it needs no credentials)."""
        return {"status": "ok", "routed_workspaces": len(dispatcher.coordinator.owned())}

    @app.get("/v1/Workspaces/{workspace_sid:ws}/Routing", include_in_schema=False)
    async def routing_owner(
        workspace_sid: str, account_sid: str = Depends(authenticated_account)
    ) -> dict[str, Any]:
        """Whether this process owns the workspace's routing (operations and failover tests)."""
        async with store.read() as unit:
            await access_workspace(unit, account_sid, workspace_sid)
        owned = workspace_sid in dispatcher.coordinator.owned()
        return {"workspace_sid": workspace_sid, "routed_here": owned}

    app.router.lifespan_context = lifespan
    return runtime


# --- the agent's desk: cases, conversations, wrap-up, call control (issue 16) --------------


def _wire_desk(app: FastAPI, core: Core, registry: Deps) -> None:
    """The desktop meets the conversations, attribution and channels pillars only through
    the `Desk` port (`pages_bridge.PillarsDesk`); replies leave through the channels
    pillar's `send_replies` subscriber like any other message of a conversation."""
    from switchboard.pages_bridge import PillarsDesk
    from switchboard.web import cases as web_cases
    from switchboard.web.ports import Desk

    desk = PillarsDesk(core.services, registry.get(Conversations), core.attribution)
    registry.provide(Desk, desk)  # type: ignore[type-abstract]
    web_cases.install(app)


# --- the supervisor page's figures, charts and moves (issues 14, 15, 16) -------------------


def _wire_supervisor(core: Core, registry: Deps) -> None:
    """The supervisor page's second port: distribution statistics and task moves, the
    attribution pillar's staffing plans and campaign reports, against the target the
    settings name (`SWITCHBOARD_SERVICE_LEVEL_*`, `SWITCHBOARD_SUPERVISOR_AHT_SECONDS`)."""
    settings = core.settings
    target = ServiceTarget(settings.service_level_target, settings.service_level_seconds)
    bridge = SupervisorBridge(
        core.services, core.attribution, target, settings.supervisor_aht_seconds,
        settings.currency,
    )  # fmt: skip
    registry.provide(Supervisor, bridge)  # type: ignore[type-abstract]
