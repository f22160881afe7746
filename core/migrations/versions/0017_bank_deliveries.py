"""bank_deliveries, source_status and daily_closes: the trail of every bank notification and fetched
transaction, each source's polling health, and the days staff signed off

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 22:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'bank_deliveries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('commune_code', sa.String(length=5), nullable=False),
        sa.Column('source', sa.String(length=40), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('transaction_id', sa.String(length=120), nullable=True),
        sa.Column('bank_transaction_id', sa.Integer(), nullable=True),
        sa.Column('amount_vnd', sa.BigInteger(), nullable=True),
        sa.Column('account_number', sa.String(length=40), nullable=True),
        sa.Column('content', sa.String(length=300), nullable=False),
        sa.Column('outcome', sa.String(length=12), nullable=False),
        sa.Column('reason', sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(['bank_transaction_id'], ['bank_transactions.id'],
                                name=op.f('fk_bank_deliveries_bank_transaction_id_bank_transactions')),
        sa.ForeignKeyConstraint(['commune_code'], ['communes.code'],
                                name=op.f('fk_bank_deliveries_commune_code_communes')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_deliveries')),
    )
    with op.batch_alter_table('bank_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_bank_deliveries_commune_code_at', ['commune_code', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_deliveries_bank_transaction_id'), ['bank_transaction_id'],
                              unique=False)
    op.create_table(
        'source_status',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('commune_code', sa.String(length=5), nullable=False),
        sa.Column('source', sa.String(length=40), nullable=False),
        sa.Column('last_poll_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_ok_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('polled_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('found_last', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.String(length=300), nullable=True),
        sa.Column('last_error_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('auth_failed', sa.Boolean(), nullable=False),
        sa.Column('warned', sa.String(length=20), nullable=True),
        sa.Column('warned_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['commune_code'], ['communes.code'], name=op.f('fk_source_status_commune_code_communes')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_source_status')),
        sa.UniqueConstraint('commune_code', 'source', name=op.f('uq_source_status_commune_code')),
    )
    op.create_table(
        'daily_closes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('commune_code', sa.String(length=5), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('figures', sa.JSON(), nullable=False),
        sa.Column('note', sa.String(length=300), nullable=False),
        sa.Column('signed_by_id', sa.Integer(), nullable=True),
        sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['commune_code'], ['communes.code'], name=op.f('fk_daily_closes_commune_code_communes')),
        sa.ForeignKeyConstraint(['signed_by_id'], ['users.id'], name=op.f('fk_daily_closes_signed_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_daily_closes')),
        sa.UniqueConstraint('commune_code', 'day', name=op.f('uq_daily_closes_commune_code')),
    )


def downgrade() -> None:
    op.drop_table('daily_closes')
    op.drop_table('source_status')
    with op.batch_alter_table('bank_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_deliveries_bank_transaction_id'))
        batch_op.drop_index('ix_bank_deliveries_commune_code_at')
    op.drop_table('bank_deliveries')
