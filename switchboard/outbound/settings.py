"""Knobs of outbound HTTP (callbacks and remote workflow documents).

A plain dataclass with no I/O, so :class:`switchboard.distribution.work.context.Services`
can carry it without importing the HTTP machinery.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

ALLOW_PRIVATE_ENV = "SWITCHBOARD_ALLOW_PRIVATE_CALLBACKS"
ALLOWED_NETWORKS_ENV = "SWITCHBOARD_CALLBACK_ALLOWED_NETWORKS"
_TRUE = frozenset({"1", "true", "yes", "on"})

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass
class OutboundSettings:
    """Defaults follow Twilio: 5 s for an assignment callback, 15 s for an event callback."""

    # callbacks to private, loopback, link-local or multicast addresses are refused unless
    # `allow_private` is set or the address is inside one of `allowed_networks`
    allow_private: bool = False
    allowed_networks: tuple[Network, ...] = ()
    assignment_timeout: float = 5.0
    event_timeout: float = 15.0
    document_timeout: float = 5.0
    media_timeout: float = 30.0
    # simultaneous outbound requests, per kind (assignment callbacks never queue behind events)
    max_concurrency: int = 32
    event_attempts: int = 5
    backoff_initial: float = 1.0
    backoff_max: float = 300.0
    max_response_bytes: int = 1_048_576
    extra_headers: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def loopback_only() -> OutboundSettings:
        """Tests and single-host setups: 127.0.0.0/8 and ::1 allowed, nothing else private."""
        return OutboundSettings(
            allowed_networks=(
                ipaddress.ip_network("127.0.0.0/8"),
                ipaddress.ip_network("::1/128"),
            )
        )
