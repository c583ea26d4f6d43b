"""The pages' tables (SQLAlchemy Core), bound to their records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, Table

from switchboard.store.schema import SID, metadata
from switchboard.web.domain.people import User, WebSession

web_users = Table(
    "web_users",
    metadata,
    Column("sid", SID, primary_key=True),
    Column(
        "account_sid",
        SID,
        ForeignKey("accounts.sid", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("email", String(320), nullable=False, unique=True),
    Column("friendly_name", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("workspace_sid", SID),
    Column("worker_sid", SID),
    Column("password_hash", String(255), nullable=False),
    Column("failed_attempts", Integer, nullable=False, server_default="0"),
    Column("locked_until", BigInteger),
    Column("date_created", BigInteger, nullable=False),
    Column("date_updated", BigInteger, nullable=False),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column(
        "user_sid", SID, ForeignKey("web_users.sid", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("account_sid", SID, nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("expires_at", BigInteger, nullable=False, index=True),
    Column("date_created", BigInteger, nullable=False),
)

BINDINGS: dict[type[Any], Table] = {User: web_users, WebSession: web_sessions}
