"""The conversation store's tables, mapped like the ERP's (tenant-scoped by the same session events).

What people said, tool arguments and recording references are `EncryptedText`: the database holds tokens.
Intents, outcomes, counts and timings stay in the clear so analytics can aggregate them in SQL.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..erp.store.tables import UTCDateTime, mapper_registry, metadata
from .crypto import EncryptedText
from .model import Conversation, ConversationEvent, ConversationTurn

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
    sa.Column("tool_errors", sa.Integer, nullable=False), sa.Column("recording_ref", EncryptedText),
    sa.Column("duration_s", sa.Float), sa.Column("resolved", sa.Boolean),
    sa.Index("ix_conversations_business_started", "business_id", "started_at"),
)
conversation_events = sa.Table(
    "conversation_events", metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("business_id", Id, sa.ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("conversation_id", Id, sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("seq", sa.Integer, nullable=False), sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False), sa.Column("text", EncryptedText),
    sa.Column("tool", sa.String(64)), sa.Column("arguments", EncryptedText), sa.Column("error", sa.String(40)),
    sa.Column("intent", sa.String(40)), sa.Column("duration_ms", sa.Float),
    sa.UniqueConstraint("conversation_id", "seq"),
)
conversation_turns = sa.Table(
    "conversation_turns", metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("business_id", Id, sa.ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("conversation_id", Id, sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("seq", sa.Integer, nullable=False), sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("user_seq", sa.Integer), sa.Column("intent", sa.String(40)), sa.Column("action", sa.String(64)),
    sa.Column("failed", sa.Boolean, nullable=False),
    sa.Column("tool_calls", sa.Integer, nullable=False), sa.Column("tool_errors", sa.Integer, nullable=False),
    sa.Column("stt_ms", sa.Float), sa.Column("eou_ms", sa.Float), sa.Column("brain_ms", sa.Float),
    sa.Column("tool_ms", sa.Float), sa.Column("tts_ms", sa.Float), sa.Column("response_ms", sa.Float),
    sa.Column("v2v_ms", sa.Float), sa.Column("stt_source", sa.String(20)),
    sa.UniqueConstraint("conversation_id", "seq"),
    sa.Index("ix_conversation_turns_business_at", "business_id", "at"),
)

_mapped = False


def map_insights() -> None:
    global _mapped
    if _mapped:
        return
    _mapped = True
    mapper_registry.map_imperatively(Conversation, conversations)
    mapper_registry.map_imperatively(ConversationEvent, conversation_events)
    mapper_registry.map_imperatively(ConversationTurn, conversation_turns)
