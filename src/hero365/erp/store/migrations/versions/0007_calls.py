"""calls: campaigns, call attempts, compliance decisions, do-not-call lists, per-business calling rules

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 21:10:00
"""

import sqlalchemy as sa
from alembic import op

import hero365.erp.store.tables

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('national_dnc',
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('imported_at', hero365.erp.store.tables.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_national_dnc'))
    )
    op.create_table('call_settings',
    sa.Column('business_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('window_start', sa.Integer(), nullable=False),
    sa.Column('window_end', sa.Integer(), nullable=False),
    sa.Column('days', sa.String(length=7), nullable=False),
    sa.Column('holidays', sa.String(length=2000), nullable=False),
    sa.Column('caller_id', sa.String(length=20), nullable=True),
    sa.Column('callback_number', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'],
                            name=op.f('fk_call_settings_business_id_businesses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('business_id', name=op.f('pk_call_settings'))
    )
    op.create_table('campaigns',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('business_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('agent', sa.String(length=20), nullable=False),
    sa.Column('audience', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('window_start', sa.Integer(), nullable=False),
    sa.Column('window_end', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('backoff', sa.Text(), nullable=False),
    sa.Column('voicemail', sa.String(length=20), nullable=False),
    sa.Column('starts_at', hero365.erp.store.tables.UTCDateTime(), nullable=True),
    sa.Column('created_at', hero365.erp.store.tables.UTCDateTime(), nullable=False),
    sa.Column('started_at', hero365.erp.store.tables.UTCDateTime(), nullable=True),
    sa.Column('ended_at', hero365.erp.store.tables.UTCDateTime(), nullable=True),
    sa.Column('created_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'],
                            name=op.f('fk_campaigns_business_id_businesses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'],
                            name=op.f('fk_campaigns_created_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    op.create_index(op.f('ix_campaigns_business_id'), 'campaigns', ['business_id'], unique=False)
    op.create_table('dnc_numbers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('business_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('added_at', hero365.erp.store.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'],
                            name=op.f('fk_dnc_numbers_business_id_businesses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dnc_numbers')),
    sa.UniqueConstraint('business_id', 'number', name='uq_dnc_numbers_business_number')
    )
    op.create_index(op.f('ix_dnc_numbers_business_id'), 'dnc_numbers', ['business_id'], unique=False)
    op.create_table('call_attempts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('business_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('to_number', sa.String(length=200), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('agent', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.Column('attempt_no', sa.Integer(), nullable=False),
    sa.Column('scheduled_for', hero365.erp.store.tables.UTCDateTime(), nullable=False),
    sa.Column('started_at', hero365.erp.store.tables.UTCDateTime(), nullable=True),
    sa.Column('invite_at', hero365.erp.store.tables.UTCDateTime(), nullable=True),
    sa.Column('answered_at', hero365.erp.store.tables.UTCDateTime(), nullable=True),
    sa.Column('ended_at', hero365.erp.store.tables.UTCDateTime(), nullable=True),
    sa.Column('sip_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('idempotency_key', sa.String(length=120), nullable=False),
    sa.Column('worker_id', sa.String(length=80), nullable=True),
    sa.Column('lease_until', hero365.erp.store.tables.UTCDateTime(), nullable=True),
    sa.Column('job_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('invoice_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('estimate_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', hero365.erp.store.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'],
                            name=op.f('fk_call_attempts_business_id_businesses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                            name=op.f('fk_call_attempts_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'],
                            name=op.f('fk_call_attempts_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['estimate_id'], ['estimates.id'],
                            name=op.f('fk_call_attempts_estimate_id_estimates'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'],
                            name=op.f('fk_call_attempts_invoice_id_invoices'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'],
                            name=op.f('fk_call_attempts_job_id_jobs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_attempts')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_call_attempts_idempotency_key'))
    )
    op.create_index(op.f('ix_call_attempts_business_id'), 'call_attempts', ['business_id'], unique=False)
    op.create_index(op.f('ix_call_attempts_campaign_id'), 'call_attempts', ['campaign_id'], unique=False)
    op.create_index(op.f('ix_call_attempts_contact_id'), 'call_attempts', ['contact_id'], unique=False)
    op.create_index('ix_call_attempts_due', 'call_attempts', ['state', 'scheduled_for'], unique=False)
    op.create_index('ix_call_attempts_number', 'call_attempts', ['business_id', 'to_number', 'state'], unique=False)
    op.create_table('call_decisions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('business_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('attempt_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('to_number', sa.String(length=200), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('at', hero365.erp.store.tables.UTCDateTime(), nullable=False),
    sa.Column('allowed', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.String(length=300), nullable=False),
    sa.Column('next_allowed_at', hero365.erp.store.tables.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['attempt_id'], ['call_attempts.id'],
                            name=op.f('fk_call_decisions_attempt_id_call_attempts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'],
                            name=op.f('fk_call_decisions_business_id_businesses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'],
                            name=op.f('fk_call_decisions_contact_id_contacts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_decisions'))
    )
    op.create_index(op.f('ix_call_decisions_attempt_id'), 'call_decisions', ['attempt_id'], unique=False)
    op.create_index(op.f('ix_call_decisions_business_id'), 'call_decisions', ['business_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_call_decisions_business_id'), table_name='call_decisions')
    op.drop_index(op.f('ix_call_decisions_attempt_id'), table_name='call_decisions')
    op.drop_table('call_decisions')
    op.drop_index('ix_call_attempts_number', table_name='call_attempts')
    op.drop_index('ix_call_attempts_due', table_name='call_attempts')
    op.drop_index(op.f('ix_call_attempts_contact_id'), table_name='call_attempts')
    op.drop_index(op.f('ix_call_attempts_campaign_id'), table_name='call_attempts')
    op.drop_index(op.f('ix_call_attempts_business_id'), table_name='call_attempts')
    op.drop_table('call_attempts')
    op.drop_index(op.f('ix_dnc_numbers_business_id'), table_name='dnc_numbers')
    op.drop_table('dnc_numbers')
    op.drop_index(op.f('ix_campaigns_business_id'), table_name='campaigns')
    op.drop_table('campaigns')
    op.drop_table('call_settings')
    op.drop_table('national_dnc')
