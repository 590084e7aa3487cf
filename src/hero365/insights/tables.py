"""The conversation store's tables, mapped like the ERP's (tenant-scoped by the same session events)."""

from __future__ import annotations

import sqlalchemy as sa

from ..erp.store.tables import UTCDateTime, mapper_registry, metadata
from .model import Conversation, ConversationEvent

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

conversations = sa.Table(
    "conversations", metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("business_id", Id, sa.ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("session_id", sa.String(64), nullable=False, unique=True),
    sa.Column("agent", sa.String(20), nullable=False), sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False), sa.Column("ended_at", UTCDateTime),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="SET NULL")),
    sa.Column("contact_id", Id, sa.ForeignKey("contacts.id", ondelete="SET NULL"), index=True),
    sa.Column("purpose", sa.String(40)), sa.Column("outcome", sa.String(60)),
    sa.Column("turns", sa.Integer, nullable=False), sa.Column("tool_calls", sa.Integer, nullable=False),
    sa.Column("tool_errors", sa.Integer, nullable=False), sa.Column("recording_ref", sa.String(300)),
    sa.Index("ix_conversations_business_started", "business_id", "started_at"),
)
conversation_events = sa.Table(
    "conversation_events", metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("business_id", Id, sa.ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("conversation_id", Id, sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("seq", sa.Integer, nullable=False), sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False), sa.Column("text", sa.Text), sa.Column("tool", sa.String(64)),
    sa.Column("arguments", sa.Text), sa.Column("error", sa.String(40)), sa.Column("intent", sa.String(40)),
    sa.Column("duration_ms", sa.Float),
    sa.UniqueConstraint("conversation_id", "seq"),
)

_mapped = False


def map_insights() -> None:
    global _mapped
    if _mapped:
        return
    _mapped = True
    mapper_registry.map_imperatively(Conversation, conversations)
    mapper_registry.map_imperatively(ConversationEvent, conversation_events)
