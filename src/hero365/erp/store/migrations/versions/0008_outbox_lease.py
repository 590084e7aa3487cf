"""outbox: a delivery lease (queued -> sending until lease_until), so two deliverers never send one message

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21 21:55:00
"""

import sqlalchemy as sa
from alembic import op

import hero365.erp.store.tables

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_until", hero365.erp.store.tables.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
