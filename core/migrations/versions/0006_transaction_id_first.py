"""bank transactions: the selective column first in the de-duplication key

Lookups give a list of the source's transaction ids; with `source` first, PostgreSQL scanned every row of
the source and filtered (seen in bench/reconcile.py as throughput falling with table size).

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bank_transactions', schema=None) as batch_op:
        batch_op.drop_constraint('uq_bank_transactions_source', type_='unique')
        batch_op.create_unique_constraint('uq_bank_transactions_transaction_id', ['transaction_id', 'source'])


def downgrade() -> None:
    with op.batch_alter_table('bank_transactions', schema=None) as batch_op:
        batch_op.drop_constraint('uq_bank_transactions_transaction_id', type_='unique')
        batch_op.create_unique_constraint('uq_bank_transactions_source', ['source', 'transaction_id'])
