"""products.creation_key: a new-product form sent twice creates one product

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 18:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('creation_key', sa.String(length=43), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_products_creation_key'), ['creation_key'])


def downgrade() -> None:
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_products_creation_key'), type_='unique')
        batch_op.drop_column('creation_key')
