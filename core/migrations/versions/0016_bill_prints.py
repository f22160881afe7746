"""bill_prints: open bills of a fee and period printed as one PDF, made by a job with its progress

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 19:45:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'bill_prints',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('commune_code', sa.String(length=5), nullable=False),
        sa.Column('fee_type_id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=40), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('file_name', sa.String(length=80), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['commune_code'], ['communes.code'], name=op.f('fk_bill_prints_commune_code_communes')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_bill_prints_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['fee_type_id'], ['fee_types.id'], name=op.f('fk_bill_prints_fee_type_id_fee_types')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bill_prints')),
    )
    with op.batch_alter_table('bill_prints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bill_prints_commune_code'), ['commune_code'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('bill_prints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bill_prints_commune_code'))
    op.drop_table('bill_prints')
