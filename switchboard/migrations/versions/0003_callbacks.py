"""callbacks, deliveries and remote workflow documents (issue 3)

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workflows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document_url", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "use_stored_document", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )

    op.create_table(
        "callback_deliveries",
        sa.Column("sid", sa.String(length=34), nullable=False),
        sa.Column("account_sid", sa.String(length=34), nullable=False),
        sa.Column("workspace_sid", sa.String(length=34), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("event_sid", sa.String(length=34), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("reservation_sid", sa.String(length=34), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("fallback_url", sa.Text(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=False),
        sa.Column("locked_until", sa.BigInteger(), nullable=True),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempt_log", sa.Text(), nullable=False),
        sa.Column("instruction", sa.Text(), nullable=True),
        sa.Column("date_created", sa.BigInteger(), nullable=False),
        sa.Column("date_updated", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_callback_deliveries")),
    )
    with op.batch_alter_table("callback_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_callback_deliveries_due", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            "ix_callback_deliveries_listing", ["workspace_sid", "date_created"], unique=False
        )

    op.create_table(
        "callback_cursors",
        sa.Column("workspace_sid", sa.String(length=34), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_sid", name=op.f("pk_callback_cursors")),
    )
    # existing workspaces start at their newest event: history is never replayed as callbacks
    op.execute(
        "INSERT INTO callback_cursors (workspace_sid, last_seq) "
        "SELECT w.sid, COALESCE((SELECT MAX(e.seq) FROM events e "
        "WHERE e.workspace_sid = w.sid), 0) FROM workspaces w"
    )

    op.create_table(
        "task_documents",
        sa.Column("task_sid", sa.String(length=34), nullable=False),
        sa.Column("workflow_sid", sa.String(length=34), nullable=False),
        sa.Column("configuration", sa.Text(), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("fetched_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_sid"],
            ["tasks.sid"],
            name=op.f("fk_task_documents_task_sid_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_sid", name=op.f("pk_task_documents")),
    )


def downgrade() -> None:
    op.drop_table("task_documents")
    op.drop_table("callback_cursors")
    with op.batch_alter_table("callback_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_callback_deliveries_listing")
        batch_op.drop_index("ix_callback_deliveries_due")
    op.drop_table("callback_deliveries")
    with op.batch_alter_table("workflows", schema=None) as batch_op:
        batch_op.drop_column("use_stored_document")
        batch_op.drop_column("document_url")
