"""estimates.invoice_id foreign key on PostgreSQL

0001 declared it inside `create_table` with `use_alter=True`; SQLAlchemy leaves such a constraint out of
CREATE TABLE (it expects a later ALTER), so PostgreSQL databases built by migrations never got it (SQLite
writes it inline, and `create_all` emits the ALTER, which is why tests on `create_all` didn't notice).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NAME = "fk_estimates_invoice_id_invoices"


def _has_fk(bind: sa.Connection) -> bool:
    return any(fk.get("name") == NAME for fk in sa.inspect(bind).get_foreign_keys("estimates"))


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" or _has_fk(bind):
        return
    op.create_foreign_key(NAME, "estimates", "invoices", ["invoice_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite" and _has_fk(bind):
        op.drop_constraint(NAME, "estimates", type_="foreignkey")
