"""Every setting of a Switchboard process, read once from the environment.

One place for every `SWITCHBOARD_*` variable (documented in
`docs/reference/settings.md`); the composition root turns it into each package's
own settings object, so no module reads the environment itself.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from decimal import Decimal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from switchboard.outbound.settings import OutboundSettings
from switchboard.tenancy.api.fairness import FairnessSettings
from switchboard.tenancy.domain.fairness import DEFAULT_PLAN_WEIGHTS, THROTTLED_WEIGHT
from switchboard.tenancy.domain.fraud import Thresholds
from switchboard.tenancy.fraud import FraudSettings
from switchboard.tenancy.usage import UsageSettings, price_micros

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/switchboard.db"


class Settings(BaseSettings):
    """`SWITCHBOARD_<NAME>` for each field (e.g. `SWITCHBOARD_MAX_IN_FLIGHT=16`)."""

    model_config = SettingsConfigDict(env_prefix="SWITCHBOARD_", extra="ignore")

    # --- store ------------------------------------------------------------------------
    database_url: str = DEFAULT_DATABASE_URL
    # the Fernet key that seals auth tokens at rest (see docs/reference/settings.md)
    secret_key: str | None = None
    # PostgreSQL: writers queued on one workspace share a transaction (store/group_commit.py);
    # off by default: on the benchmark machine it cost more than it saved (bench/analysis.md)
    group_commit: bool = False

    # --- fair scheduling (tenancy) ----------------------------------------------------
    fairness: bool = True
    max_in_flight: int = Field(default=8, ge=1)
    max_queue: int = Field(default=128, ge=1)
    max_wait_seconds: float = Field(default=10.0, gt=0)
    max_in_flight_per_account: int = Field(default=0, ge=0)
    max_pause_seconds: float = Field(default=0.05, ge=0, le=10)
    plan_weights: str = ""
    throttled_weight: float = Field(default=THROTTLED_WEIGHT, gt=0)
    throttled_rate: float = Field(default=5.0, gt=0)
    throttled_burst: float = Field(default=10.0, gt=0)

    # --- fraud scoring (tenancy) ------------------------------------------------------
    fraud_flag: int = 50
    fraud_throttle: int = 80
    fraud_suspend: int = 100
    fraud_interval: float = Field(default=60.0, ge=0)

    # --- event retention (distribution) -----------------------------------------------
    # events older than this many days are deleted (TaskRouter keeps 30); 0 keeps all
    event_retention_days: int = Field(default=30, ge=0, le=36_500)

    # --- usage and billing (tenancy) --------------------------------------------------
    price_per_call: str = "0.0001"
    usage_flush_seconds: float = Field(default=1.0, gt=0)
    currency: str = "USD"

    # --- outbound callbacks -----------------------------------------------------------
    allow_private_callbacks: bool = False
    callback_allowed_networks: str = ""

    # --- metrics ----------------------------------------------------------------------
    metrics_per_workspace: bool = False

    # --- conversations ----------------------------------------------------------------
    conversation_media_dir: str = "var/media"
    conversation_media_max_bytes: int = Field(default=16_777_216, ge=1)
    # --- channels (issue 13) ----------------------------------------------------------
    # the root the carriers reach this server at (webhook signatures, status callbacks)
    public_url: str = ""
    channel_sms: bool = False
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_api_url: str = "https://api.twilio.com"
    channel_voice: bool = False
    channel_chat: bool = False
    channel_email: bool = False
    smtp_listen_host: str = "127.0.0.1"
    smtp_listen_port: int = Field(default=2525, ge=0, le=65535)
    email_max_bytes: int = Field(default=10_485_760, ge=1024)
    smtp_relay_host: str = "localhost"
    smtp_relay_port: int = Field(default=25, ge=1, le=65535)
    smtp_relay_username: str = ""
    smtp_relay_password: str = ""
    smtp_relay_starttls: bool = False
    imap_host: str = ""
    imap_port: int = Field(default=993, ge=1, le=65535)
    imap_username: str = ""
    imap_password: str = ""
    imap_mailbox: str = "INBOX"
    imap_ssl: bool = True
    imap_interval_seconds: float = Field(default=30.0, gt=0)

    # --- the supervisor page (issue 16) ------------------------------------------------
    # the service level every queue is measured against: this share answered within
    service_level_target: float = Field(default=0.8, gt=0, lt=1)
    service_level_seconds: int = Field(default=20, ge=1, le=3600)
    # average handling time the page's staffing chart plans with (Erlang C)
    supervisor_aht_seconds: float = Field(default=180.0, gt=0, le=86_400)

    @model_validator(mode="after")
    def _channels(self) -> Settings:
        twilio = self.twilio_account_sid and self.twilio_auth_token
        if bool(self.twilio_account_sid) != bool(self.twilio_auth_token):
            raise ValueError(
                "set both SWITCHBOARD_TWILIO_ACCOUNT_SID and SWITCHBOARD_TWILIO_AUTH_TOKEN, "
                "or neither"
            )
        # SMS may run without a deployment account: organizations bring their own
        # (/v1/Channels/Credentials); voice's call instructions need the deployment's
        if self.channel_voice and not twilio:
            raise ValueError(
                "SWITCHBOARD_CHANNEL_VOICE needs "
                "SWITCHBOARD_TWILIO_ACCOUNT_SID and SWITCHBOARD_TWILIO_AUTH_TOKEN"
            )
        return self

    @field_validator("price_per_call")
    @classmethod
    def _price(cls, value: str) -> str:
        price_micros(value)  # raises ValueError with a readable message
        return value

    @field_validator("callback_allowed_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                ipaddress.ip_network(part.strip(), strict=False)
        return value

    def plan_weight_map(self) -> Mapping[str, float]:
        """`free=1,standard=2,premium=4` -> {"free": 1.0, ...}."""
        if not self.plan_weights:
            return DEFAULT_PLAN_WEIGHTS
        pairs = (item.split("=", 1) for item in self.plan_weights.split(",") if "=" in item)
        return {name.strip(): float(value) for name, value in pairs}

    def fairness_settings(self) -> FairnessSettings:
        return FairnessSettings(
            enabled=self.fairness,
            max_in_flight=self.max_in_flight,
            max_queue_per_account=self.max_queue,
            max_wait_seconds=self.max_wait_seconds,
            max_in_flight_per_account=self.max_in_flight_per_account,
            max_pause_seconds=self.max_pause_seconds,
            plan_weights=self.plan_weight_map(),
            throttled_weight=self.throttled_weight,
            throttled_rate=self.throttled_rate,
            throttled_burst=self.throttled_burst,
        )

    def fraud_settings(self) -> FraudSettings:
        thresholds = Thresholds(
            flag=self.fraud_flag, throttle=self.fraud_throttle, suspend=self.fraud_suspend
        )
        return FraudSettings(thresholds=thresholds, interval_seconds=self.fraud_interval)

    def usage_settings(self) -> UsageSettings:
        return UsageSettings(
            default_price_micros=price_micros(self.price_per_call),
            flush_seconds=self.usage_flush_seconds,
            currency=self.currency,
        )

    def outbound_settings(self) -> OutboundSettings:
        networks = tuple(
            ipaddress.ip_network(part.strip(), strict=False)
            for part in self.callback_allowed_networks.split(",")
            if part.strip()
        )
        return OutboundSettings(
            allow_private=self.allow_private_callbacks, allowed_networks=networks
        )


def price(value: str) -> Decimal:
    """A price setting as a decimal (for display)."""
    return Decimal(price_micros(value)) / Decimal(1_000_000)
