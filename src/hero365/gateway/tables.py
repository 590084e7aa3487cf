"""The audit log's table: append-only, one hash chain per business (chain 0 holds requests with no business).

No foreign keys on purpose: audit records outlive the users and businesses they name. UPDATE and DELETE are
refused by triggers on SQLite and PostgreSQL; the hash chain catches whoever removes the triggers first.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..erp.store.tables import UTCDateTime, metadata

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("chain", sa.BigInteger, nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("action", sa.String(200), nullable=False),
    sa.Column("business_id", sa.BigInteger),
    sa.Column("user_id", sa.BigInteger),
    sa.Column("subject", sa.String(200)),
    sa.Column("outcome", sa.String(60), nullable=False),
    sa.Column("status", sa.Integer),
    sa.Column("request_id", sa.String(40)),
    sa.Column("detail", sa.Text),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.UniqueConstraint("chain", "seq", name="uq_audit_log_chain_seq"),
)

#: Triggers that make the table append-only (also created by migration 0005).
SQLITE_TRIGGERS = [
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]
PG_TRIGGERS = [
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS audit_log_no_update", "DROP TRIGGER IF EXISTS audit_log_no_delete"]
PG_DROP = ["DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
           "DROP FUNCTION IF EXISTS audit_log_append_only()"]

for _sql in SQLITE_TRIGGERS:
    sa.event.listen(audit_log, "after_create", sa.DDL(_sql).execute_if(dialect="sqlite"))
for _sql in PG_TRIGGERS:
    sa.event.listen(audit_log, "after_create", sa.DDL(_sql).execute_if(dialect="postgresql"))
