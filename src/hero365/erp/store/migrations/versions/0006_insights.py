"""insights: encrypted transcripts, per-turn timings, duration and resolution

Transcript text, tool arguments and recording references become encrypted text (Fernet tokens; the
recording reference outgrows 300 characters once encrypted). Rows written before this migration stay
readable as they are; `hero365 keys rotate` encrypts them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 21:10:00
"""

import sqlalchemy as sa
from alembic import op

import hero365.erp.store.tables

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.alter_column("recording_ref", existing_type=sa.String(length=300), type_=sa.Text(),
                              existing_nullable=True)
        batch_op.add_column(sa.Column("duration_s", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("resolved", sa.Boolean(), nullable=True))

    op.create_table(
        "conversation_turns",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("business_id", Id, nullable=False),
        sa.Column("conversation_id", Id, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", hero365.erp.store.tables.UTCDateTime(), nullable=False),
        sa.Column("user_seq", sa.Integer(), nullable=True),
        sa.Column("intent", sa.String(length=40), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=True),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.Column("tool_calls", sa.Integer(), nullable=False),
        sa.Column("tool_errors", sa.Integer(), nullable=False),
        sa.Column("stt_ms", sa.Float(), nullable=True),
        sa.Column("eou_ms", sa.Float(), nullable=True),
        sa.Column("brain_ms", sa.Float(), nullable=True),
        sa.Column("tool_ms", sa.Float(), nullable=True),
        sa.Column("tts_ms", sa.Float(), nullable=True),
        sa.Column("response_ms", sa.Float(), nullable=True),
        sa.Column("v2v_ms", sa.Float(), nullable=True),
        sa.Column("stt_source", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(["business_id"], ["businesses.id"],
                                name=op.f("fk_conversation_turns_business_id_businesses"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"],
                                name=op.f("fk_conversation_turns_conversation_id_conversations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_turns")),
        sa.UniqueConstraint("conversation_id", "seq", name=op.f("uq_conversation_turns_conversation_id")),
    )
    with op.batch_alter_table("conversation_turns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversation_turns_business_id"), ["business_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_conversation_turns_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index("ix_conversation_turns_business_at", ["business_id", "at"], unique=False)
    upgrade_alerts()


def downgrade() -> None:
    downgrade_alerts()
    with op.batch_alter_table("conversation_turns", schema=None) as batch_op:
        batch_op.drop_index("ix_conversation_turns_business_at")
        batch_op.drop_index(batch_op.f("ix_conversation_turns_conversation_id"))
        batch_op.drop_index(batch_op.f("ix_conversation_turns_business_id"))
    op.drop_table("conversation_turns")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("resolved")
        batch_op.drop_column("duration_s")
        batch_op.alter_column("recording_ref", existing_type=sa.Text(), type_=sa.String(length=300),
                              existing_nullable=True)


# --- alerts (insights.alerts): one row per business and rule, its firing/ok state and episode -----------------

def upgrade_alerts() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("business_id", Id, nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("changed_at", hero365.erp.store.tables.UTCDateTime(), nullable=False),
        sa.Column("notified_to", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["business_id"], ["businesses.id"], name=op.f("fk_alerts_business_id_businesses"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("business_id", "rule", name="uq_alerts_business_rule"),
    )


def downgrade_alerts() -> None:
    op.drop_table("alerts")
