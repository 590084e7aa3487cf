"""The calling tables (Core, not mapped): campaigns, one row per call attempt, every compliance decision, the
business and national do-not-call lists, and per-business calling rules. Every query on them names its
business explicitly (see `repo.py`); the national list is the only table without one."""

from __future__ import annotations

import sqlalchemy as sa

from ..erp.store.tables import UTCDateTime, metadata

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _biz() -> sa.Column:
    return sa.Column("business_id", Id, sa.ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False,
                     index=True)


campaigns = sa.Table(
    "campaigns", metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True), _biz(),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("purpose", sa.String(40), nullable=False),
    sa.Column("agent", sa.String(20), nullable=False),
    sa.Column("audience", sa.Text, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("window_start", sa.Integer, nullable=False),
    sa.Column("window_end", sa.Integer, nullable=False),
    sa.Column("max_attempts", sa.Integer, nullable=False),
    sa.Column("backoff", sa.Text, nullable=False),
    sa.Column("voicemail", sa.String(20), nullable=False),
    sa.Column("starts_at", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("started_at", UTCDateTime),
    sa.Column("ended_at", UTCDateTime),
    sa.Column("created_by", Id, sa.ForeignKey("users.id", ondelete="SET NULL")),
)

call_attempts = sa.Table(
    "call_attempts", metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True), _biz(),
    sa.Column("campaign_id", Id, sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True),
    sa.Column("contact_id", Id, sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True),
    sa.Column("to_number", sa.String(200), nullable=False),
    sa.Column("purpose", sa.String(40), nullable=False),
    sa.Column("agent", sa.String(20), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("outcome", sa.String(40)),
    sa.Column("attempt_no", sa.Integer, nullable=False),
    sa.Column("scheduled_for", UTCDateTime, nullable=False),
    sa.Column("started_at", UTCDateTime),
    sa.Column("invite_at", UTCDateTime),  # the trunk reported the INVITE going out: the line may have rung
    sa.Column("answered_at", UTCDateTime),
    sa.Column("ended_at", UTCDateTime),
    sa.Column("sip_code", sa.Integer),
    sa.Column("error", sa.String(500)),
    sa.Column("idempotency_key", sa.String(120), nullable=False, unique=True),
    sa.Column("worker_id", sa.String(80)),
    sa.Column("lease_until", UTCDateTime),
    sa.Column("job_id", Id, sa.ForeignKey("jobs.id", ondelete="SET NULL")),
    sa.Column("invoice_id", Id, sa.ForeignKey("invoices.id", ondelete="SET NULL")),
    sa.Column("estimate_id", Id, sa.ForeignKey("estimates.id", ondelete="SET NULL")),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_call_attempts_due", "state", "scheduled_for"),
    sa.Index("ix_call_attempts_number", "business_id", "to_number", "state"),
)

call_decisions = sa.Table(
    "call_decisions", metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True), _biz(),
    sa.Column("attempt_id", Id, sa.ForeignKey("call_attempts.id", ondelete="SET NULL"), index=True),
    sa.Column("contact_id", Id, sa.ForeignKey("contacts.id", ondelete="SET NULL")),
    sa.Column("to_number", sa.String(200), nullable=False),
    sa.Column("purpose", sa.String(40), nullable=False),
    sa.Column("stage", sa.String(20), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("allowed", sa.Boolean, nullable=False),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("detail", sa.String(300), nullable=False),
    sa.Column("next_allowed_at", UTCDateTime),
)

dnc_numbers = sa.Table(
    "dnc_numbers", metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True), _biz(),
    sa.Column("number", sa.String(20), nullable=False),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("added_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("business_id", "number", name="uq_dnc_numbers_business_number"),
)

national_dnc = sa.Table(
    "national_dnc", metadata,
    sa.Column("number", sa.String(20), primary_key=True),
    sa.Column("imported_at", UTCDateTime, nullable=False),
)

call_settings = sa.Table(
    "call_settings", metadata,
    sa.Column("business_id", Id, sa.ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("window_start", sa.Integer, nullable=False),
    sa.Column("window_end", sa.Integer, nullable=False),
    sa.Column("days", sa.String(7), nullable=False),
    sa.Column("holidays", sa.String(2000), nullable=False),
    sa.Column("caller_id", sa.String(20)),
    sa.Column("callback_number", sa.String(20)),
)

ALL = (campaigns, call_attempts, call_decisions, dnc_numbers, national_dnc, call_settings)
